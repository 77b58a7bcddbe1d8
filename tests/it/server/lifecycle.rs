//! How a server starts, ends and is killed: start-up refusals, signals, `POST /v1/shutdown`,
//! SIGKILL mid-run, and a stale `server.json`.

use std::os::unix::fs::PermissionsExt;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::support::{Item, PATIENCE, Project, Server, Setup, private_socket};
use crate::cli::support::Running;

fn forever() -> Setup<'static> {
    Setup {
        runtime: &[("STDOUT_LINES", "3"), ("RUN_FOR", "forever")],
        cartridge: true,
        ..Setup::default()
    }
}

fn server_file(project: &Project) -> Option<Value> {
    let text = std::fs::read(project.path().join(".prometeu-session/server.json")).ok()?;
    Some(serde_json::from_slice(&text).expect("server.json is JSON"))
}

fn assert_refused(project: &Project, args: &[&str], needle: &str) {
    let (code, stdout, stderr) = project.run("serve", args);
    assert_eq!(code, 2, "serve {args:?}: {stderr}");
    assert!(stdout.is_empty(), "nothing announced: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.starts_with("prometeu-session: error: ") && stderr.contains(needle),
        "serve {args:?}: {stderr}"
    );
}

#[test]
fn start_up_refusals_exit_2_with_one_line_and_announce_nothing() {
    let project = Project::new(&forever());
    let dir = project.path();
    let open_folder = dir.join("open");
    std::fs::create_dir(&open_folder).expect("mkdir");
    std::fs::set_permissions(&open_folder, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    let open_socket = open_folder.join("api.sock");
    let missing = dir.join("no-such-token");
    let text = |path: &std::path::Path| path.to_str().expect("utf-8").to_owned();
    assert_refused(&project, &["--listen", "0.0.0.0:0"], "--listen-any");
    assert_refused(&project, &["--unix", &text(&open_socket)], "chmod 700");
    assert_refused(&project, &["--token-file", &text(&missing)], "--token-file");
    assert_refused(&project, &["--token-file", &text(dir)], "--token-file");
    assert!(server_file(&project).is_none());

    // A live server holds the project: a second one is refused and the first one's file stays.
    let server = Server::start(&project, &[]);
    let before = server_file(&project);
    assert_refused(&project, &[], "");
    assert_eq!(server_file(&project), before);
    drop(server);

    // So does a standalone play.
    let mut play = Running::start(project.command("play", &["--format", "json"]));
    play.wait_for("fake-runtime: ready");
    assert_refused(&project, &[], "");
    play.signal(libc::SIGINT);
    let (code, _, stderr) = play.finish();
    assert_eq!(code, 130, "{stderr}");
    project.assert_nothing_alive();
}

#[tokio::test]
async fn sigkill_mid_run_leaves_nothing_alive_and_the_next_server_replaces_its_file() {
    // Grandchildren that ignore SIGTERM, in the runtime's group and out of it (setsid): only
    // the guardian can end them once the server is gone.
    let project = Project::new(&Setup {
        runtime: &[
            ("STDOUT_LINES", "3"),
            ("RUN_FOR", "forever"),
            ("GRANDCHILD", "group,setsid"),
            ("GRANDCHILD_ON_TERM", "ignore"),
        ],
        cartridge: true,
        ..Setup::default()
    });
    let server = Server::start(&project, &[]);
    let client = server.client();
    client.play_until_running().await;
    let deadline = Instant::now() + PATIENCE;
    while project.recorded_pids().len() < 3 {
        assert!(Instant::now() < deadline, "the runtime never said its pid");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let stale = server_file(&project).expect("server.json");
    // The ready line and server.json agree, and hold exactly their keys.
    let keys = |value: &Value| {
        value
            .as_object()
            .map(|map| map.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    assert_eq!(
        keys(&server.ready),
        ["kind", "url", "session", "server_file", "login_url"]
    );
    assert_eq!(keys(&stale), ["version", "pid", "url", "session", "token"]);
    assert_eq!(stale["url"], server.ready["url"]);
    assert_eq!(stale["session"], server.ready["session"]);
    assert_eq!(stale["pid"], server.pid());
    server.signal(libc::SIGKILL);
    let (code, _, _) = server.wait();
    assert_eq!(code, -1, "killed by a signal");
    project.assert_nothing_alive();

    assert_eq!(
        server_file(&project),
        Some(stale.clone()),
        "left behind, stale"
    );
    let next = Server::start(&project, &[]);
    let fresh = server_file(&project).expect("server.json");
    assert_ne!(fresh["pid"], stale["pid"]);
    assert_eq!(fresh["session"].as_str(), Some(next.session.as_str()));
    assert_ne!(fresh["session"], stale["session"]);
    assert_eq!(next.client().snapshot().await["run"], 0);
}

#[tokio::test]
async fn sigterm_stops_the_run_ends_the_streams_and_removes_server_json() {
    let project = Project::new(&forever());
    let socket = private_socket(project.path());
    let server = Server::start(&project, &["--unix", socket.to_str().expect("utf-8")]);
    let client = server.client();
    assert_eq!(client.post("/v1/play", "").await.status, 202);
    let mut follower = client.stream("/v1/events", &[]).await;
    follower
        .read_until(|item| item.json["to"] == "running")
        .await;
    server.signal(libc::SIGTERM);
    let rest = follower.read_to_end().await;
    let last = rest
        .last()
        .map(|item| item.json.clone())
        .unwrap_or_default();
    assert_eq!(
        last["to"], "stopped",
        "the stream ends after the run: {last}"
    );
    let (code, stdout, stderr) = server.wait();
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.is_empty(),
        "only the ready line on stdout: {stdout:?}"
    );
    assert!(server_file(&project).is_none(), "server.json removed");
    assert!(!socket.exists(), "the socket removed");
    project.assert_nothing_alive();
}

#[tokio::test]
async fn post_shutdown_answers_202_and_exits_0_without_its_file() {
    let project = Project::new(&forever());
    let server = Server::start(&project, &[]);
    let client = server.client();
    client.play_until_running().await;
    let mut follower = client
        .stream("/v1/events", &[("accept", "application/x-ndjson")])
        .await;
    let reply = client.post("/v1/shutdown", "").await;
    assert_eq!(
        (reply.status, reply.json()["outcome"].clone()),
        (202, "shutting_down".into())
    );
    let items: Vec<Item> = follower.read_to_end().await;
    assert_eq!(
        items.last().map(|item| item.json["to"].clone()),
        Some("stopped".into())
    );
    let (code, stdout, stderr) = server.wait();
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.is_empty(), "{stdout:?}");
    assert!(server_file(&project).is_none());
    project.assert_nothing_alive();
}
