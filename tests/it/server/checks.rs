//! The checks in front of every request (Host, Origin, token), the limits (body, headers,
//! connections), and the absence of CORS headers.

use std::io::{Read, Write};
use std::time::Duration;

use bytes::Bytes;
use hyper::Method;

use super::support::{Client, PATIENCE, Project, Server, Setup};

const V1: [(Method, &str); 6] = [
    (Method::GET, "/v1/session"),
    (Method::POST, "/v1/play"),
    (Method::POST, "/v1/stop"),
    (Method::POST, "/v1/kill"),
    (Method::POST, "/v1/shutdown"),
    (Method::GET, "/v1/events"),
];

fn quick() -> Setup<'static> {
    Setup {
        runtime: &[("STDOUT_LINES", "3")],
        cartridge: true,
        ..Setup::default()
    }
}

async fn problem(
    client: &Client,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let reply = client
        .send(client.request(method, path, headers, Bytes::new()))
        .await;
    if reply.status >= 400 {
        assert_eq!(reply.content_type(), "application/problem+json");
        let body = reply.json();
        assert_eq!(body["status"], reply.status);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|detail| !detail.contains('\n'))
        );
    }
    let authenticate = reply
        .headers
        .get("www-authenticate")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("")
        .to_owned();
    (reply.status, authenticate)
}

#[tokio::test]
async fn a_missing_or_wrong_token_is_401_with_www_authenticate_and_does_nothing() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let client = server.client();
    for token in [None, Some("wrong"), Some("")] {
        let stranger = client.with_token(token);
        for (method, path) in V1 {
            assert_eq!(
                problem(&stranger, method.clone(), path, &[]).await,
                (401, "Bearer".to_owned()),
                "{method} {path} with {token:?}"
            );
        }
    }
    // Nothing was played, and the server did not shut down.
    let snapshot = client.snapshot().await;
    assert_eq!(
        (snapshot["state"].as_str(), snapshot["run"].as_u64()),
        (Some("idle"), Some(0))
    );
    // The public document needs no token.
    assert_eq!(
        client.with_token(None).get("/openapi.json").await.status,
        200
    );
}

#[tokio::test]
async fn a_forged_host_or_a_foreign_origin_is_403_even_with_the_token() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let client = server.client();
    let port = server.addr.port();
    let evil = client.with_host(&format!("evil.example:{port}"));
    for path in ["/v1/session", "/openapi.json"] {
        assert_eq!(
            problem(&evil, Method::GET, path, &[]).await.0,
            403,
            "{path}"
        );
        for origin in [
            "http://evil.example",
            "null",
            &format!("http://evil.example:{port}"),
        ] {
            let (status, _) = problem(&client, Method::GET, path, &[("origin", origin)]).await;
            assert_eq!(status, 403, "{path} from {origin}");
        }
        let own = format!("http://127.0.0.1:{port}");
        assert_eq!(
            problem(&client, Method::GET, path, &[("origin", &own)])
                .await
                .0,
            200
        );
    }
    // Host is checked before the token: a forged Host without a token is 403, not 401.
    assert_eq!(
        problem(&evil.with_token(None), Method::GET, "/v1/session", &[])
            .await
            .0,
        403
    );
    // A CORS preflight gets no CORS answer.
    let (status, _) = problem(
        &client,
        Method::OPTIONS,
        "/v1/play",
        &[
            ("origin", "http://evil.example"),
            ("access-control-request-method", "POST"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(client.snapshot().await["run"], 0);
}

#[tokio::test]
async fn the_unix_socket_needs_no_token_and_no_host_but_checks_origin() {
    let project = Project::new(&quick());
    let socket = super::support::private_socket(project.path());
    let server = Server::start(&project, &["--unix", socket.to_str().expect("utf-8")]);
    let client = server.unix_client().with_host("anything.example");
    assert_eq!(
        problem(&client, Method::GET, "/v1/session", &[]).await.0,
        200
    );
    assert_eq!(
        problem(&client, Method::GET, "/v1/session", &[("origin", "null")])
            .await
            .0,
        403
    );
}

#[tokio::test]
async fn a_body_over_64_kib_is_413_and_plays_nothing() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let client = server.client();
    let body = format!(
        "{{\"goal\":\"play\",\"pad\":\"{}\"}}",
        "x".repeat(1024 * 1024)
    );
    let reply = client
        .send(client.request(
            Method::POST,
            "/v1/play",
            &[("content-type", "application/json")],
            body,
        ))
        .await;
    assert_eq!(
        reply.status,
        413,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(reply.content_type(), "application/problem+json");
    assert_eq!(client.snapshot().await["run"], 0);
}

#[tokio::test]
async fn a_client_that_sends_half_a_header_and_waits_is_disconnected() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let mut socket = std::net::TcpStream::connect(server.addr).expect("connect");
    socket
        .write_all(format!("GET /v1/session HTTP/1.1\r\nHost: {}\r\n", server.addr).as_bytes())
        .expect("write");
    // The server's deadline is 10 s; this only bounds how long the test waits for the close.
    socket
        .set_read_timeout(Some(PATIENCE + Duration::from_secs(30)))
        .expect("timeout");
    let mut answer = Vec::new();
    match socket.read_to_end(&mut answer) {
        Ok(_) => {}
        Err(error) => assert_eq!(
            error.kind(),
            std::io::ErrorKind::ConnectionReset,
            "the connection was not closed: {error}"
        ),
    }
    // Whatever it said before closing, it never answered the request.
    assert!(!String::from_utf8_lossy(&answer).contains("200 OK"));
    // The server still serves everyone else.
    assert_eq!(server.client().snapshot().await["state"], "idle");
}

#[tokio::test]
async fn two_hundred_open_streams_and_a_request_are_served_together() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let client = server.client();
    let mut streams = Vec::new();
    for _ in 0..200 {
        streams.push(client.stream("/v1/events", &[]).await);
    }
    assert_eq!(client.snapshot().await["state"], "idle");
    // Every stream is live: a run reaches all of them.
    client.play_to_end().await;
    for stream in &mut streams {
        stream
            .read_until(|item| item.json["kind"] == "state" && item.json["to"] == "stopped")
            .await;
    }
    drop(streams);
    drop(server);
    project.assert_nothing_alive();
}

/// The status line of one raw HTTP/1.1 request, written as is (hyper's client cannot send a
/// second `Host`, a second `Origin` or an absolute-form target).
fn raw_status(server: &Server, head: &str) -> String {
    let mut socket = std::net::TcpStream::connect(server.addr).expect("connect");
    socket
        .set_read_timeout(Some(PATIENCE + Duration::from_secs(10)))
        .expect("timeout");
    socket.write_all(head.as_bytes()).expect("write");
    let mut answer = Vec::new();
    // The request says `Connection: close`: the answer ends with the connection.
    let _ = socket.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn a_second_host_or_origin_or_an_absolute_target_naming_another_host_is_403() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let own = server.addr.to_string();
    let auth = format!("Authorization: Bearer {}", server.token);
    let ask = |target: &str, headers: &str| {
        raw_status(
            &server,
            &format!("GET {target} HTTP/1.1\r\n{headers}{auth}\r\nConnection: close\r\n\r\n"),
        )
    };
    // The control: one Host of ours, origin-form (and absolute-form naming us).
    assert!(ask("/v1/session", &format!("Host: {own}\r\n")).contains(" 200 "));
    assert!(
        ask(
            &format!("http://{own}/v1/session"),
            &format!("Host: {own}\r\n")
        )
        .contains(" 200 ")
    );
    // RFC 9112 3.2: more than one Host is refused; only the first was looked at.
    let status = ask(
        "/v1/session",
        &format!("Host: {own}\r\nHost: evil.example\r\n"),
    );
    assert!(!status.contains(" 200 "), "two Hosts: {status}");
    // RFC 9112 3.2.2: with an absolute-form target, its authority is the host, not `Host`.
    let status = ask(
        "http://evil.example/v1/session",
        &format!("Host: {own}\r\n"),
    );
    assert!(!status.contains(" 200 "), "absolute-form to evil: {status}");
    // Two Origins, ours first: the second is another page's.
    let status = ask(
        "/v1/session",
        &format!("Host: {own}\r\nOrigin: http://{own}\r\nOrigin: http://evil.example\r\n"),
    );
    assert!(!status.contains(" 200 "), "two Origins: {status}");
    assert_eq!(server.client().snapshot().await["run"], 0);
}

#[tokio::test]
async fn a_server_out_of_descriptors_waits_instead_of_spinning_on_accept() {
    use rustix::process::{Pid, Resource, Rlimit, prlimit};

    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    // Few descriptors, so that a handful of idle connections (no token needed) use them all.
    let pid = Pid::from_raw(server.pid()).expect("pid");
    prlimit(
        Some(pid),
        Resource::Nofile,
        Rlimit {
            current: Some(64),
            maximum: Some(64),
        },
    )
    .expect("prlimit");
    let sockets: Vec<_> = (0..80)
        .map(|_| std::net::TcpStream::connect(server.addr).expect("connect"))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let before = tests::cpu_ticks(server.pid());
    std::thread::sleep(Duration::from_secs(2));
    let used = tests::cpu_ticks(server.pid()) - before;
    // 100 ticks a second: a loop retrying accept at once burns about 200 here.
    assert!(
        used < 50,
        "{used} ticks in 2 s while out of descriptors: accept is retried in a loop"
    );
    drop(sockets);
    // Once descriptors are free again, the server answers.
    let mut answered = false;
    for _ in 0..50 {
        if server.client().get("/v1/session").await.status == 200 {
            answered = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        answered,
        "the server did not answer after the connections closed"
    );
}

#[tokio::test]
async fn a_head_of_the_login_link_does_not_spend_its_code() {
    let project = Project::new(&quick());
    let server = Server::start(&project, &[]);
    let client = server.client().with_token(None);
    let login_url = server.ready["login_url"].as_str().expect("a login_url");
    let login = &login_url[login_url.find("/login").expect("a /login URL")..];
    let head = client
        .send(client.request(Method::HEAD, login, &[], Bytes::new()))
        .await;
    assert!(head.headers.get("set-cookie").is_none(), "a HEAD logged in");
    // The code is still good for the browser's GET.
    let get = client.get(login).await;
    assert_eq!(
        get.status,
        303,
        "after a HEAD, the GET got: {}",
        String::from_utf8_lossy(&get.body)
    );
}
