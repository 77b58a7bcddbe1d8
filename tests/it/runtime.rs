//! adapter-runtime against the real fake runtime: output, ends, stops, leftovers, spawn
//! failures and the DevTools handshake. Every test ends by checking, pid by pid, that nothing
//! it started is still alive.

#[path = "runtime_support.rs"]
mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use adapter_runtime::{RuntimePathError, check_runtime_path};
use session_domain::{
    Failure, HandshakeFailure, PortFailure, RuntimeEnd, Severity, Signal, Source, Stream,
    Termination,
};

use support::{
    Fake, Launched, Line, assert_dead, assert_nothing_survives, free_address, messages, position,
    read_pids,
};

fn exit_code(code: i32) -> Termination {
    Termination::from_code(code)
}

fn signal(number: i32) -> Termination {
    Termination::from_signal(Signal::from_number(number).expect("a signal"))
}

/// Launches, expects `ready()` to succeed, waits for the end; returns the end, the lines and
/// the runtime's pid.
async fn run_to_end(fake: &Fake) -> (RuntimeEnd, Vec<Line>, u32) {
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the runtime starts");
    let end = launched.wait().await;
    (end, launched.lines().await, info.pid)
}

/// Launches, expects `ready()` to fail; returns the end and the lines.
async fn fail_to_start(fake: &Fake) -> (PortFailure, Vec<Line>) {
    let launched = fake.launch().await;
    let end = launched.ready().await.expect_err("the launch fails");
    assert_eq!(
        launched.wait().await,
        end,
        "wait() repeats how ready() ended"
    );
    let RuntimeEnd::LaunchFailed(failure) = end else {
        panic!("expected a failed launch, got {end:?}");
    };
    (failure, launched.lines().await)
}

// ---------------------------------------------------------------------------------------------
// Run mode: output.

#[tokio::test]
async fn reads_both_streams_in_order_and_tells_the_start() {
    let fake = Fake::run()
        .env("FAKE_RT_STDOUT_LINES", "3000")
        .env("FAKE_RT_STDERR_LINES", "3000");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(Termination::Success));

    let stdout = messages(&lines, Source::Runtime, Some(Stream::Stdout));
    let expected_stdout: Vec<String> = (0..3000)
        .map(|i| format!("stdout line {i}"))
        .chain(["fake-runtime: ready".to_owned()])
        .collect();
    assert_eq!(stdout, expected_stdout);
    let stderr = messages(&lines, Source::Runtime, Some(Stream::Stderr));
    let expected_stderr: Vec<String> = (0..3000).map(|i| format!("stderr line {i}")).collect();
    assert_eq!(stderr, expected_stderr);
    assert!(lines.iter().all(|line| match line.stream {
        Some(Stream::Stdout) => line.severity == Severity::Info,
        Some(Stream::Stderr) => line.severity == Severity::Warn,
        _ => line.is_session(),
    }));

    let started = format!(
        "runtime: started `{} run build` (pid {pid})",
        support::FAKE_RUNTIME
    );
    assert_eq!(lines[0].message, started, "the first line tells the start");
    assert_eq!(lines[0].severity, Severity::Info);
    let last = lines.last().expect("lines");
    assert!(last.is_session() && last.message.starts_with("runtime exited: exit 0"));
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn runs_in_the_project_root_with_stdin_closed_and_the_configured_environment() {
    let fake = Fake::run().env("FAKE_RT_PRINT_CONTEXT", "1");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(Termination::Success));
    let stdout = messages(&lines, Source::Runtime, Some(Stream::Stdout));
    let root = fake.dir.path().canonicalize().expect("canonical root");
    assert!(
        stdout.contains(&format!("cwd={}", root.display())),
        "{stdout:?}"
    );
    assert!(stdout.contains(&"args=run build".to_owned()), "{stdout:?}");
    assert!(stdout.contains(&"stdin=0".to_owned()), "{stdout:?}");
    // The environment reached it: it wrote the pid file it was told about.
    assert_eq!(
        fake.recorded_pids(),
        vec![("runtime".to_owned(), pid as i32)]
    );
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn replaces_invalid_utf8_and_cuts_long_lines() {
    let fake = Fake::run()
        .max_line(1024)
        .env("FAKE_RT_INVALID_UTF8", "1")
        .env("FAKE_RT_LONG_LINE", "300000");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(Termination::Success));
    let stdout: Vec<&Line> = lines
        .iter()
        .filter(|line| line.stream == Some(Stream::Stdout))
        .collect();
    assert_eq!(stdout[0].message, "invalid \u{fffd}\u{fffd} utf-8");
    assert_eq!(stdout[1].message, "x".repeat(1024));
    assert!(stdout[1].truncated);
    assert_eq!(stdout[2].message, "after the long line");
    assert!(!stdout[2].truncated);
    let warning = &lines[position(&lines, "1 line was longer than 1024 bytes")];
    assert!(warning.is_session());
    assert_eq!(warning.severity, Severity::Warn);
    assert_nothing_survives(&fake, Some(pid));
}

// ---------------------------------------------------------------------------------------------
// Run mode: how it ends on its own.

#[tokio::test]
async fn last_words_come_before_the_end_with_its_exit_code() {
    let fake = Fake::run()
        .env("FAKE_RT_STDOUT_LINES", "500")
        .env("FAKE_RT_LAST_WORDS", "fatal: out of cartridge memory")
        .env("FAKE_RT_EXIT_CODE", "3");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(exit_code(3)));
    let words = position(&lines, "fatal: out of cartridge memory");
    let told = position(&lines, "runtime failed: exit 3");
    assert!(words < told);
    assert_eq!(lines[told].severity, Severity::Error);
    assert_eq!(told, lines.len() - 1, "the end is the last thing told");
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn a_crash_by_signal_is_a_signal_not_a_code() {
    let fake = Fake::run()
        .env("FAKE_RT_LAST_WORDS", "about to crash")
        .env("FAKE_RT_SIGNAL", "SEGV");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(signal(libc::SIGSEGV)));
    assert!(position(&lines, "about to crash") < position(&lines, "killed by SIGSEGV"));
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn leftovers_in_the_group_are_ended_and_the_exit_status_decides() {
    // The grandchild stays in the group and holds the pipes open after the runtime exits 0.
    let fake = Fake::run().env("FAKE_RT_GRANDCHILD", "group");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(Termination::Success));
    let grandchild = fake
        .recorded_pids()
        .into_iter()
        .find(|(role, _)| role == "grandchild")
        .map(|(_, pid)| pid)
        .expect("a grandchild was started");
    let warning = &lines[position(&lines, "left processes")];
    assert!(
        warning.message.contains(&grandchild.to_string()),
        "{warning:?}"
    );
    assert_eq!(warning.severity, Severity::Warn);
    position(&lines, "SIGTERM sent to process group");
    assert_nothing_survives(&fake, Some(pid));
}

// ---------------------------------------------------------------------------------------------
// Run mode: stops.

async fn launch_and_wait_until_up(fake: &Fake) -> (Launched, u32) {
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the runtime starts");
    launched.line_containing("fake-runtime: ready").await;
    (launched, info.pid)
}

#[tokio::test]
async fn stop_ends_a_runtime_that_honours_sigterm() {
    let fake = Fake::run()
        .env("FAKE_RT_RUN_FOR", "forever")
        .env("FAKE_RT_ON_TERM", "exit");
    let (launched, pid) = launch_and_wait_until_up(&fake).await;
    launched.handle.stop();
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    let lines = launched.lines().await;
    let term = position(&lines, "SIGTERM sent to process group");
    let said = position(&lines, "fake-runtime: exiting on SIGTERM");
    let empty = position(&lines, "is empty");
    let stopped = position(&lines, "runtime stopped: exit 0");
    assert!(term < said && said < stopped && empty < stopped);
    assert!(lines.iter().all(|line| !line.message.contains("SIGKILL")));
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn stop_keeps_reading_during_the_grace_then_kills_the_group() {
    let fake = Fake::run()
        .stop_grace(Duration::from_millis(300))
        .env("FAKE_RT_RUN_FOR", "forever")
        .env("FAKE_RT_ON_TERM", "ignore")
        .env("FAKE_RT_GRANDCHILD", "group")
        .env("FAKE_RT_GRANDCHILD_STDIO", "null");
    let (launched, pid) = launch_and_wait_until_up(&fake).await;
    launched.handle.stop();
    // A second stop is harmless and never escalates.
    launched.handle.stop();
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    let lines = launched.lines().await;
    let ignoring = position(&lines, "fake-runtime: ignoring SIGTERM");
    let expired = position(&lines, "stop grace of 300 ms expired");
    let kill = position(&lines, "SIGKILL sent to process group");
    let stopped = position(&lines, "runtime stopped: killed by SIGKILL");
    assert!(ignoring < expired && expired < kill && kill < stopped);
    assert_eq!(lines[expired].severity, Severity::Warn);
    assert_eq!(lines[kill].severity, Severity::Warn);
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn kill_now_skips_the_grace() {
    // A grace far longer than PATIENCE: only kill_now can end this test in time.
    let fake = Fake::run()
        .stop_grace(Duration::from_secs(600))
        .env("FAKE_RT_RUN_FOR", "forever")
        .env("FAKE_RT_ON_TERM", "ignore");
    let (launched, pid) = launch_and_wait_until_up(&fake).await;
    launched.handle.kill_now();
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    let lines = launched.lines().await;
    position(&lines, "SIGKILL sent to process group");
    assert!(
        lines
            .iter()
            .all(|line| !line.message.contains("SIGTERM sent"))
    );
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn kill_now_during_the_grace_of_a_stop() {
    let fake = Fake::run()
        .stop_grace(Duration::from_secs(600))
        .env("FAKE_RT_RUN_FOR", "forever")
        .env("FAKE_RT_ON_TERM", "ignore");
    let (launched, pid) = launch_and_wait_until_up(&fake).await;
    launched.handle.stop();
    launched
        .line_containing("fake-runtime: ignoring SIGTERM")
        .await;
    launched.handle.kill_now();
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    let lines = launched.lines().await;
    assert!(
        position(&lines, "SIGTERM sent to process group")
            < position(&lines, "SIGKILL sent to process group")
    );
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn a_stop_right_after_launch_still_reaps_everything() {
    let fake = Fake::run().env("FAKE_RT_RUN_FOR", "forever");
    let launched = fake.launch().await;
    launched.handle.stop();
    let ready = launched.ready().await;
    let end = launched.wait().await;
    assert_eq!(end, RuntimeEnd::Stopped);
    if let Err(not_ready) = &ready {
        assert_eq!(not_ready, &RuntimeEnd::Stopped);
    }
    launched.lines().await;
    assert_nothing_survives(&fake, ready.ok().map(|info| info.pid));
}

// ---------------------------------------------------------------------------------------------
// Spawn failures: the same four problems the up-front check reports, at stage `spawn`.

#[tokio::test]
async fn spawn_failures_name_the_path() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let not_executable = scratch.path().join("plain");
    std::fs::write(&not_executable, "#!/bin/sh\n").expect("write");
    std::fs::set_permissions(&not_executable, std::fs::Permissions::from_mode(0o644))
        .expect("chmod");
    let missing = scratch.path().join("missing/prometeu");
    let cases: [(&Path, &str); 4] = [
        (&missing, "does not exist"),
        (scratch.path(), "is a directory"),
        (&not_executable, "is not executable"),
        (Path::new("no-such-prometeu-runtime"), "not found on PATH"),
    ];
    for (program, problem) in cases {
        let check = check_runtime_path(program, Path::new("/"), None);
        assert!(check.is_err(), "{program:?}");
        let fake = Fake::run().program(program);
        let (failure, lines) = fail_to_start(&fake).await;
        assert_eq!(failure.failure, Failure::RuntimeSpawn);
        assert!(failure.reason.contains(problem), "{}", failure.reason);
        let name = program.display().to_string();
        assert!(
            failure.reason.contains(&name),
            "{} / {name}",
            failure.reason
        );
        let told = lines.last().expect("the failure is told");
        assert!(told.is_session() && told.severity == Severity::Error);
        assert!(told.message.contains(&failure.reason));
        assert!(fake.recorded_pids().is_empty(), "nothing was started");
    }
    assert_eq!(
        check_runtime_path(Path::new(""), Path::new("/"), None),
        Err(RuntimePathError::Missing)
    );
}

// ---------------------------------------------------------------------------------------------
// Debug mode: the handshake.

#[tokio::test]
async fn debug_handshake_runs_the_cartridge_and_logs_devtools_messages() {
    // Cut at 256 bytes: longer than the handshake, shorter than this message.
    let long_prefix = r#"{"type":"log","message":""#;
    let long = format!("{long_prefix}{}\"}}", "y".repeat(400));
    let send = [
        r#"{"type":"log","level":"error","message":"boom"}"#,
        r#"{"type":"log","level":"debug","text":"first\nsecond"}"#,
        r#"{"type":"breakpoint","pc":12,"frame":{"b":2,"a":1}}"#,
        "not json at all",
        &long,
        r#"{"type":"log","level":"warning","message":"after the long one"}"#,
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    let fake = Fake::debug()
        .max_line(256)
        .env("FAKE_RT_DEVTOOLS_SEND", &send)
        .env("FAKE_RT_ON_TERM", "exit");
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the handshake completes");
    assert_eq!(info.version.as_deref(), Some("0.1.0"));
    let cartridge = info.cartridge.clone().expect("a cartridge");
    assert_eq!(cartridge.title.as_deref(), Some("ColorSquare"));
    assert_eq!(cartridge.app_id, Some(1));
    launched
        .line_containing("fake-runtime: cartridge started")
        .await;
    launched.line_containing("after the long one").await;
    launched.handle.stop();
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    let lines = launched.lines().await;

    assert_eq!(
        lines[position(&lines, "connected")].message,
        "runtime 0.1.0 connected, running ColorSquare (app 1, version 1.0.0, mode Debug)"
    );
    assert!(
        position(&lines, "started `") < position(&lines, "connected"),
        "the spawn is told first"
    );
    assert!(
        lines[position(&lines, "started `")]
            .message
            .contains("debug build")
    );
    let devtools: Vec<(Severity, &str, bool)> = lines
        .iter()
        .filter(|line| line.stream == Some(Stream::Devtools))
        .map(|line| {
            assert_eq!(line.source, Source::Runtime);
            (line.severity, line.message.as_str(), line.truncated)
        })
        .collect();
    let long_cut = &format!("{long_prefix}{}", "y".repeat(256 - long_prefix.len()));
    assert_eq!(
        devtools,
        vec![
            (Severity::Error, "boom", false),
            (Severity::Debug, "first", false),
            (Severity::Debug, "second", false),
            (
                Severity::Debug,
                r#"{"type":"breakpoint","pc":12,"frame":{"b":2,"a":1}}"#,
                false
            ),
            (Severity::Warn, "not json at all", false),
            (Severity::Warn, long_cut.as_str(), true),
            (Severity::Warn, "after the long one", false),
        ]
    );
    assert_nothing_survives(&fake, Some(info.pid));
}

#[tokio::test]
async fn debug_waits_for_a_runtime_slow_to_listen() {
    let fake = Fake::debug()
        .env("FAKE_RT_LISTEN_DELAY_MS", "700")
        .env("FAKE_RT_HANDSHAKE", "version-string")
        .env("FAKE_RT_RUN_FOR", "0");
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the handshake completes");
    assert_eq!(info.version.as_deref(), Some("0.1.4"));
    assert_eq!(info.cartridge, None);
    assert_eq!(
        launched.wait().await,
        RuntimeEnd::Exited(Termination::Success)
    );
    let lines = launched.lines().await;
    position(
        &lines,
        "runtime 0.1.4 connected, running an unknown cartridge",
    );
    position(&lines, "fake-runtime: cartridge started");
    assert!(
        lines
            .iter()
            .all(|line| !line.message.contains("DevTools connection closed")),
        "the process exited with its socket: nothing to say about the socket"
    );
    assert_nothing_survives(&fake, Some(info.pid));
}

#[tokio::test]
async fn debug_minimal_handshake_reports_unknowns() {
    let fake = Fake::debug()
        .env("FAKE_RT_HANDSHAKE", "minimal")
        .env("FAKE_RT_RUN_FOR", "0")
        .env("FAKE_RT_EXIT_CODE", "5");
    let (end, lines, pid) = run_to_end(&fake).await;
    assert_eq!(end, RuntimeEnd::Exited(exit_code(5)));
    position(
        &lines,
        "runtime (version unknown) connected, running an unknown cartridge",
    );
    assert_nothing_survives(&fake, Some(pid));
}

#[tokio::test]
async fn debug_socket_closed_after_the_handshake_is_a_warning_and_the_run_goes_on() {
    let fake = Fake::debug()
        .env("FAKE_RT_AFTER_START", "close")
        .env("FAKE_RT_ON_TERM", "exit");
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the handshake completes");
    let warning = launched.line_containing("DevTools connection closed").await;
    assert!(warning.source == Source::Session && warning.severity == Severity::Warn);
    launched.handle.stop();
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    launched.lines().await;
    assert_nothing_survives(&fake, Some(info.pid));
}

#[tokio::test]
async fn debug_a_socket_held_open_outside_the_group_does_not_hold_the_run() {
    let fake = Fake::debug()
        .env("FAKE_RT_DEVTOOLS_HOLDER", "1")
        .env(
            "FAKE_RT_DEVTOOLS_SEND",
            "{\"type\":\"log\",\"message\":\"last message\"}\n",
        )
        .env("FAKE_RT_RUN_FOR", "0");
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the handshake completes");
    let end = launched.wait().await;
    let lines = launched.lines().await;
    // Without a subreaper the holder is out of the adapter's reach: this test ends it.
    let holder: Vec<i32> = fake
        .recorded_pids()
        .into_iter()
        .filter(|(role, _)| role == "holder")
        .map(|(_, pid)| pid)
        .collect();
    for &pid in &holder {
        tests::send_signal(pid, libc::SIGKILL);
    }
    support::wait_until_dead(&holder);
    assert_eq!(holder.len(), 1, "a holder was forked");
    assert_eq!(end, RuntimeEnd::Exited(Termination::Success));
    let last = position(&lines, "last message");
    let given_up = position(&lines, "DevTools socket is held open by a process outside");
    assert!(last < given_up);
    assert_eq!(lines[given_up].severity, Severity::Warn);
    assert_nothing_survives(&fake, Some(info.pid));
}

/// Launches a debug runtime that must fail its handshake with `cause`; checks the failure,
/// that the group was ended before the failure was told, and that nothing survives.
async fn handshake_fails(fake: Fake, cause: HandshakeFailure) -> (PortFailure, Vec<Line>) {
    let (failure, lines) = fail_to_start(&fake).await;
    assert_eq!(
        failure.failure,
        Failure::Handshake(cause),
        "{}",
        failure.reason
    );
    let told = position(&lines, "runtime failed to start");
    assert_eq!(
        told,
        lines.len() - 1,
        "the failure is told last: {lines:#?}"
    );
    assert_eq!(lines[told].severity, Severity::Error);
    assert!(lines[told].message.contains(&failure.reason));
    if !matches!(cause, HandshakeFailure::Exited(_)) {
        let empty = position(&lines, "is empty");
        assert!(
            empty < told,
            "the group is ended before the failure is told"
        );
    }
    assert!(
        lines
            .iter()
            .all(|line| !line.message.contains("cartridge started")),
        "the cartridge never runs"
    );
    assert_nothing_survives(&fake, None);
    (failure, lines)
}

#[tokio::test]
async fn debug_version_mismatch_names_both_versions() {
    let fake = Fake::debug().env("FAKE_RT_HANDSHAKE", "version2");
    let (failure, _) = handshake_fails(fake, HandshakeFailure::VersionMismatch).await;
    assert!(failure.reason.contains("version 2"), "{}", failure.reason);
    assert!(failure.reason.contains("version 1"), "{}", failure.reason);
}

#[tokio::test]
async fn debug_garbage_is_a_bad_handshake_quoting_it() {
    let fake = Fake::debug().env("FAKE_RT_HANDSHAKE", "garbage");
    let (failure, _) = handshake_fails(fake, HandshakeFailure::BadHandshake).await;
    assert!(
        failure.reason.contains("this is not json {"),
        "{}",
        failure.reason
    );
}

#[tokio::test]
async fn debug_a_message_that_is_not_a_handshake_is_bad() {
    let fake = Fake::debug()
        .env("FAKE_RT_HANDSHAKE", "not-handshake")
        .env("FAKE_RT_ON_TERM", "ignore")
        .stop_grace(Duration::from_millis(200));
    let (failure, lines) = handshake_fails(fake, HandshakeFailure::BadHandshake).await;
    assert!(failure.reason.contains("\"hello\""), "{}", failure.reason);
    // It ignored SIGTERM: the group was ended the whole way, as for a stop.
    assert!(position(&lines, "SIGKILL sent") < position(&lines, "is empty"));
}

#[tokio::test]
async fn debug_an_over_long_first_message_is_bad() {
    let fake = Fake::debug()
        .max_line(4096)
        .env("FAKE_RT_HANDSHAKE", "long");
    let (failure, _) = handshake_fails(fake, HandshakeFailure::BadHandshake).await;
    assert!(
        failure.reason.contains("longer than 4096 bytes"),
        "{}",
        failure.reason
    );
    assert!(
        failure.reason.len() < 600,
        "the quote is short: {}",
        failure.reason
    );
}

#[tokio::test]
async fn debug_socket_closed_by_a_live_runtime_is_closed() {
    let fake = Fake::debug().env("FAKE_RT_HANDSHAKE", "close");
    handshake_fails(fake, HandshakeFailure::Closed).await;
}

#[tokio::test]
async fn debug_socket_closed_by_an_exiting_runtime_is_exited_with_its_code() {
    let fake = Fake::debug()
        .env("FAKE_RT_HANDSHAKE", "close")
        .env("FAKE_RT_RUN_FOR", "0")
        .env("FAKE_RT_EXIT_CODE", "7");
    handshake_fails(fake, HandshakeFailure::Exited(exit_code(7))).await;
}

#[tokio::test]
async fn debug_exit_before_listening_is_exited_without_waiting_for_the_timeout() {
    // A timeout longer than PATIENCE: only the exit can end the handshake in time.
    let fake = Fake::debug()
        .handshake_timeout(Duration::from_secs(600))
        .env("FAKE_RT_HANDSHAKE", "never-listen")
        .env("FAKE_RT_RUN_FOR", "0")
        .env("FAKE_RT_LAST_WORDS", "no cartridge in build/")
        .env("FAKE_RT_EXIT_CODE", "4");
    let (_, lines) = handshake_fails(fake, HandshakeFailure::Exited(exit_code(4))).await;
    assert!(
        position(&lines, "no cartridge in build/") < position(&lines, "runtime failed to start")
    );
}

#[tokio::test]
async fn debug_a_runtime_killed_before_the_handshake_is_exited_with_its_signal() {
    let fake = Fake::debug()
        .env("FAKE_RT_HANDSHAKE", "never-listen")
        .env("FAKE_RT_RUN_FOR", "0")
        .env("FAKE_RT_SIGNAL", "ABRT");
    handshake_fails(fake, HandshakeFailure::Exited(signal(libc::SIGABRT))).await;
}

#[tokio::test]
async fn debug_nothing_listening_times_out() {
    let fake = Fake::debug()
        .handshake_timeout(Duration::from_millis(600))
        .env("FAKE_RT_HANDSHAKE", "never-listen");
    let (failure, _) = handshake_fails(fake, HandshakeFailure::Timeout).await;
    assert!(
        failure.reason.contains("nothing accepted"),
        "{}",
        failure.reason
    );
}

#[tokio::test]
async fn debug_a_silent_runtime_times_out() {
    let fake = Fake::debug()
        .handshake_timeout(Duration::from_millis(600))
        .env("FAKE_RT_HANDSHAKE", "silent");
    let (failure, _) = handshake_fails(fake, HandshakeFailure::Timeout).await;
    assert!(
        failure.reason.contains("no handshake"),
        "{}",
        failure.reason
    );
}

#[tokio::test]
async fn debug_a_stale_listener_fails_the_spawn() {
    let address = free_address();
    let stale = std::net::TcpListener::bind(address).expect("hold the address");
    let fake = Fake::debug().address(address);
    let (failure, lines) = fail_to_start(&fake).await;
    assert_eq!(failure.failure, Failure::RuntimeSpawn);
    assert!(
        failure
            .reason
            .starts_with("address in use: is an earlier runtime still running?"),
        "{}",
        failure.reason
    );
    assert!(lines.iter().all(|line| !line.message.contains("started `")));
    assert!(fake.recorded_pids().is_empty(), "nothing was spawned");
    drop(stale);
}

#[tokio::test]
async fn debug_stop_while_connecting_is_a_stop() {
    let fake = Fake::debug()
        .handshake_timeout(Duration::from_secs(600))
        .env("FAKE_RT_HANDSHAKE", "never-listen");
    let launched = fake.launch().await;
    launched.line_containing("fake-runtime: ready").await;
    launched.handle.stop();
    assert_eq!(launched.ready().await, Err(RuntimeEnd::Stopped));
    assert_eq!(launched.wait().await, RuntimeEnd::Stopped);
    let lines = launched.lines().await;
    assert!(lines.iter().all(|line| line.severity != Severity::Error));
    // The end is told as for a running runtime, and told last.
    let stopped = position(&lines, "runtime stopped: killed by SIGTERM");
    assert_eq!(stopped, lines.len() - 1, "{lines:#?}");
    assert_eq!(lines[stopped].source, Source::Session);
    assert_nothing_survives(&fake, None);
}

// ---------------------------------------------------------------------------------------------
// Linux: descendants that left the group, found through the subreaper (one harness process
// per scenario, since the attribute is process-wide).

#[cfg(target_os = "linux")]
fn run_harness(stdio: &str, ending: &str) -> (Vec<String>, Vec<(String, i32)>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let pid_file = dir.path().join("pids");
    let output = std::process::Command::new(support::SUBREAPER_HARNESS)
        .args([support::FAKE_RUNTIME, &dir.path().display().to_string()])
        .arg(&pid_file)
        .args([stdio, ending])
        .output()
        .expect("the harness runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<String> = stdout.lines().map(str::to_owned).collect();
    let pids = read_pids(&pid_file);
    // Check (and clean up) before asserting anything else. A runtime whose session died is
    // killed by the kernel as the session exits: give the signal a moment to land.
    let recorded: Vec<i32> = pids.iter().map(|(_, pid)| *pid).collect();
    support::wait_until_dead(&recorded);
    assert_dead(&recorded);
    assert!(output.status.success(), "{output:?}");
    assert_eq!(lines.first().map(String::as_str), Some("subreaper=true"));
    (lines, pids)
}

#[cfg(target_os = "linux")]
#[test]
fn the_runtime_dies_with_the_session() {
    let (lines, pids) = run_harness("none", "abandon");
    assert_eq!(lines.last().map(String::as_str), Some("abandoning"));
    assert_eq!(pids.len(), 1, "{pids:?}");
}

#[cfg(target_os = "linux")]
fn adopted_line(lines: &[String], pids: &[(String, i32)]) {
    let grandchild = pids
        .iter()
        .find(|(role, _)| role == "grandchild")
        .map(|(_, pid)| *pid)
        .expect("a grandchild was started");
    let reaped = format!("line=session\truntime: killed and reaped adopted processes {grandchild}");
    assert!(lines.contains(&reaped), "{lines:#?}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_setsid_grandchild_holding_the_pipes_is_reaped_after_the_runtime_exits() {
    let (lines, pids) = run_harness("inherit", "exit");
    assert_eq!(
        lines.last().map(String::as_str),
        Some("end=Exited(Success)")
    );
    adopted_line(&lines, &pids);
}

#[cfg(target_os = "linux")]
#[test]
fn a_setsid_grandchild_is_reaped_when_the_runtime_is_stopped() {
    let (lines, pids) = run_harness("null", "stop");
    assert_eq!(lines.last().map(String::as_str), Some("end=Stopped"));
    adopted_line(&lines, &pids);
}

#[cfg(target_os = "linux")]
#[test]
fn a_group_member_adopted_after_its_parent_died_is_reaped_silently() {
    // The runtime and its grandchild in the same group both die of the stop's SIGTERM; the
    // grandchild, re-parented to the subreaper, is a zombie by then: it is reaped, but there
    // is nothing to warn about.
    let (lines, pids) = run_harness("group", "stop");
    assert_eq!(lines.last().map(String::as_str), Some("end=Stopped"));
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(
        lines.iter().all(|line| !line.contains("adopted")),
        "{lines:#?}"
    );
}

/// `true` once `pid` catches SIGTERM (Linux: `SigCgt` in procfs), so that a stop meets the
/// fake's handler rather than the default action.
fn catches_sigterm(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("SigCgt:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & (1 << (libc::SIGTERM - 1)) != 0)
}

/// Polls `done` (without blocking the test's runtime) until it holds or `limit` passes.
async fn eventually(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    while !done() {
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn kill_now_is_not_held_back_by_a_blocked_output() {
    use std::sync::Arc;

    use adapter_runtime::Runtime;
    use session_ports::{RuntimeSource, SystemClock, output_channel};

    // A grace far longer than the test's patience: only kill_now can end the runtime in time.
    let fake = Fake::run()
        .stop_grace(Duration::from_secs(60))
        .env("FAKE_RT_RUN_FOR", "forever")
        .env("FAKE_RT_ON_TERM", "ignore");
    let runtime = Runtime::new(fake.settings.clone(), Arc::new(SystemClock));
    // One batch fills the output, and nobody reads it: a sink that stays blocked.
    let (output, mut batches) = output_channel(1);
    let handle = runtime.launch(1, output).await;

    let runtime_pid = || {
        fake.recorded_pids()
            .into_iter()
            .find_map(|(role, pid)| (role == "runtime").then_some(pid))
    };
    let up = eventually(support::PATIENCE, || {
        runtime_pid().is_some_and(catches_sigterm) && batches.read_waiting() == 1
    })
    .await;
    assert!(up, "the runtime starts and its output fills up");
    let pid = runtime_pid().expect("recorded");

    handle.stop();
    // Let the supervisor send SIGTERM and go on to tell it, into the full output.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(tests::pid_alive(pid), "the runtime ignores SIGTERM");
    handle.kill_now();
    let dead = eventually(Duration::from_secs(20), || !tests::pid_alive(pid)).await;
    if !dead {
        tests::send_signal(pid, libc::SIGKILL);
    }
    assert!(dead, "kill_now acts while the output is blocked");
    assert_eq!(
        batches.read_waiting(),
        1,
        "nobody read the output meanwhile"
    );

    // Now read: everything is delivered, and the end comes after the last line.
    let collector = tokio::spawn(async move {
        let mut lines = Vec::new();
        while let Some(output) = batches.recv().await {
            let session_ports::PortOutput::Lines(batch) = output else {
                continue;
            };
            lines.extend(batch.iter().map(|(meta, message)| Line {
                source: meta.source,
                severity: meta.severity,
                stream: meta.stream,
                message: message.to_owned(),
                truncated: meta.truncated,
            }));
        }
        lines
    });
    let end = tokio::time::timeout(support::PATIENCE, handle.wait())
        .await
        .expect("wait() resolves");
    assert_eq!(end, RuntimeEnd::Stopped);
    drop(handle);
    let lines = tokio::time::timeout(support::PATIENCE, collector)
        .await
        .expect("the adapter lets go of its output")
        .expect("the collector does not panic");
    let ready = position(&lines, "fake-runtime: ready");
    let ignoring = position(&lines, "fake-runtime: ignoring SIGTERM");
    let term = position(&lines, "SIGTERM sent to process group");
    let kill = position(&lines, "SIGKILL sent to process group");
    let empty = position(&lines, "is empty");
    let stopped = position(&lines, "runtime stopped: killed by SIGKILL");
    assert!(ready < ignoring && term < kill && kill < empty && empty < stopped);
    assert_eq!(stopped, lines.len() - 1, "the end is told last: {lines:#?}");
    assert!(
        lines
            .iter()
            .all(|line| !line.message.contains("no longer reading")),
        "nothing read is abandoned: {lines:#?}"
    );
    assert_nothing_survives(&fake, u32::try_from(pid).ok());
}

#[tokio::test]
async fn stop_gives_up_on_pipes_that_a_chatty_process_outside_the_group_keeps_open() {
    // Without the subreaper (this test process is not one), a writer that left the group
    // is out of reach: a stop must still end the run after `pipe_grace`, however much that
    // writer keeps writing.
    let fake = Fake::run();
    let holder_file = fake.dir.path().join("holder");
    let script = fake.dir.path().join("runtime.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsetsid sh -c 'echo $$ > \"$0\"; while :; do echo tick; sleep 0.02; done' \"$HOLDER\" &\necho up\nexec sleep 1000\n",
    )
    .expect("write the script");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .expect("chmod");
    let fake = fake
        .program(&script)
        .env("HOLDER", &holder_file.display().to_string());
    let launched = fake.launch().await;
    let info = launched.ready().await.expect("the runtime starts");
    launched.line_containing("tick").await;
    launched.handle.stop();
    let end = launched.wait().await;
    let holder: i32 = std::fs::read_to_string(&holder_file)
        .expect("the holder wrote its pid")
        .trim()
        .parse()
        .expect("a pid");
    tests::send_signal(holder, libc::SIGKILL);
    assert_eq!(end, RuntimeEnd::Stopped);
    let lines = launched.lines().await;
    position(&lines, "held open by a process outside its group");
    support::wait_until_dead(&[holder, i32::try_from(info.pid).expect("pid")]);
}
