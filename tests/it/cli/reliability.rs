//! Nothing of a run outlives the session, however the session ends; zombies never pile up; a
//! stop tells the truth. Real processes, real signals; no timing is asserted: every wait polls
//! with a generous deadline.

use std::time::{Duration, Instant};

use super::support::{
    PATIENCE, Project, Running, Setup, assert_all_dead, assert_gapless, children_of, events,
    state_of,
};

const SIGINT: i32 = libc::SIGINT;
const SIGKILL: i32 = libc::SIGKILL;
const SIGQUIT: i32 = libc::SIGQUIT;

/// Where the run is when the session gets its signal.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// The build step runs, with two grandchildren in its group that ignore SIGTERM and one
    /// that left the group (`setsid`) and ignores it too.
    Step,
    /// The runtime runs, ignoring SIGTERM, with the same three grandchildren.
    Running,
}

fn hostile(phase: Phase) -> Setup<'static> {
    match phase {
        Phase::Step => Setup {
            build: "stubborn:600000;stubborn:600000;escape:600000;say-out:step ready;sleep:600000",
            cartridge: true,
            ..Setup::default()
        },
        Phase::Running => Setup {
            runtime: &[
                ("ON_TERM", "ignore"),
                ("GRANDCHILD", "group,group,setsid"),
                ("GRANDCHILD_ON_TERM", "ignore"),
                ("RUN_FOR", "forever"),
            ],
            cartridge: true,
            ..Setup::default()
        },
    }
}

/// Starts `play` on a hostile project and waits until every process of the phase is in place.
fn start(phase: Phase, project: &Project, args: &[&str]) -> Running {
    let mut command_args = vec!["--format", "json"];
    command_args.extend_from_slice(args);
    let mut running = Running::start(project.command("play", &command_args));
    match phase {
        Phase::Step => running.wait_for("step ready"),
        Phase::Running => running.wait_for("fake-runtime: ready"),
    }
    running
}

/// Everything of the run the test knows about: what the fakes recorded, and the session's own
/// children (its guardian, the step or the runtime).
fn everything_of_the_run(project: &Project, session: u32) -> Vec<i32> {
    let mut pids = project.recorded_pids();
    pids.extend(project.recorded_tool_pids());
    pids.extend(children_of(session));
    pids
}

#[test]
fn a_session_killed_with_sigkill_leaves_nothing_of_the_run_alive() {
    for phase in [Phase::Step, Phase::Running] {
        let project = Project::new(&hostile(phase));
        let running = start(phase, &project, &[]);
        let session = running.child.id();
        let pids = everything_of_the_run(&project, session);
        // Leader, two stubborn grandchildren and the escaped one, and the guardian.
        assert!(pids.len() >= 5, "{phase:?}: {pids:?}");
        running.signal(SIGKILL);
        let (code, _, _) = running.finish();
        assert_eq!(code, -1, "{phase:?}: killed by a signal");
        assert_all_dead(&pids);
    }
}

#[test]
fn sigquit_stops_the_run_like_sigint_exits_131_and_completes_the_log_file() {
    for phase in [Phase::Step, Phase::Running] {
        let project = Project::new(&hostile(phase));
        let log = project.path().join("session.log");
        let log_arg = log.to_str().expect("utf-8").to_owned();
        let running = start(phase, &project, &["--log-file", &log_arg]);
        let pids = everything_of_the_run(&project, running.child.id());
        running.signal(SIGQUIT);
        let (code, _, stderr) = running.finish();
        assert_eq!(code, 131, "{phase:?}: {stderr}");
        let logged = events(&std::fs::read_to_string(&log).expect("log file"));
        assert_gapless(&logged);
        let last = logged.last().expect("events");
        assert_eq!(last["to"], "stopped", "{phase:?}");
        let stopping = logged
            .iter()
            .find(|event| event["to"] == "stopping")
            .expect("stopping");
        assert_eq!(stopping["reason"], "SIGQUIT received", "{phase:?}");
        assert_all_dead(&pids);
    }
}

#[test]
fn other_fatal_signals_stop_the_run_and_exit_128_plus_their_number() {
    for signal in [libc::SIGUSR1, libc::SIGALRM] {
        let project = Project::new(&Setup {
            runtime: &[("RUN_FOR", "forever")],
            cartridge: true,
            ..Setup::default()
        });
        let running = start(Phase::Running, &project, &[]);
        let pids = everything_of_the_run(&project, running.child.id());
        running.signal(signal);
        let (code, lines, stderr) = running.finish();
        assert_eq!(code, 128 + signal, "{stderr}");
        assert!(
            lines
                .last()
                .is_some_and(|line| line.contains("\"to\":\"stopped\"")),
            "{lines:?}"
        );
        assert_all_dead(&pids);
    }
}

#[test]
fn adopted_background_jobs_are_reaped_as_they_exit() {
    let project = Project::new(&Setup {
        runtime: &[("ORPHANS", "300"), ("RUN_FOR", "forever")],
        cartridge: true,
        ..Setup::default()
    });
    let mut running = Running::start(project.command("play", &["--format", "json"]));
    running.wait_for("fake-runtime: orphans started");
    let session = running.child.id();
    let orphans = project.recorded_pids();
    assert!(
        orphans.len() > 300,
        "the runtime and its 300 jobs: {orphans:?}"
    );
    let deadline = Instant::now() + PATIENCE;
    loop {
        let jobs_done = orphans[1..].iter().all(|pid| !tests::pid_alive(*pid));
        let zombies: Vec<i32> = children_of(session)
            .into_iter()
            .filter(|child| state_of(*child) == Some('Z'))
            .collect();
        if jobs_done && zombies.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "zombie children of the session while the run goes on: {zombies:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running.signal(SIGINT);
    let (code, _, stderr) = running.finish();
    assert_eq!(code, 130, "{stderr}");
    project.assert_nothing_alive();
}

/// Sets a stop grace the test would never wait out.
fn with_a_grace_never_waited_out(project: &Project) {
    let config_path = project.path().join("prometeu-session.toml");
    let config = std::fs::read_to_string(&config_path)
        .expect("config")
        .replace("stop_grace = \"500ms\"", "stop_grace = \"10m\"");
    std::fs::write(&config_path, config).expect("config");
}

#[test]
fn a_stopped_runtime_gets_sigcont_and_honours_sigterm_with_a_line_saying_so() {
    let project = Project::new(&Setup {
        runtime: &[
            ("ON_TERM", "exit"),
            ("STOP_SELF", "1"),
            ("RUN_FOR", "forever"),
        ],
        session: "",
        cartridge: true,
        ..Setup::default()
    });
    // Only SIGCONT lets the runtime end in time.
    with_a_grace_never_waited_out(&project);
    let mut running = Running::start(project.command("play", &["--format", "json"]));
    running.wait_for("fake-runtime: ready");
    let runtime = *project.recorded_pids().first().expect("the runtime's pid");
    let deadline = Instant::now() + PATIENCE;
    while state_of(runtime) != Some('T') {
        assert!(
            Instant::now() < deadline,
            "the runtime never stopped itself"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    running.signal(SIGINT);
    let (code, lines, stderr) = running.finish();
    assert_eq!(code, 130, "{stderr}");
    let text = lines.join("\n");
    assert!(
        text.contains(&format!(
            "runtime: process {runtime} of the run was stopped (state T)"
        )),
        "{text}"
    );
    assert!(text.contains("exiting on SIGTERM"), "{text}");
    assert!(!text.contains("SIGKILL sent"), "{text}");
    project.assert_nothing_alive();
}

/// Waits until the pid file the fake runtime writes has a line `line`.
fn wait_for_note(project: &Project, line: &str) {
    let deadline = Instant::now() + PATIENCE;
    while !std::fs::read_to_string(&project.pid_file)
        .unwrap_or_default()
        .lines()
        .any(|noted| noted.starts_with(line))
    {
        assert!(
            Instant::now() < deadline,
            "the runtime never noted {line:?}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// How many bytes `pid` has written, and whether it waits in a pipe write now.
fn writing(pid: i32) -> (Option<u64>, bool) {
    let written = std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|line| line.strip_prefix("wchar: ")?.trim().parse().ok())
        });
    let blocked = std::fs::read_to_string(format!("/proc/{pid}/wchan"))
        .is_ok_and(|wchan| wchan.contains("pipe_write"));
    (written, blocked)
}

/// Waits until `pid` is stuck in a pipe write: blocked there, twice in a row, with nothing
/// written in between (a pipe that is only full for a moment is still being drained).
fn wait_until_stuck_writing(pid: i32) {
    let deadline = Instant::now() + PATIENCE;
    let mut before = writing(pid);
    loop {
        std::thread::sleep(Duration::from_millis(200));
        let now = writing(pid);
        if before.1 && now.1 && before.0.is_some() && before.0 == now.0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the runtime's output never filled up"
        );
        before = now;
    }
}

#[test]
fn with_stdout_unread_the_story_of_a_stop_is_logged_in_the_order_it_happened() {
    // Far more output than the pipes and the session's channels hold, so that while nobody
    // reads stdout the runtime's lines wait everywhere between the runtime and the terminal.
    let project = Project::new(&Setup {
        runtime: &[
            ("STDOUT_LINES", "1000000"),
            ("ON_TERM", "ignore"),
            ("GRANDCHILD", "group"),
            ("GRANDCHILD_ON_TERM", "ignore"),
            ("RUN_FOR", "forever"),
        ],
        cartridge: true,
        ..Setup::default()
    });
    // Only the second SIGINT ends the runtime.
    with_a_grace_never_waited_out(&project);
    let log = project.path().join("session.log");
    let log_arg = log.to_str().expect("utf-8").to_owned();
    let mut child = project
        .command("play", &["--format", "json", "--log-file", &log_arg])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let session = i32::try_from(child.id()).expect("pid");
    // The grandchild is started once the runtime's SIGTERM handler is in place; then the
    // runtime writes until its pipe is full, which means every channel behind it is too.
    wait_for_note(&project, "grandchild");
    let runtime = *project.recorded_pids().first().expect("the runtime's pid");
    wait_until_stuck_writing(runtime);
    tests::send_signal(session, SIGINT);
    wait_for_note(&project, "sigterm ignored");
    tests::send_signal(session, SIGINT);

    // Only now is stdout read, so that the run can finish writing and end.
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut sink);
    });
    let deadline = Instant::now() + PATIENCE;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the session did not end");
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = reader.join();
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut pipe, &mut stderr);
    }
    assert_eq!(status.code(), Some(130), "{stderr}");

    let logged = events(&std::fs::read_to_string(&log).expect("log file"));
    assert_gapless(&logged);
    let story: Vec<&str> = logged
        .iter()
        .filter(|event| event["kind"] == "log" && event["source"] == "session")
        .filter_map(|event| event["message"].as_str())
        .filter(|message| message.contains("SIG") || message.starts_with("kill now"))
        .collect();
    let position = |wanted: &str| {
        story
            .iter()
            .position(|message| message.contains(wanted))
            .unwrap_or_else(|| panic!("no {wanted:?} in {story:?}"))
    };
    let sigterm = position("SIGTERM sent");
    let kill_now = position("kill now");
    let sigkill = position("SIGKILL sent");
    assert!(sigterm < kill_now && kill_now < sigkill, "{story:?}");
    project.assert_nothing_alive();
}
