//! A real `prometeu-session serve` on a temporary project, and a real HTTP/1.1 client (hyper)
//! that talks to it over loopback TCP or its Unix socket.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
use serde_json::Value;

pub use crate::cli::support::{PATIENCE, Project, Setup};

/// A running server; killed (and reaped) on drop if a test did not end it.
pub struct Server {
    child: Child,
    stdout: mpsc::Receiver<String>,
    /// The ready line, parsed.
    pub ready: Value,
    pub addr: SocketAddr,
    pub token: String,
    pub session: String,
    pub unix: Option<PathBuf>,
}

impl Server {
    /// `serve --project <project> <args>`, once its ready line is out.
    pub fn start(project: &Project, args: &[&str]) -> Self {
        Self::try_start(project, args)
            .unwrap_or_else(|(code, stderr)| panic!("serve did not start (exit {code}): {stderr}"))
    }

    /// Starts a server, or returns its exit code and stderr when it ends before its ready line.
    pub fn try_start(project: &Project, args: &[&str]) -> Result<Self, (i32, String)> {
        let mut child = project
            .command("serve", args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn serve");
        let pipe = child.stdout.take().expect("stdout");
        let (sender, stdout) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(pipe).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let line = match stdout.recv_timeout(PATIENCE) {
            Ok(line) => line,
            Err(_) => {
                let status = child.wait().expect("wait");
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                return Err((status.code().unwrap_or(-1), stderr));
            }
        };
        let ready: Value = serde_json::from_str(&line).expect("the ready line is JSON");
        let url = ready["url"].as_str().expect("url").to_owned();
        let addr = url
            .strip_prefix("http://")
            .and_then(|addr| addr.parse().ok())
            .expect("url is http://ip:port");
        let file: Value = serde_json::from_slice(
            &std::fs::read(project.path().join(".prometeu-session/server.json"))
                .expect("server.json"),
        )
        .expect("server.json is JSON");
        Ok(Self {
            child,
            stdout,
            addr,
            token: file["token"].as_str().expect("token").to_owned(),
            session: ready["session"].as_str().expect("session").to_owned(),
            unix: ready["unix"].as_str().map(PathBuf::from),
            ready,
        })
    }

    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid")
    }

    /// A client over TCP with the token.
    pub fn client(&self) -> Client {
        Client {
            transport: Transport::Tcp(self.addr),
            host: self.addr.to_string(),
            token: Some(self.token.clone()),
        }
    }

    /// A client over the Unix socket (no token: the socket's permissions are the guard).
    pub fn unix_client(&self) -> Client {
        Client {
            transport: Transport::Unix(self.unix.clone().expect("the server has a socket")),
            host: "localhost".to_owned(),
            token: None,
        }
    }

    pub fn signal(&self, signal: i32) {
        tests::send_signal(self.pid(), signal);
    }

    /// The server's peak resident memory so far, in KiB (procfs `VmHWM`).
    pub fn peak_rss_kib(&self) -> u64 {
        tests::peak_rss_kib(self.pid())
    }

    /// Waits for the exit; (code, stdout lines after the ready line, stderr).
    pub fn wait(mut self) -> (i32, Vec<String>, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "serve did not end");
            thread::sleep(Duration::from_millis(20));
        };
        let mut more = Vec::new();
        while let Ok(line) = self.stdout.recv_timeout(Duration::from_secs(5)) {
            more.push(line);
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status.code().unwrap_or(-1), more, stderr)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Where a client connects.
#[derive(Debug, Clone)]
pub enum Transport {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

/// A client of one server: one connection per request, as a script's `curl` would.
#[derive(Debug, Clone)]
pub struct Client {
    pub transport: Transport,
    /// The `Host` header sent.
    pub host: String,
    /// The bearer token sent, if any.
    pub token: Option<String>,
}

/// A whole answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| {
            panic!(
                "not JSON ({error}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn content_type(&self) -> &str {
        content_type(&self.headers)
    }
}

pub fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
}

/// Asserts no CORS header is in an answer.
pub fn assert_no_cors(headers: &HeaderMap) {
    let cors: Vec<&HeaderName> = headers
        .keys()
        .filter(|name| name.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "CORS headers sent: {cors:?}");
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

impl Client {
    pub fn with_token(&self, token: Option<&str>) -> Self {
        Self {
            token: token.map(str::to_owned),
            ..self.clone()
        }
    }

    pub fn with_host(&self, host: &str) -> Self {
        Self {
            host: host.to_owned(),
            ..self.clone()
        }
    }

    async fn connect(&self) -> Sender {
        match &self.transport {
            Transport::Tcp(addr) => {
                let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
                handshake(TokioIo::new(stream)).await
            }
            Transport::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path)
                    .await
                    .expect("connect");
                handshake(TokioIo::new(stream)).await
            }
        }
    }

    /// A request with this client's `Host` and token, plus `headers`.
    pub fn request(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: impl Into<Bytes>,
    ) -> Request<Full<Bytes>> {
        let mut request = Request::builder()
            .method(method)
            .uri(path)
            .header(hyper::header::HOST, &self.host);
        if let Some(token) = &self.token {
            request = request.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(Full::new(body.into())).expect("request")
    }

    /// Sends one request and reads its whole answer.
    pub async fn send(&self, request: Request<Full<Bytes>>) -> Reply {
        let response = self.send_for_head(request).await;
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("body").to_bytes().to_vec();
        let reply = Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        };
        assert_no_cors(&reply.headers);
        reply
    }

    async fn send_for_head(&self, request: Request<Full<Bytes>>) -> hyper::Response<Incoming> {
        let mut sender = self.connect().await;
        sender.send_request(request).await.expect("an answer")
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send(self.request(Method::GET, path, &[], Bytes::new()))
            .await
    }

    pub async fn post(&self, path: &str, body: &str) -> Reply {
        let headers: &[(&str, &str)] = if body.is_empty() {
            &[]
        } else {
            &[("content-type", "application/json")]
        };
        self.send(self.request(Method::POST, path, headers, body.to_owned()))
            .await
    }

    /// The session snapshot.
    pub async fn snapshot(&self) -> Value {
        let reply = self.get("/v1/session").await;
        assert_eq!(
            reply.status,
            200,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        reply.json()
    }

    /// Polls the snapshot until `done` holds (a state, not a time, is what is waited for).
    pub async fn wait_until(&self, what: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let snapshot = self.snapshot().await;
            if done(&snapshot) {
                return snapshot;
            }
            assert!(Instant::now() < deadline, "never {what}: {snapshot}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Plays and waits until `reached` holds for the snapshot of that run.
    pub async fn play_until(&self, what: &str, reached: impl Fn(&Value) -> bool) -> Value {
        let reply = self.post("/v1/play", "").await;
        assert_eq!(
            reply.status,
            202,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
        let run = reply.json()["run"].as_u64().expect("run");
        self.wait_until(what, |snapshot| snapshot["run"] == run && reached(snapshot))
            .await
    }

    /// Plays and waits for the run to reach a terminal state.
    pub async fn play_to_end(&self) -> Value {
        self.play_until("ended", |snapshot| is_terminal(&snapshot["state"]))
            .await
    }

    /// Plays and waits for the runtime to be running.
    pub async fn play_until_running(&self) -> Value {
        self.play_until("running", |snapshot| snapshot["state"] == "running")
            .await
    }

    /// Opens `GET path` as an event stream (SSE unless `headers` ask for NDJSON).
    pub async fn stream(&self, path: &str, headers: &[(&str, &str)]) -> EventStream {
        let response = self
            .send_for_head(self.request(Method::GET, path, headers, Bytes::new()))
            .await;
        assert_no_cors(response.headers());
        let (parts, body) = response.into_parts();
        assert_eq!(parts.status, 200, "stream {path} refused");
        let ndjson = content_type(&parts.headers) == "application/x-ndjson";
        EventStream {
            headers: parts.headers,
            body,
            ndjson,
            buffer: Vec::new(),
            read: 0,
            pending: Pending::default(),
            retry: None,
            ended: false,
        }
    }

    /// Everything `GET /v1/events?follow=false&<query>` gives, as NDJSON items.
    pub async fn dump(&self, query: &str) -> Vec<Item> {
        let mut stream = self
            .stream(
                &format!("/v1/events?follow=false&{query}"),
                &[("accept", "application/x-ndjson")],
            )
            .await;
        stream.read_to_end().await
    }
}

async fn handshake<I>(io: I) -> Sender
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(io)
        .await
        .expect("handshake");
    tokio::spawn(async move {
        let _ = connection.await;
    });
    sender
}

pub fn is_terminal(state: &Value) -> bool {
    matches!(
        state.as_str(),
        Some("stopped" | "prepared" | "prepare_failed" | "runtime_failed")
    )
}

/// One item of a stream: its SSE id (if any) and its JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Item {
    pub id: Option<String>,
    pub json: Value,
}

impl Item {
    pub fn seq(&self) -> Option<u64> {
        self.json["seq"].as_u64()
    }

    pub fn missed(&self) -> Option<u64> {
        (self.json["kind"] == "missed").then(|| self.json["count"].as_u64().expect("count"))
    }
}

#[derive(Debug, Default)]
struct Pending {
    id: Option<String>,
    data: Option<String>,
}

/// An open event stream, read item by item.
#[derive(Debug)]
pub struct EventStream {
    pub headers: HeaderMap,
    body: Incoming,
    ndjson: bool,
    buffer: Vec<u8>,
    /// How much of `buffer` was already taken as lines.
    read: usize,
    pending: Pending,
    /// The SSE `retry:` the server sent.
    pub retry: Option<u64>,
    ended: bool,
}

impl EventStream {
    /// The next item, or `None` when the server ended the stream.
    pub async fn next(&mut self) -> Option<Item> {
        loop {
            let line = self.next_line().await?;
            if let Some(item) = self.line(&line) {
                return Some(item);
            }
        }
    }

    /// The next line as sent, unparsed (for streams too big to parse in a test).
    pub async fn next_line(&mut self) -> Option<String> {
        loop {
            let unread = &self.buffer[self.read..];
            if let Some(end) = unread.iter().position(|byte| *byte == b'\n') {
                let line = String::from_utf8(unread[..end].to_vec()).expect("UTF-8");
                self.read += end + 1;
                return Some(line);
            }
            if self.ended {
                assert!(unread.is_empty(), "a partial line at the end");
                return None;
            }
            match self.body.frame().await {
                Some(frame) => {
                    if let Ok(data) = frame.expect("stream frame").into_data() {
                        // Drop what was read before appending: lines are taken from the
                        // front without moving the rest each time.
                        self.buffer.drain(..self.read);
                        self.read = 0;
                        self.buffer.extend_from_slice(&data);
                    }
                }
                None => self.ended = true,
            }
        }
    }

    fn line(&mut self, line: &str) -> Option<Item> {
        if self.ndjson {
            // Empty lines are heartbeats.
            return (!line.is_empty()).then(|| Item {
                id: None,
                json: serde_json::from_str(line).expect("an NDJSON line is JSON"),
            });
        }
        if line.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            return pending.data.map(|data| Item {
                id: pending.id,
                json: serde_json::from_str(&data).expect("SSE data is JSON"),
            });
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = line.split_once(": ").expect("an SSE field");
        match field {
            "id" => self.pending.id = Some(value.to_owned()),
            "data" => {
                assert!(self.pending.data.is_none(), "one data line per item");
                self.pending.data = Some(value.to_owned());
            }
            "retry" => self.retry = Some(value.parse().expect("retry")),
            other => panic!("unexpected SSE field {other}"),
        }
        None
    }

    /// Reads until `stop` holds for an item (included).
    pub async fn read_until(&mut self, stop: impl Fn(&Item) -> bool) -> Vec<Item> {
        let mut items = Vec::new();
        loop {
            let item = tokio::time::timeout(PATIENCE, self.next())
                .await
                .expect("an item in time")
                .expect("the stream went on");
            let last = stop(&item);
            items.push(item);
            if last {
                return items;
            }
        }
    }

    /// Reads to the end of a stream the server ends (`follow=false`, or a shutdown).
    pub async fn read_to_end(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        while let Some(item) = tokio::time::timeout(PATIENCE, self.next())
            .await
            .expect("the stream ended in time")
        {
            items.push(item);
        }
        items
    }
}

/// The id of the last item that has one, for `Last-Event-ID`.
pub fn last_id(items: &[Item]) -> String {
    items
        .iter()
        .rev()
        .find_map(|item| item.id.clone())
        .expect("an item with an id")
}

/// Parses a header value (test data is always valid).
pub fn header(value: &str) -> HeaderValue {
    HeaderValue::from_str(value).expect("header value")
}

/// Writes a private folder for a Unix socket and returns the socket's path in it.
pub fn private_socket(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let folder = dir.join("sock");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    folder.join("api.sock")
}

/// Sets a new configuration for the next play.
pub fn rewrite_config(project: &Project, setup: &Setup<'_>) {
    let fresh = Project::new(setup);
    let config = std::fs::read_to_string(fresh.path().join("prometeu-session.toml"))
        .expect("config")
        .replace(
            &fresh.pid_file.display().to_string(),
            &project.pid_file.display().to_string(),
        );
    std::fs::write(project.path().join("prometeu-session.toml"), config).expect("write config");
}

/// Appends text to the project's configuration (a `[log]` table, say).
pub fn append_config(project: &Project, text: &str) {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(project.path().join("prometeu-session.toml"))
        .expect("open config");
    file.write_all(text.as_bytes()).expect("append config");
}
