//! The server's targets (BENCHMARKS.md) for `serve`, each against its baseline in the same run:
//! attaching over HTTP to 100,000 events, three `curl -N` followers of the 2,000,000-line
//! run against none, and 100 idle followers (CPU while idle, peak RSS during the run).
//!
//! `cargo bench -p tests --bench server`. It prints one line per figure and asserts no timing:
//! the machines are shared and noisy, so the figures are for people.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_prometeu-session-it");
const FAKE_RUNTIME: &str = env!("CARGO_BIN_EXE_fake-runtime");
const FAKE_TOOL: &str = env!("CARGO_BIN_EXE_fake-tool");
const RUNS: usize = 5;

fn main() {
    let work = tempfile::tempdir().expect("temp dir");
    attach(work.path());
    followers(work.path());
    idle_followers(work.path());
}

/// A project whose runtime prints `lines` lines, then lives `run_for`.
fn project(dir: &Path, name: &str, lines: u64, run_for: &str) -> std::path::PathBuf {
    let root = dir.join(name);
    std::fs::create_dir_all(&root).expect("mkdir");
    let config = format!(
        "[runtime]\npath = {FAKE_RUNTIME:?}\nenv = {{ FAKE_RT_STDOUT_LINES = \"{lines}\", FAKE_RT_RUN_FOR = \"{run_for}\" }}\n\n\
         [shipper]\nbuild = [{FAKE_TOOL:?}, \"build\"]\npack-validation = [{FAKE_TOOL:?}, \"pack-validation\"]\npack = [{FAKE_TOOL:?}, \"pack\"]\n\n\
         [cartridge]\napp_id = 7\ntitle = \"Bench\"\napp_version = \"1.0.0\"\napp_mode = \"Game\"\nentrypoint = \"main\"\n"
    );
    std::fs::write(root.join("prometeu-session.toml"), config).expect("config");
    root
}

struct Server {
    child: Child,
    addr: String,
    token: String,
}

impl Server {
    fn start(project: &Path) -> Self {
        let mut child = Command::new(BIN)
            .args(["serve", "--project"])
            .arg(project)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("the ready line");
        let file: serde_json::Value = serde_json::from_slice(
            &std::fs::read(project.join(".prometeu-session/server.json")).expect("server.json"),
        )
        .expect("JSON");
        let url = file["url"].as_str().expect("url");
        Self {
            child,
            addr: url.trim_start_matches("http://").to_owned(),
            token: file["token"].as_str().expect("token").to_owned(),
        }
    }

    /// Opens a request and returns the socket, the answer unread.
    fn open(&self, method: &str, path: &str, accept: &str) -> TcpStream {
        let mut socket = TcpStream::connect(&self.addr).expect("connect");
        write!(
            socket,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: {accept}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.addr, self.token
        )
        .expect("request");
        socket
    }

    fn fetch(&self, method: &str, path: &str, accept: &str) -> Vec<u8> {
        let mut answer = Vec::new();
        self.open(method, path, accept)
            .read_to_end(&mut answer)
            .expect("answer");
        answer
    }

    fn snapshot(&self) -> serde_json::Value {
        let answer = self.fetch("GET", "/v1/session", "application/json");
        let split = answer
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("head");
        serde_json::from_slice(&answer[split + 4..]).expect("snapshot")
    }

    fn wait_for(&self, done: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value {
        loop {
            let snapshot = self.snapshot();
            if done(&snapshot) {
                return snapshot;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Plays; the wall time until the run's terminal state.
    fn play_to_end(&self) -> Duration {
        let started = Instant::now();
        self.fetch("POST", "/v1/play", "application/json");
        self.wait_for(|s| s["run"] == 1 && s["state"] == "stopped");
        started.elapsed()
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("a pid")
    }

    fn shutdown(mut self) {
        self.fetch("POST", "/v1/shutdown", "application/json");
        let _ = self.child.wait();
    }
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn attach(dir: &Path) {
    let server = Server::start(&project(dir, "attach", 100_000, "forever"));
    server.fetch("POST", "/v1/play", "application/json");
    server.wait_for(|s| s["state"] == "running" && s["last_seq"].as_u64() >= Some(100_000));
    for accept in ["text/event-stream", "application/x-ndjson"] {
        let mut samples = Vec::new();
        let mut bytes = 0;
        for _ in 0..RUNS * 2 {
            let started = Instant::now();
            bytes = server.fetch("GET", "/v1/events?follow=false", accept).len();
            samples.push(started.elapsed());
        }
        println!(
            "attach over HTTP ({accept}): the whole backlog of {} events ({:.1} MB) in {:.1} ms (median of {}; target under 50 ms)",
            server.snapshot()["last_seq"],
            bytes as f64 / 1e6,
            median(samples).as_secs_f64() * 1000.0,
            RUNS * 2
        );
    }
    server.shutdown();
}

/// Lines of a follower's NDJSON file: (events, missed).
fn account(file: &Path) -> (u64, u64) {
    let text = std::fs::read_to_string(file).expect("follower file");
    let (mut events, mut missed) = (0, 0);
    for line in text.lines().filter(|line| !line.is_empty()) {
        if let Some(rest) = line.strip_prefix("{\"kind\":\"missed\",\"count\":") {
            missed += rest.trim_end_matches('}').parse::<u64>().expect("count");
        } else {
            events += 1;
        }
    }
    (events, missed)
}

fn followers(dir: &Path) {
    let mut alone = Vec::new();
    let mut followed = Vec::new();
    let mut accounts = Vec::new();
    for run in 0..RUNS {
        let root = project(dir, &format!("alone-{run}"), 2_000_000, "0");
        let server = Server::start(&root);
        alone.push(server.play_to_end());
        server.shutdown();

        let root = project(dir, &format!("followed-{run}"), 2_000_000, "0");
        let server = Server::start(&root);
        let curls: Vec<(Child, std::path::PathBuf)> = (0..3)
            .map(|index| {
                let file = root.join(format!("follower-{index}.ndjson"));
                let child = Command::new("curl")
                    .args(["-sN", "-H", "Accept: application/x-ndjson", "-H"])
                    .arg(format!("Authorization: Bearer {}", server.token))
                    .arg(format!("http://{}/v1/events", server.addr))
                    .stdout(std::fs::File::create(&file).expect("file"))
                    .spawn()
                    .expect("curl");
                (child, file)
            })
            .collect();
        // Every follower is connected before the run starts.
        std::thread::sleep(Duration::from_millis(300));
        followed.push(server.play_to_end());
        let last = server.snapshot()["last_seq"].as_u64().expect("last_seq");
        server.shutdown();
        for (mut child, file) in curls {
            let _ = child.wait();
            let (events, missed) = account(&file);
            assert_eq!(
                events + missed,
                last,
                "a follower's stream accounts for every event"
            );
            accounts.push((events, missed));
        }
    }
    let (alone, followed) = (median(alone), median(followed));
    println!(
        "three curl -N followers: the 2,000,000-line run takes {:.2} s against {:.2} s with none: {:.2}x (median of {RUNS}; target within 1.5x)",
        followed.as_secs_f64(),
        alone.as_secs_f64(),
        followed.as_secs_f64() / alone.as_secs_f64()
    );
    let missed: u64 = accounts.iter().map(|(_, missed)| missed).sum();
    println!(
        "  followers' streams: every one accounts exactly for the run ({} streams; {missed} events missed in all, told by missed items)",
        accounts.len()
    );
}

fn idle_followers(dir: &Path) {
    let server = Server::start(&project(dir, "idle", 2_000_000, "0"));
    let readers: Vec<std::thread::JoinHandle<u64>> = (0..100)
        .map(|_| {
            let mut socket = server.open("GET", "/v1/events", "application/x-ndjson");
            std::thread::spawn(move || {
                let mut buffer = vec![0; 64 * 1024];
                let mut total = 0;
                while let Ok(read) = socket.read(&mut buffer) {
                    if read == 0 {
                        break;
                    }
                    total += read as u64;
                }
                total
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = tests::cpu_ticks(server.pid());
    std::thread::sleep(Duration::from_secs(3));
    let idle = tests::cpu_ticks(server.pid()) - before;
    println!("100 idle followers: the server used {idle} clock ticks of CPU in 3 s (target: none)");
    let wall = server.play_to_end();
    let peak = tests::peak_rss_kib(server.pid());
    server.shutdown();
    let bytes: u64 = readers
        .into_iter()
        .map(|reader| reader.join().expect("reader"))
        .sum();
    println!(
        "100 followers of the 2,000,000-line run: server peak RSS {:.1} MiB (target under 32 MiB); run {:.2} s; {:.0} MB delivered",
        peak as f64 / 1024.0,
        wall.as_secs_f64(),
        bytes as f64 / 1e6
    );
}
