//! `prometeu-session play` and `prepare` end to end: the freshly built binary, fake build tools
//! and a fake runtime, real signals, real pipes.

mod dap_orphans;
mod log_file;
mod nonblocking;
mod reliability;
mod steps;
pub(crate) mod support;
mod usability;

use std::time::Duration;

use serde_json::Value;
use support::{
    Project, Running, Setup, assert_gapless, assert_schema_valid, events, free_port, pairs,
    transitions,
};

const SIGHUP: i32 = libc::SIGHUP;
const SIGINT: i32 = libc::SIGINT;
const SIGTERM: i32 = libc::SIGTERM;

fn happy() -> Setup<'static> {
    Setup {
        build: "out:2;say-err:warning: unused import",
        validate: "say-out:[INFO] valid",
        pack: "say-out:packed",
        runtime: &[("STDOUT_LINES", "3"), ("LAST_WORDS", "bye")],
        cartridge: true,
        ..Setup::default()
    }
}

fn messages<'a>(events: &'a [Value], source: &str) -> Vec<&'a str> {
    events
        .iter()
        .filter(|event| event["kind"] == "log" && event["source"] == source)
        .filter_map(|event| event["message"].as_str())
        .collect()
}

#[test]
fn play_in_json_streams_exactly_the_events_and_exits_0() {
    let project = Project::new(&happy());
    let (code, stdout, stderr) = project.run("play", &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let events = events(&stdout);
    assert_gapless(&events);
    assert_schema_valid(&events);
    assert_eq!(
        transitions(&events),
        pairs(&[
            ("idle", "preparing"),
            ("preparing", "connecting"),
            ("connecting", "running"),
            ("running", "stopped"),
        ])
    );
    // Between stdout and stderr the order is the order the session read them in
    // (docs/events.md): each pipe's lines in order, the two pipes' in either.
    let build_stream = |stream: &str| -> Vec<&str> {
        events
            .iter()
            .filter(|event| event["source"] == "build" && event["stream"] == stream)
            .filter_map(|event| event["message"].as_str())
            .collect()
    };
    assert_eq!(build_stream("stdout"), ["build out 1", "build out 2"]);
    assert_eq!(build_stream("stderr"), ["warning: unused import"]);
    assert_eq!(messages(&events, "build").len(), 3);
    let warning = events
        .iter()
        .find(|event| event["message"] == "warning: unused import")
        .expect("warning");
    assert_eq!(
        (warning["stream"].as_str(), warning["severity"].as_str()),
        (Some("stderr"), Some("warn"))
    );
    let runtime = messages(&events, "runtime");
    assert!(
        runtime.contains(&"stdout line 1") && runtime.contains(&"bye"),
        "{runtime:?}"
    );
    assert!(
        messages(&events, "manifest")
            .iter()
            .any(|line| line.contains("wrote build/manifest.json"))
    );
    let manifest =
        std::fs::read_to_string(project.path().join("build/manifest.json")).expect("manifest");
    assert!(
        manifest.starts_with(
            "{\n  \"magic\": \"PMTU\",\n  \"cartridge_version\": 1,\n  \"app_id\": 7,"
        ),
        "{manifest}"
    );
    project.assert_nothing_alive();
}

#[test]
fn play_in_human_format_shows_sources_lifecycle_lines_and_a_summary() {
    let project = Project::new(&happy());
    let (code, stdout, stderr) = project.run("play", &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stdout.contains('\x1b'),
        "no colour when stdout is not a terminal:\n{stdout}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines
            .iter()
            .any(|line| line.contains("── running ─ runtime running (pid")),
        "{stdout}"
    );
    let build = lines
        .iter()
        .find(|line| line.ends_with("build out 1"))
        .expect("a build line");
    // HH:MM:SS.mmm, the source in a 15-character column, then the message.
    assert_eq!(&build[2..3], ":");
    assert_eq!(&build[12..], " build             build out 1");
    let warning = lines
        .iter()
        .find(|line| line.contains("unused import"))
        .expect("warning");
    assert!(warning.contains(" W warning: unused import"), "{warning}");
    let summary = lines.last().expect("a summary line");
    assert!(
        summary.starts_with("══ stopped · exit status 0 · build "),
        "{summary}"
    );
    assert!(
        summary.contains("pack-validation ") && summary.contains("total "),
        "{summary}"
    );
}

#[test]
fn prepare_ends_prepared_without_starting_the_runtime() {
    let project = Project::new(&happy());
    let (code, stdout, stderr) = project.run("prepare", &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let events = events(&stdout);
    assert_eq!(
        transitions(&events),
        pairs(&[("idle", "preparing"), ("preparing", "prepared")])
    );
    assert!(messages(&events, "runtime").is_empty());
    assert!(project.recorded_pids().is_empty(), "the runtime never ran");
}

#[test]
fn a_failing_pack_validation_exits_3_and_pack_never_runs() {
    let project = Project::new(&Setup {
        validate: "say-err:[ERROR] program.pbx is missing;exit:1",
        pack: "marker",
        ..happy()
    });
    let (code, stdout, stderr) = project.run("play", &["--format", "json"]);
    assert_eq!(code, 3, "{stderr}");
    let events = events(&stdout);
    assert_schema_valid(&events);
    let last = events.last().expect("events");
    assert_eq!(last["to"], "prepare_failed");
    assert_eq!(
        last["failure"],
        serde_json::json!({"stage": "pack-validation", "exit_code": 1})
    );
    assert!(!project.path().join("ran-pack").exists(), "pack ran");
    let error = events
        .iter()
        .find(|event| event["message"] == "[ERROR] program.pbx is missing")
        .expect("the tool's error");
    assert_eq!(error["severity"], "error");
}

#[test]
fn a_crashing_runtime_exits_4_with_its_last_line_shown_before_the_end() {
    let project = Project::new(&Setup {
        runtime: &[("LAST_WORDS", "panic: out of sprites"), ("SIGNAL", "SEGV")],
        ..happy()
    });
    let (code, stdout, stderr) = project.run("play", &["--format", "json"]);
    assert_eq!(code, 4, "{stderr}");
    let events = events(&stdout);
    assert_schema_valid(&events);
    let last_words = events
        .iter()
        .position(|event| event["message"] == "panic: out of sprites")
        .expect("last words");
    let failed = events
        .iter()
        .position(|event| event["to"] == "runtime_failed")
        .expect("runtime_failed");
    assert!(last_words < failed);
    assert_eq!(
        events[failed]["failure"],
        serde_json::json!({"stage": "running", "signal": "SIGSEGV"})
    );
    project.assert_nothing_alive();
}

fn stubborn_runtime(grandchild: &'static str) -> Setup<'static> {
    let runtime: &'static [(&'static str, &'static str)] = match grandchild {
        "setsid" => &[
            ("ON_TERM", "ignore"),
            ("GRANDCHILD", "setsid"),
            ("RUN_FOR", "forever"),
        ],
        _ => &[
            ("ON_TERM", "ignore"),
            ("GRANDCHILD", "group"),
            ("RUN_FOR", "forever"),
        ],
    };
    Setup { runtime, ..happy() }
}

#[test]
fn sigint_while_running_stops_a_stubborn_runtime_and_its_grandchildren_and_exits_130() {
    for grandchild in ["group", "setsid"] {
        let project = Project::new(&stubborn_runtime(grandchild));
        let mut running = Running::start(project.command("play", &["--format", "json"]));
        running.wait_for("fake-runtime: ready");
        running.signal(SIGINT);
        let (code, lines, stderr) = running.finish();
        assert_eq!(code, 130, "{grandchild}: {stderr}");
        let events = events(&lines.join("\n"));
        let last = events.last().expect("events");
        assert_eq!(
            (last["from"].as_str(), last["to"].as_str()),
            (Some("stopping"), Some("stopped"))
        );
        assert!(events.iter().any(|event| {
            event["message"]
                .as_str()
                .is_some_and(|m| m.contains("SIGKILL sent"))
        }));
        assert!(
            project.recorded_pids().len() >= 2,
            "{grandchild}: runtime and grandchild recorded"
        );
        project.assert_nothing_alive();
    }
}

#[test]
fn a_second_sigint_kills_at_once_and_the_run_still_ends_stopped() {
    let project = Project::new(&Setup {
        session: "",
        ..stubborn_runtime("group")
    });
    let config_path = project.path().join("prometeu-session.toml");
    let config = std::fs::read_to_string(&config_path)
        .expect("config")
        .replace("stop_grace = \"500ms\"", "stop_grace = \"60s\"");
    std::fs::write(&config_path, config).expect("config");
    let mut running = Running::start(project.command("play", &["--format", "json"]));
    running.wait_for("fake-runtime: ready");
    running.signal(SIGINT);
    running.wait_for("\"to\":\"stopping\"");
    running.signal(SIGINT);
    let (code, lines, stderr) = running.finish();
    assert_eq!(code, 130, "{stderr}");
    let text = lines.join("\n");
    assert!(text.contains("SIGKILL sent"), "{text}");
    assert!(text.contains("\"to\":\"stopped\""), "{text}");
    project.assert_nothing_alive();
}

#[test]
fn sigterm_and_sighup_stop_the_run_with_143_and_129() {
    for (signal, expected) in [(SIGTERM, 143), (SIGHUP, 129)] {
        let project = Project::new(&Setup {
            runtime: &[("RUN_FOR", "forever")],
            ..happy()
        });
        let mut running = Running::start(project.command("play", &["--format", "json"]));
        running.wait_for("fake-runtime: ready");
        running.signal(signal);
        let (code, _, stderr) = running.finish();
        assert_eq!(code, expected, "{stderr}");
        project.assert_nothing_alive();
    }
}

#[test]
fn a_closed_stdout_stops_the_run_finishes_the_log_file_and_exits_141() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "2000000"), ("RUN_FOR", "forever")],
        ..happy()
    });
    let log = project.path().join("session.log");
    let mut running = Running::start(project.command(
        "play",
        &[
            "--format",
            "json",
            "--log-file",
            log.to_str().expect("utf-8"),
        ],
    ));
    running.wait_for("stdout line 10");
    // Close our end of the pipe: the next writes fail with EPIPE.
    drop(std::mem::replace(
        &mut running.lines,
        std::sync::mpsc::channel().1,
    ));
    let (code, _, stderr) = running.finish();
    assert_eq!(code, 141, "{stderr}");
    assert!(stderr.is_empty(), "quiet exit: {stderr}");
    let logged = events(&std::fs::read_to_string(&log).expect("log file"));
    assert_gapless(&logged);
    let last = logged.last().expect("events");
    assert_eq!(last["to"], "stopped");
    project.assert_nothing_alive();
}

#[test]
fn stop_after_stops_a_running_runtime_and_exits_0() {
    let project = Project::new(&Setup {
        runtime: &[("RUN_FOR", "forever")],
        ..happy()
    });
    let (code, stdout, stderr) =
        project.run("play", &["--format", "json", "--stop-after", "300ms"]);
    assert_eq!(code, 0, "{stderr}");
    let events = events(&stdout);
    let stopping = events
        .iter()
        .find(|event| event["to"] == "stopping")
        .expect("stopping");
    assert!(
        stopping["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("--stop-after")),
        "{stopping}"
    );
    assert_eq!(events.last().expect("events")["to"], "stopped");
    project.assert_nothing_alive();
}

#[test]
fn debug_mode_completes_the_handshake_and_logs_devtools_messages() {
    let port = free_port();
    let address = format!("127.0.0.1:{port}");
    let project = Project::new(&Setup {
        runtime: &[
            ("DEVTOOLS_ADDR", Box::leak(address.clone().into_boxed_str())),
            (
                "DEVTOOLS_SEND",
                r#"{"type":"log","level":"warn","message":"low on sprites"}"#,
            ),
            ("RUN_FOR", "300"),
        ],
        ..happy()
    });
    let (code, stdout, stderr) = project.run(
        "play",
        &[
            "--format",
            "json",
            "--mode",
            "debug",
            "--debug-address",
            &address,
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    let events = events(&stdout);
    assert_schema_valid(&events);
    let running = events
        .iter()
        .find(|event| event["to"] == "running")
        .expect("running");
    assert!(
        running["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("0.1.0")),
        "{running}"
    );
    let devtools = events
        .iter()
        .find(|event| event["stream"] == "devtools")
        .expect("a devtools entry");
    assert_eq!(
        (devtools["message"].as_str(), devtools["severity"].as_str()),
        (Some("low on sprites"), Some("warn"))
    );
}

#[test]
fn the_log_file_holds_exactly_the_json_stdout_of_the_same_run() {
    let project = Project::new(&happy());
    let log = project.path().join("events.log");
    let (code, stdout, stderr) = project.run(
        "play",
        &[
            "--format",
            "json",
            "--log-file",
            log.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(std::fs::read_to_string(&log).expect("log file"), stdout);
}

#[test]
fn filters_apply_to_stdout_log_lines_only() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "2"), ("LAST_WORDS", "WARN low battery")],
        ..happy()
    });
    let log = project.path().join("events.log");
    let args = [
        "--format",
        "json",
        "--source",
        "runtime,session",
        "--min-severity",
        "warn",
        "--log-file",
        log.to_str().expect("utf-8"),
    ];
    let (code, stdout, stderr) = project.run("play", &args);
    assert_eq!(code, 0, "{stderr}");
    let shown = events(&stdout);
    for event in &shown {
        if event["kind"] == "log" {
            assert!(
                event["source"] == "runtime" || event["source"] == "session",
                "{event}"
            );
            assert!(
                event["severity"] == "warn" || event["severity"] == "error",
                "{event}"
            );
        }
    }
    assert!(
        shown
            .iter()
            .any(|event| event["message"] == "WARN low battery")
    );
    assert_eq!(transitions(&shown).len(), 4, "state events always pass");
    let logged = events(&std::fs::read_to_string(&log).expect("log"));
    assert!(logged.len() > shown.len());
    assert_gapless(&logged);
}

#[test]
fn colour_follows_no_color_clicolor_force_and_the_last_flag() {
    let project = Project::new(&happy());
    let colored = |command: &mut std::process::Command| {
        let output = command.output().expect("run");
        assert_eq!(output.status.code(), Some(0));
        String::from_utf8_lossy(&output.stdout).contains("\x1b[")
    };
    assert!(colored(
        &mut project.command("play", &["--color", "always"])
    ));
    assert!(!colored(
        &mut project.command("play", &["--color", "always", "--no-color"])
    ));
    assert!(colored(
        &mut project.command("play", &["--no-color", "--color", "always"])
    ));
    assert!(!colored(
        project
            .command("play", &[])
            .env("CLICOLOR_FORCE", "1")
            .env("NO_COLOR", "1")
    ));
    assert!(colored(
        project.command("play", &[]).env("CLICOLOR_FORCE", "1")
    ));
    assert!(!colored(
        &mut project.command("play", &["--format", "json", "--color", "always"])
    ));
}

#[test]
fn a_second_session_on_the_same_project_fails_fast_naming_the_holder() {
    let project = Project::new(&Setup {
        runtime: &[("RUN_FOR", "forever")],
        ..happy()
    });
    let mut first = Running::start(project.command("play", &["--format", "json"]));
    first.wait_for("fake-runtime: ready");
    let (code, stdout, stderr) = project.run("play", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains(&format!("pid {}", first.child.id())),
        "{stderr}"
    );
    first.signal(SIGINT);
    let (code, _, _) = first.finish();
    assert_eq!(code, 130);
    std::thread::sleep(Duration::from_millis(10));
    project.assert_nothing_alive();
}

#[test]
fn a_stdout_closed_while_the_runtime_is_quiet_is_noticed_without_waiting_for_output() {
    use std::io::BufRead;
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "1"), ("RUN_FOR", "forever")],
        ..happy()
    });
    let mut child = project
        .command("play", &["--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut reader = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    while !line.contains("fake-runtime: ready") {
        line.clear();
        assert!(
            reader.read_line(&mut line).expect("read") > 0,
            "stdout ended early"
        );
    }
    // The runtime now says nothing more; closing our end must still end the run.
    drop(reader);
    let deadline = std::time::Instant::now() + support::PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the closed stdout went unnoticed"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(status.code(), Some(141));
    project.assert_nothing_alive();
}
