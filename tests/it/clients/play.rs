//! `play` and `prepare` through a live server: the output and exit codes of a standalone run.

use crate::cli::support::{Project, Running, Setup};

use super::{Server, forever};

/// Lines with every number made `N` (times, pids, durations, seqs), sorted: the same events
/// whatever the order in which two pipes were read.
fn normalized(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| {
            // Numbers vary (times, pids, durations), and so does the width of the rule that
            // fills a lifecycle or summary line up to the terminal width, since it depends on
            // how many digits the numbers had: one `N` per number, one character per rule.
            let mut out = String::new();
            let mut previous = None;
            for c in line.chars() {
                let c = if c.is_ascii_digit() { 'N' } else { c };
                let repeats = previous == Some(c) && matches!(c, 'N' | '═' | '─');
                if !repeats {
                    out.push(c);
                }
                previous = Some(c);
            }
            out
        })
        .collect();
    lines.sort();
    lines
}

/// Runs `play <args>` to its end, signalled `signal` once the runtime is ready if given.
fn play(project: &Project, args: &[&str], signal: Option<i32>) -> (i32, String, String) {
    let mut running = Running::start(project.command("play", args));
    if let Some(signal) = signal {
        running.wait_for("fake-runtime: ready");
        running.signal(signal);
    }
    let (code, lines, stderr) = running.finish();
    (code, lines.join("\n"), stderr)
}

/// A scenario: its name, the project, `play`'s flags, a signal once the runtime is ready, and
/// the exit code both runs must give.
type Case = (
    &'static str,
    Setup<'static>,
    &'static [&'static str],
    Option<i32>,
    i32,
);

#[test]
fn play_through_a_server_shows_and_exits_as_a_standalone_run() {
    let human: &'static [&'static str] = &["--no-color"];
    let json: &'static [&'static str] = &["--format", "json"];
    let cases: [Case; 4] = [
        (
            "success",
            Setup {
                runtime: &[("STDOUT_LINES", "3")],
                ..forever()
            },
            human,
            None,
            0,
        ),
        (
            "a failing step",
            Setup {
                build: "out:2;say-err:error: no;exit:2",
                ..forever()
            },
            human,
            None,
            3,
        ),
        ("SIGINT", forever(), json, Some(libc::SIGINT), 130),
        ("SIGTERM", forever(), human, Some(libc::SIGTERM), 143),
    ];
    for (name, setup, args, signal, expected) in cases {
        let project = Project::new(&setup);
        let (code, standalone, stderr) = play(&project, args, signal);
        assert_eq!(code, expected, "{name}, standalone: {stderr}");
        let server = Server::start(&project, &[]);
        let (code, client, stderr) = play(&project, args, signal);
        assert_eq!(code, expected, "{name}, through the server: {stderr}");
        assert_eq!(
            normalized(&client),
            normalized(&standalone),
            "{name}:\n{client}\n---- standalone:\n{standalone}"
        );
        assert_eq!(server.stop(), 0);
        project.assert_nothing_alive();
    }
}

#[test]
fn a_second_sigint_asks_the_server_to_kill() {
    let project = Project::new(&Setup {
        session: "",
        runtime: &[("ON_TERM", "ignore"), ("RUN_FOR", "forever")],
        ..forever()
    });
    let config_path = project.path().join("prometeu-session.toml");
    let config = std::fs::read_to_string(&config_path)
        .expect("config")
        .replace("stop_grace = \"500ms\"", "stop_grace = \"60s\"");
    std::fs::write(&config_path, config).expect("config");
    let server = Server::start(&project, &[]);
    let mut running = Running::start(project.command("play", &["--format", "json"]));
    running.wait_for("fake-runtime: ready");
    running.signal(libc::SIGINT);
    running.wait_for("\"to\":\"stopping\"");
    running.signal(libc::SIGINT);
    let (code, lines, stderr) = running.finish();
    assert_eq!(code, 130, "{stderr}");
    let text = lines.join("\n");
    assert!(text.contains("SIGINT received"), "{text}");
    assert!(text.contains("SIGKILL sent"), "{text}");
    assert!(text.contains("\"to\":\"stopped\""), "{text}");
    assert_eq!(server.stop(), 0);
    project.assert_nothing_alive();
}

#[test]
fn what_the_server_decides_itself_is_refused_with_exit_2_and_one_line() {
    let project = Project::new(&forever());
    let server = Server::start(&project, &[]);
    for flags in [
        &["--runtime", "/bin/true"][..],
        &["--config", "other.toml"],
        &["--debug-address", "127.0.0.1:1"],
    ] {
        let (code, stdout, stderr) = project.run("play", flags);
        assert_eq!(code, 2, "{flags:?}: {stderr}");
        assert!(stdout.is_empty());
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("reads its own configuration"), "{stderr}");
    }

    // A run is active: the play is ignored and that run goes on.
    let mut first = Running::start(project.command("play", &["--format", "json"]));
    first.wait_for("fake-runtime: ready");
    let (code, stdout, stderr) = project.run("prepare", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("was ignored"), "{stderr}");
    let (_, status, _) = project.run("status", &["--format", "json"]);
    assert!(status.contains("\"state\":\"running\""), "{status}");
    first.signal(libc::SIGINT);
    assert_eq!(first.finish().0, 130);

    // An invalid configuration: the server's one line, exit 2.
    let config_path = project.path().join("prometeu-session.toml");
    let config = std::fs::read_to_string(&config_path).expect("config");
    std::fs::write(
        &config_path,
        config.replace("[session]", "[session]\nstop_grase = \"1s\""),
    )
    .expect("write");
    let (code, stdout, stderr) = project.run("play", &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("stop_grase"), "{stderr}");

    assert_eq!(server.stop(), 0);
    project.assert_nothing_alive();
}
