//! What one run of a command cost: wall time, CPU of its whole process tree, peak RSS.
//!
//! Measured by a measuring parent, a fresh process of this bench binary that spawns the command
//! and reaps it with `wait4`, rather than by the bench itself: Linux carries the peak RSS of the
//! image a process replaces across `exec`, and a spawned child starts from its parent's image,
//! so a command spawned from the bench, which holds megabytes of parsed events by the end, would
//! report the bench's peak instead of its own. The fresh parent has allocated almost nothing.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The argument that makes this binary a measuring parent:
/// `--measure-into REPORT PROGRAM ARGS…` runs the command and writes its cost into REPORT.
const MEASURE_INTO: &str = "--measure-into";

/// What one run cost: wall time, CPU time (user + system) of the whole process tree (`wait4`
/// counts every descendant the command reaped: the runtime's `cat`, the baselines' `cat`s),
/// and the largest peak RSS in that tree (in practice the command's own).
#[derive(Debug, Clone, Copy)]
pub struct Cost {
    pub wall: Duration,
    pub cpu: Duration,
    pub max_rss_kib: i64,
}

/// Runs `command` to its end with stdin and stdout on the null device, and measures it.
/// Panics when it fails: a figure measured on a failed run would mean nothing.
pub fn measure(command: &mut Command) -> Cost {
    let (status, cost) = Measured::spawn(command, Stdio::null()).finish();
    assert!(status == 0, "{command:?} exited with status {status}");
    cost
}

/// A command running under its measuring parent.
#[derive(Debug)]
pub struct Measured {
    /// The measuring parent, whose stdout is the command's.
    pub parent: Child,
    report: tempfile::TempPath,
}

impl Measured {
    /// Starts `command` under a measuring parent, its stdin on the null device, its stdout
    /// `stdout`, its stderr the bench's.
    pub fn spawn(command: &mut Command, stdout: Stdio) -> Self {
        let report = tempfile::NamedTempFile::new()
            .expect("a report file")
            .into_temp_path();
        let mut parent = Command::new(std::env::current_exe().expect("the bench's own path"));
        parent
            .arg(MEASURE_INTO)
            .arg(&report)
            .arg(command.get_program())
            .args(command.get_args())
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(Stdio::inherit());
        for (name, value) in command.get_envs() {
            match value {
                Some(value) => parent.env(name, value),
                None => parent.env_remove(name),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            parent.current_dir(dir);
        }
        let parent = parent
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        Self { parent, report }
    }

    /// Waits for the command's end: its exit code (128 + n for signal n) and its cost.
    pub fn finish(mut self) -> (i32, Cost) {
        let status = self.parent.wait().expect("wait for the measuring parent");
        assert!(status.success(), "the measuring parent failed: {status}");
        let report = std::fs::read_to_string(&self.report).expect("read the cost report");
        let fields: Vec<i64> = report
            .split_ascii_whitespace()
            .map(|field| field.parse().expect("a number in the cost report"))
            .collect();
        let [status, wall, cpu, max_rss_kib] = fields[..] else {
            panic!("a cost report of four numbers, not {report:?}");
        };
        let nanoseconds = |value: i64| Duration::from_nanos(value.try_into().expect("positive"));
        let cost = Cost {
            wall: nanoseconds(wall),
            cpu: nanoseconds(cpu),
            max_rss_kib,
        };
        (i32::try_from(status).expect("an exit code"), cost)
    }
}

/// When this process was started as a measuring parent, runs its command with the stdio it was
/// given, writes `status wall_ns cpu_ns max_rss_kib` into the report file, and returns true.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also reports its usage"
)]
pub fn act_as_measuring_parent() -> bool {
    let mut args = std::env::args_os().skip(1);
    if args.next().is_none_or(|arg| arg != MEASURE_INTO) {
        return false;
    }
    let report = PathBuf::from(args.next().expect("the report file"));
    let program: OsString = args.next().expect("the program to measure");
    let started = Instant::now();
    let child = Command::new(&program)
        .args(args)
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {program:?}: {error}"));
    let (status, usage) = wait4(child.id());
    let wall = started.elapsed();
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    std::fs::write(
        report,
        format!(
            "{status} {} {} {}\n",
            wall.as_nanos(),
            cpu.as_nanos(),
            usage.ru_maxrss
        ),
    )
    .expect("write the cost report");
    true
}

/// Reaps child `pid`: its exit code (128 + n for signal n) and its usage, which on Linux
/// includes every descendant it reaped in turn.
fn wait4(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value of this plain C struct; wait4 writes into the
    // two locals we pass and reaps the child we spawned (std never waits for it: we own it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = i32::try_from(pid).expect("pid");
    let result = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(result, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    (code, usage)
}

fn timeval(value: libc::timeval) -> Duration {
    Duration::from_secs(value.tv_sec as u64) + Duration::from_micros(value.tv_usec as u64)
}
