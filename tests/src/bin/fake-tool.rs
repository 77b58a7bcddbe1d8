//! Imitates the shipper's build tools (`prometeuc build .`, `prometeu-packer validate`,
//! `prometeu-packer pack`): one binary serves every step, named by its first argument
//! (`fake-tool build`, `fake-tool pack-validation`, `fake-tool pack`).
//!
//! Its behaviour comes only from the environment, which tests set through the `[shipper] env`
//! table (never from the test process's own environment, which parallel tests share). The
//! variable `FAKE_TOOL_<STEP>` (`FAKE_TOOL_BUILD`, `FAKE_TOOL_PACK_VALIDATION`,
//! `FAKE_TOOL_PACK`) holds a script of actions separated by `;`, run in order:
//!
//! | action | what it does |
//! |---|---|
//! | `out:N` / `err:N` | N numbered lines (`<step> out 1` …) on stdout / stderr |
//! | `both:N` | N numbered 100-byte lines on each stream, interleaved, through full buffers |
//! | `say-out:TEXT` / `say-err:TEXT` | one line on stdout / stderr |
//! | `partial:TEXT` | TEXT on stdout with no line terminator, flushed |
//! | `bad-utf8` | a line with invalid UTF-8 on stdout |
//! | `long-line:N` | N bytes of `x` on stdout with no line terminator |
//! | `pid` | `pid=<its own pid>` on stdout |
//! | `linger:MS` | starts a grandchild in its group that holds its pipes and sleeps MS ms; prints `grandchild=<pid>` |
//! | `stubborn:MS` | the same, but the grandchild ignores SIGTERM; prints `stubborn=<pid>` |
//! | `escape:MS` | a grandchild that leaves the group (`setsid`), ignores SIGTERM, holds no pipe and sleeps MS ms; prints `escaped=<pid>` |
//! | `ignore-term` | the tool itself ignores SIGTERM from now on |
//! | `sleep:MS` | sleeps MS milliseconds |
//! | `marker` | creates `ran-<step>` in its working directory (the project root) |
//! | `manifest` | writes `build/manifest.json`, as a pack step that writes it would |
//! | `env:NAME` | prints `NAME=<value>` on stdout |
//! | `stdin` | reads stdin to its end and prints `stdin bytes=<n>` |
//! | `pipe-size` | prints `stdout pipe=<bytes> stderr pipe=<bytes>`, its pipes' capacities (Linux) |
//! | `exit:N` | exits with status N |
//! | `signal:NAME` | kills itself with SIGSEGV, SIGABRT or SIGKILL (no core dump) |
//!
//! Without the variable it does nothing and exits 0. `fake-tool --sleep MS` is the grandchild.
//! With `FAKE_TOOL_PID_FILE` set, it appends `tool <pid>` for itself and `grandchild <pid>` for
//! each grandchild to that file, so that a test can check that none of them outlives the run.

use std::io::{self, BufWriter, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode, Stdio};
use std::thread;
use std::time::Duration;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, millis] = args.as_slice() {
        if flag == "--sleep" {
            thread::sleep(Duration::from_millis(millis.parse().unwrap_or(60_000)));
            return ExitCode::SUCCESS;
        }
    }
    record_pid("tool", std::process::id());
    let step = args.first().cloned().unwrap_or_else(|| "build".to_owned());
    let variable = format!("FAKE_TOOL_{}", step.to_uppercase().replace('-', "_"));
    let script = std::env::var(&variable).unwrap_or_default();
    for action in script.split(';').filter(|action| !action.is_empty()) {
        let (name, argument) = action.split_once(':').unwrap_or((action, ""));
        if let Err(error) = perform(&step, name, argument) {
            eprintln!("fake-tool: {action}: {error}");
            return ExitCode::from(100);
        }
    }
    ExitCode::SUCCESS
}

fn perform(step: &str, name: &str, argument: &str) -> io::Result<()> {
    let number = || -> io::Result<u64> {
        argument
            .parse()
            .map_err(|_| io::Error::other(format!("{argument:?} is not a number")))
    };
    let mut stdout = io::stdout().lock();
    match name {
        "out" => {
            for index in 1..=number()? {
                writeln!(stdout, "{step} out {index}")?;
            }
        }
        "err" => {
            let mut stderr = io::stderr().lock();
            for index in 1..=number()? {
                writeln!(stderr, "{step} err {index}")?;
            }
        }
        "both" => {
            // Full 64 KiB buffers on both streams: each write fills a pipe, so a reader that
            // did not read both pipes at once would deadlock us.
            drop(stdout);
            let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
            let mut err = BufWriter::with_capacity(1 << 16, io::stderr().lock());
            for index in 1..=number()? {
                writeln!(out, "{step} out {index:>8} {}", "o".repeat(80))?;
                writeln!(err, "{step} err {index:>8} {}", "e".repeat(80))?;
            }
            out.flush()?;
            err.flush()?;
            return Ok(());
        }
        "say-out" => writeln!(stdout, "{argument}")?,
        "say-err" => writeln!(io::stderr().lock(), "{argument}")?,
        "partial" => {
            stdout.write_all(argument.as_bytes())?;
            stdout.flush()?;
        }
        "bad-utf8" => stdout.write_all(b"bad \xff\xfe bytes\n")?,
        "long-line" => {
            let chunk = vec![b'x'; 64 * 1024];
            let mut left = number()?;
            while left > 0 {
                let now = left.min(chunk.len() as u64);
                stdout.write_all(&chunk[..now as usize])?;
                left -= now;
            }
            stdout.flush()?;
        }
        "pid" => writeln!(stdout, "pid={}", std::process::id())?,
        "linger" => {
            let pid = spawn_grandchild(argument, Grandchild::Plain)?;
            writeln!(stdout, "grandchild={pid}")?;
        }
        "stubborn" => {
            let pid = spawn_grandchild(argument, Grandchild::Stubborn)?;
            writeln!(stdout, "stubborn={pid}")?;
        }
        "escape" => {
            let pid = spawn_grandchild(argument, Grandchild::Escaped)?;
            writeln!(stdout, "escaped={pid}")?;
        }
        "ignore-term" => ignore_sigterm()?,
        "sleep" => thread::sleep(Duration::from_millis(number()?)),
        "marker" => std::fs::write(format!("ran-{step}"), step)?,
        "manifest" => {
            std::fs::create_dir_all("build")?;
            std::fs::write("build/manifest.json", "{\"written_by\": \"pack\"}\n")?;
        }
        "env" => {
            let value = std::env::var(argument).unwrap_or_default();
            writeln!(stdout, "{argument}={value}")?;
        }
        "pipe-size" => {
            let size = |fd| rustix::pipe::fcntl_getpipe_size(fd).unwrap_or(0);
            let (out, err) = (size(io::stdout().as_fd()), size(io::stderr().as_fd()));
            writeln!(stdout, "stdout pipe={out} stderr pipe={err}")?;
        }
        "stdin" => {
            let mut input = Vec::new();
            io::stdin().lock().read_to_end(&mut input)?;
            writeln!(stdout, "stdin bytes={}", input.len())?;
        }
        "exit" => {
            stdout.flush()?;
            std::process::exit(i32::try_from(number()?).unwrap_or(1));
        }
        "signal" => {
            stdout.flush()?;
            die_by(argument)?;
        }
        other => return Err(io::Error::other(format!("unknown action {other:?}"))),
    }
    stdout.flush()
}

/// What kind of grandchild to start.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Grandchild {
    /// In our group, holding our stdout and stderr.
    Plain,
    /// The same, ignoring SIGTERM.
    Stubborn,
    /// In a session of its own (so outside our group), ignoring SIGTERM, holding no pipe.
    Escaped,
}

/// Starts `fake-tool --sleep MS` as a grandchild of the given kind.
fn spawn_grandchild(millis: &str, kind: Grandchild) -> io::Result<u32> {
    let mut command = Command::new(std::env::current_exe()?);
    command.args(["--sleep", millis]);
    if kind != Grandchild::Plain {
        // SAFETY: the closure runs in the forked child before exec and only calls signal(),
        // which is async-signal-safe. An ignored disposition survives exec.
        unsafe {
            command.pre_exec(|| {
                if libc::signal(libc::SIGTERM, libc::SIG_IGN) == libc::SIG_ERR {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    if kind == Grandchild::Escaped {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: as above; setsid is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    // Never waited for: it is meant to outlive us.
    let child = command.spawn()?;
    record_pid("grandchild", child.id());
    Ok(child.id())
}

fn record_pid(role: &str, pid: u32) {
    tests::record_pid("FAKE_TOOL_PID_FILE", role, pid);
}

fn ignore_sigterm() -> io::Result<()> {
    // SAFETY: installing SIG_IGN touches no memory of ours.
    if unsafe { libc::signal(libc::SIGTERM, libc::SIG_IGN) } == libc::SIG_ERR {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

fn die_by(name: &str) -> io::Result<()> {
    let signal = match name {
        "SEGV" => libc::SIGSEGV,
        "ABRT" => libc::SIGABRT,
        "KILL" => libc::SIGKILL,
        other => return Err(io::Error::other(format!("unknown signal {other:?}"))),
    };
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: setrlimit reads the struct we pass; raise has no memory-safety preconditions.
    unsafe {
        // No core file in the project directory: the test only wants the signal.
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    Err(io::Error::other("still alive after raising the signal"))
}
