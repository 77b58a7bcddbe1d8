//! Spawning one process in its own group, its pipe readers and its supervisor.

use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use session_domain::Stream;
use session_ports::{Clock, OutputSender};
use tokio::net::unix::pipe;
use tokio::process::Command;
use tokio::sync::watch;
use tokio::time::Instant;

use super::escalation::Escalation;
use super::guard::GroupGuard;
use super::guardian::{RUN_MARKER_VAR, run_marker};
use super::reader::{DEFAULT_PIPE_CAPACITY, Delivery, PIPE_CAPACITY, PipeTarget, read_to_end};
use super::report::{ExitWatch, Supervised};
use super::supervisor::Supervisor;
use super::{ProcessSpec, ProcessTiming, StopControl};

/// The program could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {program}: {cause}", program = program.display(), cause = self.cause())]
pub struct SpawnError {
    /// The program as it was given.
    pub program: PathBuf,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

impl SpawnError {
    /// Why it could not start, in words that name the real cause: the system says "No such
    /// file or directory" both for a missing program and for an existing script whose `#!`
    /// interpreter is missing, and "Exec format error" for a file it cannot run at all.
    pub fn cause(&self) -> String {
        use rustix::io::Errno;
        let exists = std::fs::metadata(&self.program).is_ok_and(|meta| meta.is_file());
        match Errno::from_io_error(&self.source) {
            Some(Errno::NOENT) if exists => match interpreter(&self.program) {
                Some(Interpreter::Script(interpreter)) => format!(
                    "its interpreter `{interpreter}` (named on its `#!` line) does not exist: install it or correct that line"
                ),
                Some(Interpreter::Elf) => "the dynamic loader it was linked for does not exist: it may be built for another system".to_owned(),
                None => format!("{}: a file it needs to run does not exist", self.source),
            },
            Some(Errno::NOEXEC) => format!(
                "{}: it is neither a program for this system nor a script with a `#!` line",
                self.source
            ),
            _ => self.source.to_string(),
        }
    }
}

/// What runs a program file, from its first bytes.
enum Interpreter {
    /// A script: the program on its `#!` line.
    Script(String),
    /// An ELF binary, run by its dynamic loader.
    Elf,
}

fn interpreter(program: &std::path::Path) -> Option<Interpreter> {
    use std::io::Read;
    let mut head = [0_u8; 256];
    let mut file = std::fs::File::open(program).ok()?;
    let read = file.read(&mut head).ok()?;
    let head = &head[..read];
    if head.starts_with(b"\x7fELF") {
        return Some(Interpreter::Elf);
    }
    let line = head.strip_prefix(b"#!")?;
    let line = line.split(|&byte| byte == b'\n').next()?;
    let interpreter = String::from_utf8_lossy(line);
    let interpreter = interpreter.split_whitespace().next()?;
    Some(Interpreter::Script(interpreter.to_owned()))
}

/// Spawns `spec` in its own process group with stdin on the null device and starts
/// supervising it. Must be called inside a tokio runtime, from a long-lived thread. The pipe
/// readers run on that runtime and may block its thread for up to 500 µs at a time (see
/// `reader.rs`): a runtime that also serves requests must spawn from a thread of its own.
pub fn spawn(
    spec: &ProcessSpec,
    timing: ProcessTiming,
    clock: Arc<dyn Clock>,
    output: OutputSender,
    stop: &StopControl,
) -> Result<Supervised, SpawnError> {
    let spawn_error = |source| SpawnError {
        program: spec.program.clone(),
        source,
    };
    let (stdout_pipe, stdout_capacity, child_stdout) = output_pipe().map_err(spawn_error)?;
    let (stderr_pipe, stderr_capacity, child_stderr) = output_pipe().map_err(spawn_error)?;
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null())
        .stdout(child_stdout)
        .stderr(child_stderr)
        .process_group(0)
        // A backstop only: it reaches the direct child, not its group. The supervisor's guard
        // kills the group.
        .kill_on_drop(true);
    if let Some(marker) = run_marker() {
        // After the spec's own variables: the run's marker is not the configuration's to
        // change. Descendants inherit it, so the guardian can find them even outside the group.
        command.env(RUN_MARKER_VAR, marker);
    }
    #[cfg(target_os = "linux")]
    if spec.die_with_parent {
        die_with_parent(&mut command);
    }
    let child = command.spawn().map_err(spawn_error)?;
    // Our copies of the pipes' writing ends go with the command: the readers see the end of
    // the output when the child's group has closed them, not when we do.
    drop(command);
    let Some(pid) = child.id() else {
        return Err(spawn_error(io::Error::other(
            "the process exited before it could be watched",
        )));
    };
    let pgid = i32::try_from(pid).map_err(|_| spawn_error(io::Error::other("pid out of range")))?;
    let guard = GroupGuard::register(pgid);

    let delivery = Arc::new(Delivery::default());
    let (abandon, abandoned) = watch::channel(false);
    let pipe = |stream, pipe_capacity| PipeTarget {
        label: spec.label.clone(),
        source: spec.source,
        stream,
        pipe_capacity,
        max_line: timing.max_line,
        clock: Arc::clone(&clock),
        output: output.clone(),
        delivery: Arc::clone(&delivery),
        abandon: abandoned.clone(),
    };
    let stdout = tokio::spawn(read_to_end(
        stdout_pipe,
        pipe(Stream::Stdout, stdout_capacity),
    ));
    let stderr = tokio::spawn(read_to_end(
        stderr_pipe,
        pipe(Stream::Stderr, stderr_capacity),
    ));

    let (exit_tx, exit_rx) = watch::channel(None);
    let (report_tx, report_rx) = watch::channel(None);
    let supervisor = Supervisor {
        label: spec.label.clone(),
        pgid,
        timing,
        clock,
        output,
        delivery,
        stop: stop.watch(),
        readers: vec![stdout, stderr],
        abandon,
        guard: Some(guard),
        started: Instant::now(),
        escalation: Escalation::new(timing.stop_grace, timing.pipe_grace),
        kill_timer: None,
        pipe_timer: None,
    };
    tokio::spawn(async move {
        // A panic in `run` drops the supervisor, and its guard kills the group.
        // Every line of the process was sent or told by then, so its last lines come before
        // the event that reports its end.
        let report = supervisor.run(child, exit_tx).await;
        let _ = report_tx.send(Some(report));
    });
    Ok(Supervised::new(pid, ExitWatch::new(exit_rx), report_rx))
}

/// A pipe for one of the child's output streams: our end, to read, its capacity, and the
/// child's end, to give it. Made here rather than by `Stdio::piped()` so that its capacity is
/// set before the child writes: [`PIPE_CAPACITY`] on Linux (only a matter of speed: a pipe
/// that keeps the default, which the system's limits for an unprivileged user may impose,
/// works the same).
fn output_pipe() -> io::Result<(pipe::Receiver, usize, Stdio)> {
    let (ours, child) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    #[cfg(target_os = "linux")]
    let capacity = rustix::pipe::fcntl_setpipe_size(&ours, PIPE_CAPACITY)
        .or_else(|_| rustix::pipe::fcntl_getpipe_size(&ours))
        .unwrap_or(DEFAULT_PIPE_CAPACITY);
    #[cfg(not(target_os = "linux"))]
    let capacity = DEFAULT_PIPE_CAPACITY;
    Ok((
        pipe::Receiver::from_owned_fd(ours)?,
        capacity,
        Stdio::from(child),
    ))
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};
    let parent = getpid();
    // SAFETY: the closure runs in the forked child before exec; it makes two system calls
    // (prctl, getppid) through rustix, which are async-signal-safe, and allocates nothing on
    // its success path.
    unsafe {
        command.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::KILL))?;
            // The parent may have died between fork and prctl: then no signal will come.
            if getppid() != Some(parent) {
                return Err(io::Error::other(
                    "the session exited while the runtime was starting",
                ));
            }
            Ok(())
        });
    }
}
