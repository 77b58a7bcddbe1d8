//! The typed `step` events of `play --format json`: one `started` and one `ended` for every
//! step and the runtime, in runs that succeed, fail at each step, fail to spawn, and are
//! stopped; every event valid against the schema.

use serde_json::Value;

use super::support::{Project, Running, Setup, assert_gapless, assert_schema_valid, events};

/// `(step, phase)` of every step event, in order.
fn step_phases(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|event| event["kind"] == "step")
        .map(|event| {
            (
                event["step"].as_str().unwrap_or_default().to_owned(),
                event["phase"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// The `ended` event of `step`.
fn ended<'a>(events: &'a [Value], step: &str) -> &'a Value {
    events
        .iter()
        .find(|event| event["kind"] == "step" && event["step"] == step && event["phase"] == "ended")
        .unwrap_or_else(|| panic!("no end for {step}"))
}

/// The `started` event of `step`.
fn started<'a>(events: &'a [Value], step: &str) -> &'a Value {
    events
        .iter()
        .find(|event| {
            event["kind"] == "step" && event["step"] == step && event["phase"] == "started"
        })
        .unwrap_or_else(|| panic!("no start for {step}"))
}

/// Every start is followed by its end before the next start, and nothing after the run's
/// terminal state.
fn pairs_of(steps: &[&str]) -> Vec<(String, String)> {
    steps
        .iter()
        .flat_map(|step| {
            [
                ((*step).to_owned(), "started".to_owned()),
                ((*step).to_owned(), "ended".to_owned()),
            ]
        })
        .collect()
}

fn play_json(project: &Project, args: &[&str]) -> (i32, Vec<Value>) {
    let mut all = vec!["--format", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = project.run("play", &all);
    let events = events(&stdout);
    assert_gapless(&events);
    assert_schema_valid(&events);
    assert!(!stderr.contains("panicked"), "{stderr}");
    project.assert_nothing_alive();
    (code, events)
}

fn index_of(events: &[Value], wanted: impl Fn(&Value) -> bool) -> usize {
    events.iter().position(wanted).expect("the event is there")
}

#[test]
fn a_run_that_succeeds_tells_every_step_and_the_runtime() {
    let project = Project::new(&Setup {
        build: "out:1",
        runtime: &[("STDOUT_LINES", "2")],
        cartridge: true,
        ..Setup::default()
    });
    let (code, events) = play_json(&project, &[]);
    assert_eq!(code, 0);
    assert_eq!(
        step_phases(&events),
        pairs_of(&["build", "pack-validation", "pack", "manifest", "runtime"])
    );
    for step in ["build", "pack-validation", "pack"] {
        let start = started(&events, step);
        assert!(start["pid"].as_u64().is_some_and(|pid| pid > 0), "{start}");
        let command: Vec<&str> = start["command"]
            .as_array()
            .expect("a command")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(command[0].ends_with("fake-tool"), "{command:?}");
        assert_eq!(command[1], step);
        let end = ended(&events, step);
        assert_eq!(
            (end["outcome"].as_str(), end["exit_code"].as_i64()),
            (Some("succeeded"), Some(0))
        );
    }
    let manifest = started(&events, "manifest");
    assert!(manifest.get("command").is_none() && manifest.get("pid").is_none());
    let manifest = ended(&events, "manifest");
    assert_eq!(manifest["outcome"], "succeeded");
    assert!(manifest.get("exit_code").is_none() && manifest.get("signal").is_none());

    let runtime = started(&events, "runtime");
    assert_eq!(runtime["command"][1], "run");
    assert_eq!(runtime["command"][2], "build");
    let pid = runtime["pid"].as_u64().expect("a pid");
    let runtime_started = index_of(&events, |event| event == runtime);
    let running = index_of(&events, |event| {
        event["kind"] == "state" && event["to"] == "running"
    });
    assert!(
        runtime_started < running,
        "the runtime's start comes before -> running"
    );
    assert!(
        project
            .recorded_pids()
            .contains(&i32::try_from(pid).expect("a pid")),
        "the pid is the runtime's"
    );
    let end = ended(&events, "runtime");
    assert_eq!(
        (end["outcome"].as_str(), end["exit_code"].as_i64()),
        (Some("succeeded"), Some(0))
    );
    let last_line = index_of(&events, |event| event["message"] == "stdout line 1");
    let runtime_ended = index_of(&events, |event| event == end);
    let stopped = index_of(&events, |event| {
        event["kind"] == "state" && event["to"] == "stopped"
    });
    assert!(last_line < runtime_ended && runtime_ended < stopped);
}

#[test]
fn a_run_that_fails_at_each_step_ends_that_step_failed_and_starts_no_other() {
    let cases: [(Setup<'static>, &[&str], &str); 4] = [
        (
            Setup {
                build: "exit:2",
                cartridge: true,
                ..Setup::default()
            },
            &["build"],
            "exit_code=2",
        ),
        (
            Setup {
                validate: "exit:1",
                cartridge: true,
                ..Setup::default()
            },
            &["build", "pack-validation"],
            "exit_code=1",
        ),
        (
            Setup {
                pack: "signal:SEGV",
                cartridge: true,
                ..Setup::default()
            },
            &["build", "pack-validation", "pack"],
            "signal=SIGSEGV",
        ),
        (
            // No [cartridge], and pack exits before it writes the manifest.
            Setup {
                pack: "exit:0",
                cartridge: false,
                ..Setup::default()
            },
            &["build", "pack-validation", "pack", "manifest"],
            "none",
        ),
    ];
    for (setup, steps, how) in cases {
        let project = Project::new(&setup);
        let (code, events) = play_json(&project, &[]);
        assert_eq!(code, 3, "{steps:?}");
        assert_eq!(step_phases(&events), pairs_of(steps));
        let last = steps.last().expect("a failing step");
        let end = ended(&events, last);
        assert_eq!(end["outcome"], "failed", "{end}");
        let told = match (end.get("exit_code"), end.get("signal")) {
            (Some(code), None) => format!("exit_code={code}"),
            (None, Some(Value::String(signal))) => format!("signal={signal}"),
            (None, None) => "none".to_owned(),
            _ => panic!("both an exit code and a signal: {end}"),
        };
        assert_eq!(told, how, "{end}");
    }
}

#[test]
fn a_step_that_cannot_start_has_no_pid_and_no_exit() {
    let project = Project::new(&Setup {
        cartridge: true,
        ..Setup::default()
    });
    let config_path = project.path().join("prometeu-session.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let (before, after) = config.split_once("build = [").expect("a build command");
    let rest = after.split_once(']').expect("its end").1;
    std::fs::write(
        &config_path,
        format!("{before}build = [\"no-such-tool-anywhere\", \"build\"]{rest}"),
    )
    .expect("rewrite config");

    let (code, events) = play_json(&project, &[]);
    assert_eq!(code, 3);
    assert_eq!(step_phases(&events), pairs_of(&["build"]));
    let start = started(&events, "build");
    assert!(start.get("pid").is_none(), "{start}");
    assert_eq!(start["command"][0], "no-such-tool-anywhere");
    let end = ended(&events, "build");
    assert_eq!(end["outcome"], "failed");
    assert!(
        end.get("exit_code").is_none() && end.get("signal").is_none(),
        "{end}"
    );
}

#[test]
fn a_runtime_that_cannot_start_has_a_start_without_pid_and_an_end_without_exit() {
    // Debug mode on an address something already listens on: the runtime is never spawned.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = taken.local_addr().expect("address").to_string();
    let project = Project::new(&Setup {
        cartridge: true,
        ..Setup::default()
    });
    let (code, events) = play_json(&project, &["--mode", "debug", "--debug-address", &address]);
    assert_eq!(code, 4);
    assert_eq!(
        step_phases(&events),
        pairs_of(&["build", "pack-validation", "pack", "manifest", "runtime"])
    );
    assert!(started(&events, "runtime").get("pid").is_none());
    let end = ended(&events, "runtime");
    assert_eq!(end["outcome"], "failed");
    assert!(
        end.get("exit_code").is_none() && end.get("signal").is_none(),
        "{end}"
    );
    drop(taken);
}

#[test]
fn a_runtime_that_crashes_ends_failed_with_its_signal() {
    let project = Project::new(&Setup {
        runtime: &[("SIGNAL", "SEGV")],
        cartridge: true,
        ..Setup::default()
    });
    let (code, events) = play_json(&project, &[]);
    assert_eq!(code, 4);
    let end = ended(&events, "runtime");
    assert_eq!(
        (end["outcome"].as_str(), end["signal"].as_str()),
        (Some("failed"), Some("SIGSEGV"))
    );
}

#[test]
fn stopped_runs_end_the_step_or_runtime_that_was_running_stopped() {
    // Stopped while the runtime runs.
    let project = Project::new(&Setup {
        runtime: &[("RUN_FOR", "forever")],
        cartridge: true,
        ..Setup::default()
    });
    let mut running = Running::start(project.command("play", &["--format", "json"]));
    running.wait_for("fake-runtime: ready");
    running.signal(libc::SIGINT);
    let (code, lines, _) = running.finish();
    assert_eq!(code, 130);
    let told = events(&lines.join("\n"));
    assert_schema_valid(&told);
    let end = ended(&told, "runtime");
    assert_eq!(end["outcome"], "stopped");
    assert!(
        end.get("exit_code").is_some() || end.get("signal").is_some(),
        "{end}"
    );
    project.assert_nothing_alive();

    // Stopped while the build runs: no other step starts.
    let project = Project::new(&Setup {
        build: "say-out:building;sleep:30000",
        cartridge: true,
        ..Setup::default()
    });
    let mut running = Running::start(project.command("play", &["--format", "json"]));
    running.wait_for("building");
    running.signal(libc::SIGTERM);
    let (code, lines, _) = running.finish();
    assert_eq!(code, 143);
    let told = events(&lines.join("\n"));
    assert_schema_valid(&told);
    assert_eq!(step_phases(&told), pairs_of(&["build"]));
    let end = ended(&told, "build");
    assert_eq!(
        (end["outcome"].as_str(), end["signal"].as_str()),
        (Some("stopped"), Some("SIGTERM"))
    );
    project.assert_nothing_alive();
}

/// A project whose build tool and runtime are found only on the `PATH` their `env` tables set,
/// under names the session's own `PATH` does not know.
#[test]
fn programs_are_looked_up_on_the_path_the_child_gets() {
    let project = Project::new(&Setup {
        cartridge: true,
        ..Setup::default()
    });
    let tools = project.path().join("private-bin");
    std::fs::create_dir(&tools).expect("mkdir");
    let tool = super::support::FAKE_TOOL;
    let runtime = super::support::FAKE_RUNTIME;
    std::os::unix::fs::symlink(tool, tools.join("private-build-tool")).expect("link");
    std::os::unix::fs::symlink(runtime, tools.join("private-runtime")).expect("link");
    let private = tools.display().to_string();
    let config_path = project.path().join("prometeu-session.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    let config = config
        .replace(
            &format!("build = [{tool:?}, \"build\"]"),
            "build = [\"private-build-tool\", \"build\"]",
        )
        .replace(&format!("path = {runtime:?}"), "path = \"private-runtime\"")
        .replace(
            "env = { FAKE_TOOL_BUILD",
            &format!("env = {{ PATH = {private:?}, FAKE_TOOL_BUILD"),
        )
        .replace(
            "env = { FAKE_RT_PID_FILE",
            &format!("env = {{ PATH = {private:?}, FAKE_RT_PID_FILE"),
        );
    std::fs::write(&config_path, &config).expect("config");
    assert!(config.contains("\"private-build-tool\""), "{config}");

    let (code, events) = play_json(&project, &[]);
    assert_eq!(code, 0, "{events:?}");
    let build = started(&events, "build");
    assert_eq!(
        build["command"][0],
        tools.join("private-build-tool").display().to_string()
    );
    let started_runtime = started(&events, "runtime");
    assert_eq!(
        started_runtime["command"][0],
        tools.join("private-runtime").display().to_string()
    );

    // A PATH that does not hold the tool hides it, even if the session's own PATH has one.
    let hidden = config.replace(
        "\"private-build-tool\", \"build\"",
        "\"sh\", \"-c\", \"true\"",
    );
    std::fs::write(&config_path, hidden).expect("config");
    let (code, stdout, _) = project.run("play", &["--format", "json"]);
    assert_eq!(code, 3, "{stdout}");
    assert!(
        stdout.contains("`sh` was not found on the PATH set in [shipper] env"),
        "{stdout}"
    );
}
