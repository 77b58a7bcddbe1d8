//! `prometeu-session dap` running its own session: when an editor kills the adapter outright,
//! nothing of the run outlives it (the guardian), grandchildren included.

use std::io::Write;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::support::{BIN, PATIENCE, Project, Setup};

/// One DAP request, framed as the protocol wants.
fn framed(seq: u64, command: &str, arguments: serde_json::Value) -> Vec<u8> {
    let body = serde_json::json!({
        "seq": seq,
        "type": "request",
        "command": command,
        "arguments": arguments,
    })
    .to_string();
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

#[test]
fn an_adapter_killed_mid_run_leaves_nothing_of_the_run_alive() {
    let project = Project::new(&Setup {
        runtime: &[
            ("RUN_FOR", "forever"),
            ("GRANDCHILD", "group,setsid"),
            ("GRANDCHILD_ON_TERM", "ignore"),
        ],
        cartridge: true,
        ..Setup::default()
    });
    let mut adapter = Command::new(BIN)
        .arg("dap")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the adapter");
    let mut stdin = adapter.stdin.take().expect("stdin");
    let project_root = project.path().display().to_string();
    for (seq, command, arguments) in [
        (
            1,
            "initialize",
            serde_json::json!({"adapterID": "prometeu"}),
        ),
        (2, "launch", serde_json::json!({"project": project_root})),
        (3, "configurationDone", serde_json::json!({})),
    ] {
        stdin
            .write_all(&framed(seq, command, arguments))
            .expect("write a request");
    }
    stdin.flush().expect("flush");

    // The runtime and its two grandchildren say their pids once they exist.
    let deadline = Instant::now() + PATIENCE;
    while project.recorded_pids().len() < 3 {
        assert!(Instant::now() < deadline, "the run never started");
        thread::sleep(Duration::from_millis(20));
    }
    let pid = i32::try_from(adapter.id()).expect("a pid");
    tests::send_signal(pid, libc::SIGKILL);
    let _ = adapter.wait();
    drop(stdin);
    project.assert_nothing_alive();
}
