//! A real `prometeu-session serve` on a test project: started, its ready line read, and
//! stopped (or killed) so that nothing it started outlives the test.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::support::{BIN, PATIENCE, Project};

/// A running server.
pub struct Server {
    pub child: Child,
    /// The ready line.
    pub ready: Value,
}

impl Server {
    /// `serve --project <dir> <args>`, once it said it is ready.
    pub fn start(project: &Project, args: &[&str]) -> Self {
        let errors = project.path().join("serve.err");
        let stderr = std::fs::File::create(&errors).expect("stderr file");
        let mut child = Command::new(BIN)
            .arg("serve")
            .arg("--project")
            .arg(project.path())
            .args(args)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("spawn serve");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        let line = lines.recv_timeout(PATIENCE).expect("a ready line");
        let ready: Value = serde_json::from_str(&line).unwrap_or_else(|error| {
            panic!(
                "no ready line ({error}): {}",
                std::fs::read_to_string(&errors).unwrap_or_default()
            )
        });
        assert_eq!(ready["kind"], "ready", "{line}");
        Self { child, ready }
    }

    pub fn session(&self) -> String {
        self.ready["session"].as_str().expect("session").to_owned()
    }

    /// SIGTERM, and the exit code once it has ended.
    pub fn stop(mut self) -> i32 {
        self.end(libc::SIGTERM)
    }

    fn end(&mut self, signal: i32) -> i32 {
        let pid = i32::try_from(self.child.id()).expect("pid");
        tests::send_signal(pid, signal);
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code().unwrap_or(-1);
            }
            assert!(Instant::now() < deadline, "serve did not end");
            thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.end(libc::SIGKILL);
        }
    }
}

/// A socket path in a private (0700) folder of the project, as `serve --unix` requires.
pub fn private_socket(project: &Project, name: &str) -> std::path::PathBuf {
    use std::os::unix::fs::DirBuilderExt;
    let folder = project.path().join("sockets");
    let _ = std::fs::DirBuilder::new().mode(0o700).create(&folder);
    folder.join(name)
}
