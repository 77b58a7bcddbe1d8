//! The command-line clients of a real server (docs/command-line.md): `status`, `stop`,
//! `kill`, `attach`, and `play`/`prepare` becoming clients when a server holds the project.

mod attach;
mod play;
mod server;

use crate::cli::support::{Project, Running, Setup};
use server::Server;

fn forever() -> Setup<'static> {
    Setup {
        build: "out:2",
        validate: "say-out:[INFO] valid",
        pack: "say-out:packed",
        runtime: &[("STDOUT_LINES", "3"), ("RUN_FOR", "forever")],
        cartridge: true,
        ..Setup::default()
    }
}

#[test]
fn without_a_server_every_client_exits_2_in_one_line_and_leaves_no_trace() {
    let project = Project::new(&forever());
    for command in ["status", "stop", "kill", "attach"] {
        let (code, stdout, stderr) = project.run(command, &[]);
        assert_eq!(code, 2, "{command}: {stderr}");
        assert!(stdout.is_empty(), "{command}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{command}: {stderr}");
        assert!(
            stderr.contains("prometeu-session serve --project"),
            "{command}: {stderr}"
        );
        assert!(stderr.contains(&project.path().display().to_string()));
    }
    assert!(!project.path().join(".prometeu-session").exists());
}

#[test]
fn status_stop_and_kill_answer_from_a_real_server_over_tcp_and_the_unix_socket() {
    let project = Project::new(&forever());
    let socket = server::private_socket(&project, "api.sock");
    let socket_arg = socket.display().to_string();
    for args in [vec![], vec!["--unix", socket_arg.as_str()]] {
        let server = Server::start(&project, &args);
        let (code, stdout, stderr) = project.run("status", &["--format", "json"]);
        assert_eq!(code, 0, "{stderr}");
        let status: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        assert_eq!(status["state"], "idle");
        assert_eq!(status["session"].as_str(), Some(server.session().as_str()));
        let (code, stdout, _) = project.run("status", &[]);
        assert_eq!(code, 0);
        assert!(stdout.starts_with("state    idle (run 0)\n"), "{stdout}");
        assert_eq!(
            project.run("stop", &[]).1,
            "nothing to stop: no run is active\n"
        );
        assert_eq!(
            project.run("kill", &[]).1,
            "nothing to kill: no run is active\n"
        );

        let mut play = Running::start(project.command("play", &["--format", "json"]));
        play.wait_for("fake-runtime: ready");
        let (_, stdout, _) = project.run("status", &["--format", "json"]);
        let status: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
        assert_eq!(status["state"], "running");
        assert!(status["runtime"]["pid"].is_u64(), "{status}");
        let (code, stdout, stderr) = project.run("stop", &[]);
        assert_eq!((code, stdout.as_str()), (0, "stop requested\n"), "{stderr}");
        let (code, lines, stderr) = play.finish();
        assert_eq!(code, 0, "stopped by another client: {stderr}");
        assert!(
            lines
                .last()
                .is_some_and(|line| line.contains("\"to\":\"stopped\""))
        );

        assert_eq!(server.stop(), 0);
        assert_eq!(project.run("status", &[]).0, 2);
        project.assert_nothing_alive();
    }
}

#[test]
fn a_stale_server_file_is_ignored_and_play_runs_standalone() {
    let project = Project::new(&forever());
    let folder = project.path().join(".prometeu-session");
    std::fs::create_dir(&folder).expect("mkdir");
    // Left by a server that died: its lock is free.
    std::fs::write(
        folder.join("server.json"),
        r#"{"version":"0.1.0","pid":1,"url":"http://127.0.0.1:9","session":"00000000000000aa","token":"t"}"#,
    )
    .expect("write");
    assert_eq!(project.run("status", &[]).0, 2);
    // Flags a client refuses are fine: the run is standalone.
    let (code, stdout, stderr) = project.run(
        "play",
        &["--format", "json", "--stop-after", "10ms", "--mode", "run"],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("\"to\":\"stopped\""));

    // Held by a standalone run, whose pid is not the file's: still no server.
    let mut held = Running::start(project.command("play", &["--format", "json"]));
    held.wait_for("fake-runtime: ready");
    let (code, _, stderr) = project.run("status", &[]);
    assert_eq!(code, 2, "{stderr}");
    held.signal(libc::SIGINT);
    assert_eq!(held.finish().0, 130);
    project.assert_nothing_alive();
}
