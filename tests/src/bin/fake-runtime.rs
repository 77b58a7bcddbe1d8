//! Imitates the PROMETEU runtime (`prometeu run build`, `prometeu debug build`): in debug mode
//! it serves the DevTools protocol v1 (a handshake, then waiting for `start`) on a TCP address.
//! Tests make it misbehave in every way the runtime adapter must survive, driven only by
//! environment variables (set through the adapter's `env` setting, never the test process's own
//! environment, which parallel tests share):
//!
//! | variable | effect |
//! |---|---|
//! | `FAKE_RT_PID_FILE` | append `runtime <pid>` and `grandchild <pid>` lines to this file |
//! | `FAKE_RT_PRINT_CONTEXT=1` | print `cwd=…`, `args=…`, `stdin=<bytes read>` on stdout |
//! | `FAKE_RT_STDOUT_LINES=N` / `FAKE_RT_STDERR_LINES=N` | `stdout line <i>` / `stderr line <i>`, interleaved, at full speed |
//! | `FAKE_RT_INVALID_UTF8=1` | a stdout line with invalid UTF-8 bytes |
//! | `FAKE_RT_LONG_LINE=N` | a stdout line of N `x`, then `after the long line` |
//! | `FAKE_RT_GRANDCHILD=group\|setsid` | start a sleeping grandchild, in the group or in its own session; a comma-separated list starts one of each (`group,group,setsid`) |
//! | `FAKE_RT_GRANDCHILD_STDIO=inherit\|null` | whether the grandchild holds the output pipes (default inherit) |
//! | `FAKE_RT_GRANDCHILD_ON_TERM=ignore` | the grandchildren ignore SIGTERM |
//! | `FAKE_RT_ORPHANS=N` | after `ready`, start N short-lived background jobs that our own children leave behind (`sh -c 'sleep 0.1 &'`, each recorded as `orphan <pid>`), then say `fake-runtime: orphans started` |
//! | `FAKE_RT_STOP_SELF=1` | after `ready` (and the orphans), stop ourselves with SIGSTOP, as a process reading the terminal from the background would be |
//! | `FAKE_RT_ON_TERM=default\|ignore\|exit` | SIGTERM: die, say `fake-runtime: ignoring SIGTERM` and go on, or say `fake-runtime: exiting on SIGTERM` and exit 0 |
//! | `FAKE_RT_RUN_FOR=<ms>\|forever` | how long to live after the rest (default 0 in run mode, forever in debug mode) |
//! | `FAKE_RT_LAST_WORDS=text` | written to stderr just before the end |
//! | `FAKE_RT_SIGNAL=SEGV` | die by this signal at the end (a name with or without `SIG`, or a number) |
//! | `FAKE_RT_EXIT_CODE=n` | exit status at the end (default 0) |
//! | `FAKE_RT_DEVTOOLS_ADDR=ip:port` | debug mode: where to listen (required) |
//! | `FAKE_RT_LISTEN_DELAY_MS=n` | debug mode: wait before listening |
//! | `FAKE_RT_HANDSHAKE=mode` | `ok` (default), `minimal`, `version2`, `version-string`, `garbage`, `not-handshake`, `long`, `close` (accept and close), `silent` (accept, never send), `never-listen` |
//! | `FAKE_RT_HANDSHAKE_LINE=text` | send this as the first message instead |
//! | `FAKE_RT_DEVTOOLS_SEND=text` | sent as is after `start` was received |
//! | `FAKE_RT_AFTER_START=stay\|close` | keep the socket open (default) or close it after sending |
//! | `FAKE_RT_DEVTOOLS_HOLDER=1` | after `start`, fork a `holder` that leaves the group (`setsid`) and keeps the socket open, silent, forever |
//!
//! Every run prints `fake-runtime: ready` on stdout once its signal handling and grandchild are
//! in place, and `fake-runtime: cartridge started` after receiving `start`.

use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

const FULL_HANDSHAKE: &str = r#"{"type":"handshake","protocol_version":1,"runtime_version":"0.1.0","cartridge":{"app_id":1,"title":"ColorSquare","app_version":"1.0.0","app_mode":"Debug"}}"#;

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

fn number(name: &str) -> u64 {
    var(name).and_then(|value| value.parse().ok()).unwrap_or(0)
}

fn say_out(text: &str) {
    let mut out = io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

fn say_err(text: &str) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

fn main() -> ExitCode {
    if var("FAKE_RT_ROLE").as_deref() == Some("sleeper") {
        sleep_forever();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let debug = match args.as_slice() {
        [mode, build] if mode == "run" && build == "build" => false,
        [mode, build] if mode == "debug" && build == "build" => true,
        _ => {
            say_err("usage: fake-runtime run|debug build");
            return ExitCode::from(64);
        }
    };
    record_pid("runtime", std::process::id());
    install_term_handling();
    if let Some(kinds) = var("FAKE_RT_GRANDCHILD") {
        for kind in kinds.split(',') {
            start_grandchild(kind);
        }
    }
    if var("FAKE_RT_PRINT_CONTEXT").is_some() {
        print_context(&args);
    }
    write_output();
    say_out("fake-runtime: ready");
    let orphans = number("FAKE_RT_ORPHANS");
    if orphans > 0 {
        start_orphans(orphans);
    }
    if var("FAKE_RT_STOP_SELF").is_some() {
        // SAFETY: raise has no memory-safety preconditions.
        unsafe { libc::raise(libc::SIGSTOP) };
    }

    // Held until the end, so that the socket stays open while we linger.
    let mut _connection = None;
    if debug {
        match serve_devtools() {
            Ok(connection) => _connection = connection,
            Err(error) => {
                say_err(&format!("fake-runtime: DevTools: {error}"));
                return ExitCode::from(70);
            }
        }
    }
    linger(debug);
    end()
}

fn record_pid(role: &str, pid: u32) {
    tests::record_pid("FAKE_RT_PID_FILE", role, pid);
}

fn print_context(args: &[String]) {
    let cwd = std::env::current_dir()
        .map(|dir| dir.display().to_string())
        .unwrap_or_default();
    let mut stdin = Vec::new();
    let read = io::stdin().read_to_end(&mut stdin).map_or(-1, |n| n as i64);
    say_out(&format!("cwd={cwd}"));
    say_out(&format!("args={}", args.join(" ")));
    say_out(&format!("stdin={read}"));
}

fn write_output() {
    let stdout_lines = number("FAKE_RT_STDOUT_LINES");
    let stderr_lines = number("FAKE_RT_STDERR_LINES");
    {
        // Both pipes at full speed, alternating in 64 KiB writes: a reader that drained only
        // one of them would leave us blocked on the other.
        let mut out = BufWriter::with_capacity(64 * 1024, io::stdout().lock());
        let mut err = BufWriter::with_capacity(64 * 1024, io::stderr().lock());
        for i in 0..stdout_lines.max(stderr_lines) {
            if i < stdout_lines {
                let _ = writeln!(out, "stdout line {i}");
            }
            if i < stderr_lines {
                let _ = writeln!(err, "stderr line {i}");
            }
        }
        let _ = out.flush();
        let _ = err.flush();
    }
    let mut out = io::stdout().lock();
    if var("FAKE_RT_INVALID_UTF8").is_some() {
        let _ = out.write_all(b"invalid \xff\xfe utf-8\n");
    }
    let long = number("FAKE_RT_LONG_LINE");
    if long > 0 {
        let _ = out.write_all(&vec![b'x'; long as usize]);
        let _ = out.write_all(b"\nafter the long line\n");
    }
    let _ = out.flush();
}

fn start_grandchild(kind: &str) {
    let Ok(me) = std::env::current_exe() else {
        say_err("fake-runtime: cannot find my own executable");
        return;
    };
    let mut command = Command::new(me);
    command.env("FAKE_RT_ROLE", "sleeper").stdin(Stdio::null());
    if var("FAKE_RT_GRANDCHILD_STDIO").as_deref() == Some("null") {
        command.stdout(Stdio::null()).stderr(Stdio::null());
    }
    if var("FAKE_RT_GRANDCHILD_ON_TERM").as_deref() == Some("ignore") {
        use std::os::unix::process::CommandExt;
        // SAFETY: signal is async-signal-safe; an ignored disposition survives exec.
        unsafe {
            command.pre_exec(|| {
                if libc::signal(libc::SIGTERM, libc::SIG_IGN) == libc::SIG_ERR {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    if kind == "setsid" {
        use std::os::unix::process::CommandExt;
        // SAFETY: setsid is async-signal-safe and touches no memory of ours.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    match command.spawn() {
        // Never waited for: it is meant to outlive us.
        Ok(child) => record_pid("grandchild", child.id()),
        Err(error) => say_err(&format!("fake-runtime: cannot start a grandchild: {error}")),
    }
}

/// Each job is a shell that starts `sleep` in the background and exits at once: the `sleep` is
/// orphaned, so a subreaper above us adopts it, and must reap it when it exits.
fn start_orphans(count: u64) {
    for _ in 0..count {
        let status = Command::new("sh")
            .args([
                "-c",
                r#"sleep 0.1 & echo "orphan $!" >> "${FAKE_RT_PID_FILE:-/dev/null}""#,
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status();
        if let Err(error) = status {
            say_err(&format!(
                "fake-runtime: cannot start a background job: {error}"
            ));
            return;
        }
    }
    say_out("fake-runtime: orphans started");
}

extern "C" fn ignore_term(_: libc::c_int) {
    const MESSAGE: &[u8] = b"fake-runtime: ignoring SIGTERM\n";
    // SAFETY: write is async-signal-safe; the buffer is a static.
    unsafe { libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len()) };
}

extern "C" fn exit_on_term(_: libc::c_int) {
    const MESSAGE: &[u8] = b"fake-runtime: exiting on SIGTERM\n";
    // SAFETY: write and _exit are async-signal-safe; the buffer is a static.
    unsafe {
        libc::write(2, MESSAGE.as_ptr().cast(), MESSAGE.len());
        libc::_exit(0);
    }
}

fn install_term_handling() {
    let handler: extern "C" fn(libc::c_int) = match var("FAKE_RT_ON_TERM").as_deref() {
        Some("ignore") => ignore_term,
        Some("exit") => exit_on_term,
        _ => return,
    };
    // SAFETY: installing a handler that only calls async-signal-safe functions.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        libc::sigaction(libc::SIGTERM, &action, std::ptr::null_mut());
    }
}

/// Serves the DevTools side of the handshake. Returns the connection to keep open, if any.
fn serve_devtools() -> io::Result<Option<TcpStream>> {
    let address = var("FAKE_RT_DEVTOOLS_ADDR")
        .ok_or_else(|| io::Error::other("FAKE_RT_DEVTOOLS_ADDR is not set"))?;
    let mode = var("FAKE_RT_HANDSHAKE").unwrap_or_else(|| "ok".to_owned());
    std::thread::sleep(Duration::from_millis(number("FAKE_RT_LISTEN_DELAY_MS")));
    if mode == "never-listen" {
        return Ok(None);
    }
    let listener = TcpListener::bind(&address)?;
    say_out(&format!("fake-runtime: DevTools listening on {address}"));
    let (mut stream, _) = listener.accept()?;
    // The real runtime serves one client; a second one would find nobody listening.
    drop(listener);
    let first = match (var("FAKE_RT_HANDSHAKE_LINE"), mode.as_str()) {
        (Some(line), _) => line,
        (None, "close") => return Ok(None),
        (None, "silent") => return Ok(Some(stream)),
        (None, "minimal") => r#"{"type":"handshake","protocol_version":1}"#.to_owned(),
        (None, "version2") => {
            r#"{"type":"handshake","protocol_version":2,"runtime_version":"0.9.0"}"#.to_owned()
        }
        (None, "version-string") => {
            r#"{"type":"handshake","protocol_version":"1.4","runtime_version":"0.1.4"}"#.to_owned()
        }
        (None, "garbage") => "this is not json {".to_owned(),
        (None, "not-handshake") => r#"{"type":"hello","protocol_version":1}"#.to_owned(),
        (None, "long") => format!(
            r#"{{"type":"handshake","protocol_version":1,"cartridge":{{"title":"{}"}}}}"#,
            "x".repeat(100_000)
        ),
        (None, _) => FULL_HANDSHAKE.to_owned(),
    };
    stream.write_all(first.as_bytes())?;
    stream.write_all(b"\n")?;
    let mut answer = String::new();
    BufReader::new(&stream).read_line(&mut answer)?;
    if answer.is_empty() {
        say_err("fake-runtime: the client closed the connection before start");
        return Ok(None);
    }
    let answer = answer.trim_end();
    if answer != r#"{"type":"start"}"# && answer != r#"{"type":"ok"}"# {
        return Err(io::Error::other(format!("unexpected answer {answer:?}")));
    }
    say_out("fake-runtime: cartridge started");
    if let Some(text) = var("FAKE_RT_DEVTOOLS_SEND") {
        stream.write_all(text.as_bytes())?;
        stream.flush()?;
    }
    if var("FAKE_RT_DEVTOOLS_HOLDER").is_some() {
        fork_socket_holder();
    }
    if var("FAKE_RT_AFTER_START").as_deref() == Some("close") {
        return Ok(None);
    }
    Ok(Some(stream))
}

/// Forks (without exec, so that the socket is inherited) a process that leaves our group and
/// holds the DevTools socket open, silent, until it is killed. Its stdio goes to the null
/// device so that it holds no output pipe.
fn fork_socket_holder() {
    // SAFETY: we are single-threaded here, and the child only calls async-signal-safe
    // functions (setsid, open, dup2, pause, _exit) before it is killed.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: as above; the path is a static NUL-terminated string.
        unsafe {
            libc::setsid();
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            if null >= 0 {
                libc::dup2(null, 0);
                libc::dup2(null, 1);
                libc::dup2(null, 2);
            }
            loop {
                libc::pause();
            }
        }
    }
    if pid > 0 {
        record_pid("holder", pid as u32);
    } else {
        say_err("fake-runtime: cannot fork a socket holder");
    }
}

fn linger(debug: bool) {
    match var("FAKE_RT_RUN_FOR").as_deref() {
        Some("forever") => sleep_forever(),
        Some(millis) => std::thread::sleep(Duration::from_millis(millis.parse().unwrap_or(0))),
        None if debug => sleep_forever(),
        None => {}
    }
}

fn sleep_forever() -> ! {
    loop {
        std::thread::sleep(Duration::from_secs(3600));
    }
}

fn end() -> ExitCode {
    if let Some(words) = var("FAKE_RT_LAST_WORDS") {
        say_err(&words);
    }
    if let Some(signal) = var("FAKE_RT_SIGNAL") {
        die_by(&signal);
    }
    let code = var("FAKE_RT_EXIT_CODE")
        .and_then(|code| code.parse::<u8>().ok())
        .unwrap_or(0);
    ExitCode::from(code)
}

fn die_by(name: &str) {
    let name = name.trim_start_matches("SIG");
    let signal = match name {
        "HUP" => libc::SIGHUP,
        "INT" => libc::SIGINT,
        "QUIT" => libc::SIGQUIT,
        "ABRT" => libc::SIGABRT,
        "KILL" => libc::SIGKILL,
        "SEGV" => libc::SIGSEGV,
        "TERM" => libc::SIGTERM,
        "USR1" => libc::SIGUSR1,
        other => other.parse().unwrap_or(libc::SIGKILL),
    };
    let _ = io::stdout().flush();
    // SAFETY: plain libc calls with valid arguments. No core file: the death is the point, a
    // dump would only cost time. The default action replaces Rust's own SIGSEGV handler.
    unsafe {
        let no_core = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(signal, libc::SIG_DFL);
        libc::raise(signal);
    }
    say_err("fake-runtime: the signal did not end me");
    std::process::exit(1);
}
