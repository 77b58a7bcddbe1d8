//! `attach` in a process of its own: the same run as the client that started it, Ctrl-C
//! detaching, resuming after a dropped connection, and a restarted server said in one line.

use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::Value;

use crate::cli::support::{Project, Running, Setup, events};

use super::{Server, forever, server};

fn json_lines(lines: &[String]) -> Vec<Value> {
    events(&lines.join("\n"))
}

fn seqs(events: &[Value]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|event| event["seq"].as_u64())
        .collect()
}

#[test]
fn attach_sees_the_run_another_client_started_and_ctrl_c_leaves_it_running() {
    let project = Project::new(&forever());
    let server = Server::start(&project, &[]);
    let mut play = Running::start(project.command("play", &["--format", "json"]));
    play.wait_for("fake-runtime: ready");
    let mut attach = Running::start(project.command("attach", &["--format", "json"]));
    attach.wait_for("fake-runtime: ready");
    attach.signal(libc::SIGINT);
    let (code, attached, stderr) = attach.finish();
    assert_eq!(code, 0, "{stderr}");
    let (_, status, _) = project.run("status", &["--format", "json"]);
    assert!(status.contains("\"state\":\"running\""), "{status}");

    play.signal(libc::SIGINT);
    let (code, played, stderr) = play.finish();
    assert_eq!(code, 130, "{stderr}");
    // The attached view is the start of the player's, event for event.
    assert!(!attached.is_empty());
    assert_eq!(attached[..], played[..attached.len()]);
    assert_eq!(server.stop(), 0);
    project.assert_nothing_alive();
}

/// A Unix-socket proxy whose connections the test can cut.
struct Proxy {
    path: PathBuf,
    open: Arc<Mutex<Vec<UnixStream>>>,
}

impl Proxy {
    fn start(path: PathBuf, target: PathBuf) -> Self {
        let listener = UnixListener::bind(&path).expect("bind the proxy");
        let open: Arc<Mutex<Vec<UnixStream>>> = Arc::default();
        let shared = Arc::clone(&open);
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(upstream) = UnixStream::connect(&target) else {
                    continue;
                };
                let pairs = [
                    (client.try_clone(), upstream.try_clone()),
                    (upstream.try_clone(), client.try_clone()),
                ];
                for (from, to) in pairs {
                    if let (Ok(mut from), Ok(mut to)) = (from, to) {
                        thread::spawn(move || {
                            let _ = std::io::copy(&mut from, &mut to);
                            let _ = to.shutdown(std::net::Shutdown::Write);
                        });
                    }
                }
                let mut open = shared.lock().expect("lock");
                open.push(client);
                open.push(upstream);
            }
        });
        Self { path, open }
    }

    /// Cuts every connection made so far.
    fn cut(&self) {
        for stream in self.open.lock().expect("lock").drain(..) {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
    }
}

/// Points `server.json` at `socket` instead of the server's own.
fn redirect(project: &Path, socket: &Path) {
    let path = project.join(".prometeu-session/server.json");
    let mut file: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
    file["unix"] = Value::from(socket.display().to_string());
    std::fs::write(&path, file.to_string()).expect("write");
}

#[test]
fn attach_and_play_resume_after_a_dropped_connection_without_gap_or_duplicate() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "50"), ("RUN_FOR", "forever")],
        ..forever()
    });
    let socket = server::private_socket(&project, "api.sock");
    let socket_arg = socket.display().to_string();
    let server = Server::start(&project, &["--unix", &socket_arg]);
    let proxy = Proxy::start(server::private_socket(&project, "proxy.sock"), socket);
    redirect(project.path(), &proxy.path);

    let mut play = Running::start(project.command("play", &["--format", "json"]));
    play.wait_for("fake-runtime: ready");
    let mut attach = Running::start(project.command("attach", &["--format", "json"]));
    attach.wait_for("fake-runtime: ready");
    proxy.cut();
    let (code, stdout, stderr) = project.run("stop", &[]);
    assert_eq!((code, stdout.as_str()), (0, "stop requested\n"), "{stderr}");
    attach.wait_for("\"to\":\"stopped\"");
    attach.signal(libc::SIGINT);
    let (code, attached, stderr) = attach.finish();
    assert_eq!(code, 0, "{stderr}");
    let (code, played, stderr) = play.finish();
    assert_eq!(code, 0, "{stderr}");

    let attached = json_lines(&attached);
    let first = attached[0]["seq"].as_u64().expect("seq");
    let expected: Vec<u64> = (first..first + attached.len() as u64).collect();
    assert_eq!(seqs(&attached), expected, "no gap, no duplicate");
    assert_eq!(attached, json_lines(&played));
    assert_eq!(server.stop(), 0);
    project.assert_nothing_alive();
}

#[test]
fn a_restarted_server_is_said_in_one_line_and_followed_from_its_start() {
    let project = Project::new(&forever());
    let first = Server::start(&project, &[]);
    let (code, _, stderr) = project.run("prepare", &[]);
    assert_eq!(code, 0, "{stderr}");
    let mut attach = Running::start(project.command("attach", &["--format", "json"]));
    attach.wait_for("\"to\":\"prepared\"");
    let old = first.session();
    assert_eq!(first.stop(), 0);

    let second = Server::start(&project, &[]);
    let new = second.session();
    let (code, _, stderr) = project.run("prepare", &[]);
    assert_eq!(code, 0, "{stderr}");
    attach.wait_for("\"to\":\"prepared\"");
    attach.signal(libc::SIGINT);
    let (code, lines, stderr) = attach.finish();
    assert_eq!(code, 0, "{stderr}");
    let said: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("restarted"))
        .collect();
    assert_eq!(said.len(), 1, "{stderr}");
    assert!(said[0].contains(&new) && said[0].contains(&old), "{stderr}");
    // The new session is followed from its first event.
    let events = json_lines(&lines);
    let restarted = events
        .iter()
        .rposition(|event| event["seq"] == 1)
        .expect("the new session's first event");
    assert!(restarted > 0, "{lines:?}");
    assert_eq!(second.stop(), 0);
    project.assert_nothing_alive();
}
