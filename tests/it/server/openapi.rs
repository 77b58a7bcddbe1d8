//! `docs/openapi.json` is a valid OpenAPI 3 document, the server serves it, and every answer
//! it documents is one the server gives: each documented (path, method, status) is provoked
//! and its status, content type and body checked against the document's schema.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::path::Path;

use bytes::Bytes;
use hyper::Method;
use serde_json::Value;

use super::support::{Client, PATIENCE, Project, Reply, Server, Setup};

fn document() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
    serde_json::from_str(&std::fs::read_to_string(path).expect("read")).expect("JSON")
}

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Follows a local `$ref` (`#/a/b`) to what it names.
fn resolve<'a>(doc: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let pointer = reference.strip_prefix('#').expect("a local $ref");
            resolve(
                doc,
                doc.pointer(pointer)
                    .unwrap_or_else(|| panic!("{reference} resolves")),
            )
        }
        None => value,
    }
}

fn every_ref(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                found.push(reference.clone());
            }
            map.values().for_each(|value| every_ref(value, found));
        }
        Value::Array(items) => items.iter().for_each(|value| every_ref(value, found)),
        _ => {}
    }
}

/// Validates `instance` against the schema at `pointer` in the document.
fn assert_matches(doc: &Value, pointer: &str, instance: &Value) {
    let mut root = doc.clone();
    root["$ref"] = Value::String(format!("#{pointer}"));
    let validator = jsonschema::validator_for(&root).expect("a valid schema");
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| e.to_string())
        .collect();
    assert!(
        errors.is_empty(),
        "{instance} against {pointer}: {errors:?}"
    );
}

fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[test]
fn the_document_is_valid_openapi_3() {
    let doc = document();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")));
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["type"],
        "http"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(doc["security"], serde_json::json!([{"bearer": []}]));

    let mut refs = Vec::new();
    every_ref(&doc, &mut refs);
    for reference in &refs {
        let pointer = reference.strip_prefix('#').expect("only local references");
        assert!(doc.pointer(pointer).is_some(), "{reference} resolves");
    }
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        assert!(path.starts_with('/'), "{path}");
        for (method, operation) in item.as_object().expect("a path item") {
            assert!(METHODS.contains(&method.as_str()), "{path}: {method}");
            let id = operation["operationId"].as_str().expect("operationId");
            assert!(operation_ids.insert(id.to_owned()), "{id} is unique");
            if let Some(security) = operation.get("security") {
                assert!(
                    ["/openapi.json", "/", "/login"].contains(&path.as_str()),
                    "only what holds no data is public: {path}"
                );
                assert_eq!(security, &serde_json::json!([]));
            }
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let parameter = resolve(&doc, parameter);
                assert!(parameter["name"].is_string(), "{parameter}");
                assert!(
                    ["query", "header", "path", "cookie"]
                        .contains(&parameter["in"].as_str().expect("in"))
                );
                assert!(parameter["schema"].is_object(), "{parameter}");
            }
            let responses = operation["responses"].as_object().expect("responses");
            assert!(!responses.is_empty());
            for (status, response) in responses {
                assert!(
                    status == "default"
                        || status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s)),
                    "{path} {method}: {status}"
                );
                let response = resolve(&doc, response);
                assert!(
                    response["description"].is_string(),
                    "{path} {method} {status}"
                );
                for media in response["content"]
                    .as_object()
                    .into_iter()
                    .flat_map(|content| content.keys())
                {
                    // `/login` answers the person who opened the link, in a line of text.
                    let for_people = path == "/login";
                    if !for_people
                        && (status.starts_with('4')
                            || status.starts_with('5')
                            || status == "default")
                    {
                        assert_eq!(
                            media, "application/problem+json",
                            "{path} {method} {status}"
                        );
                    }
                }
            }
        }
    }
    for (name, _) in doc["components"]["schemas"].as_object().expect("schemas") {
        let mut root = doc.clone();
        root["$ref"] = Value::String(format!("#/components/schemas/{name}"));
        assert!(
            jsonschema::validator_for(&root).is_ok(),
            "{name} is a valid schema"
        );
    }
    // Every path the server routes, and only those.
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/",
            "/login",
            "/openapi.json",
            "/v1/events",
            "/v1/kill",
            "/v1/play",
            "/v1/session",
            "/v1/shutdown",
            "/v1/stop"
        ])
    );
}

/// (path, method, status) of every answer the document names, plus the two answers for
/// requests that match no operation (`*`).
fn documented(doc: &Value) -> BTreeSet<(String, String, u16)> {
    let mut answers = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("item") {
            for status in operation["responses"]
                .as_object()
                .expect("responses")
                .keys()
            {
                if let Ok(status) = status.parse() {
                    answers.insert((path.clone(), method.clone(), status));
                }
            }
        }
    }
    answers.insert(("*".into(), "*".into(), 404));
    answers.insert(("*".into(), "*".into(), 405));
    answers
}

/// Checks one answer against what the document says of it.
fn check(doc: &Value, path: &str, method: &str, status: u16, reply: &Reply) {
    assert_eq!(
        reply.status,
        status,
        "{method} {path}: {}",
        String::from_utf8_lossy(&reply.body)
    );
    let pointer = match (path, status) {
        ("*", 404) => "/components/responses/NotFound".to_owned(),
        ("*", 405) => "/components/responses/MethodNotAllowed".to_owned(),
        _ => format!("/paths/{}/{method}/responses/{status}", escape(path)),
    };
    let mut pointer = pointer;
    let mut response = doc.pointer(&pointer).expect("documented");
    if let Some(reference) = response.get("$ref").and_then(Value::as_str) {
        pointer = reference.trim_start_matches('#').to_owned();
        response = doc.pointer(&pointer).expect("resolves");
    }
    for (name, header) in response["headers"].as_object().into_iter().flatten() {
        let value = reply
            .headers
            .get(name.as_str())
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("{method} {path} {status}: no {name} header"));
        if let Some(expected) = header["schema"]["const"].as_str() {
            assert_eq!(value, expected, "{name}");
        }
    }
    let content = &response["content"];
    if content.is_null() {
        // A redirect: its headers say it all.
        return;
    }
    let media = reply.content_type().split(';').next().unwrap_or("").trim();
    assert!(
        content.get(media).is_some(),
        "{method} {path} {status}: {media} is not documented"
    );
    let schema = format!("{pointer}/content/{}/schema", escape(media));
    match media {
        // A page or a line for a person: its media type is the contract.
        "text/html" | "text/plain" => {}
        "application/json" | "application/problem+json" => {
            assert_matches(doc, &schema, &reply.json());
            if media == "application/problem+json" {
                assert_eq!(reply.json()["status"], status);
            }
        }
        // The stream's items are checked against docs/events.schema.json.
        _ => {
            let ndjson = media == "application/x-ndjson";
            let items = stream_items(&reply.body, ndjson);
            assert!(!items.is_empty());
            crate::cli::support::assert_schema_valid(&items);
        }
    }
}

fn stream_items(body: &[u8], ndjson: bool) -> Vec<Value> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    if ndjson {
        assert!(!text.starts_with("retry"), "no SSE in NDJSON");
        return crate::cli::support::events(text.trim_end());
    }
    assert!(text.starts_with("retry: 1000\n\n"), "{text}");
    text.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .map(|data| serde_json::from_str(data).expect("JSON"))
        .collect()
}

/// A raw HTTP/1.1 exchange whose body arrives only after `between` ran: a request that is in
/// flight across something else (the server's shutdown).
fn raw_reply(mut socket: std::net::TcpStream) -> Reply {
    socket.set_read_timeout(Some(PATIENCE)).expect("timeout");
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).expect("the answer");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let mut headers = hyper::HeaderMap::new();
    for line in lines {
        let (name, value) = line.split_once(':').expect("a header");
        headers.insert(
            hyper::header::HeaderName::from_bytes(name.trim().as_bytes()).expect("name"),
            super::support::header(value.trim()),
        );
    }
    super::support::assert_no_cors(&headers);
    let mut body = answer[split + 4..].to_vec();
    if headers.get("transfer-encoding").is_some() {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size");
        let size = usize::from_str_radix(std::str::from_utf8(&data[..end]).expect("hex"), 16)
            .expect("a chunk size");
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 4 + size..];
    }
}

#[tokio::test]
async fn every_documented_answer_is_what_the_server_gives() {
    let doc = document();
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "3"), ("RUN_FOR", "forever")],
        cartridge: true,
        ..Setup::default()
    });
    let server = Server::start(&project, &[]);
    let client = server.client();
    let stranger = client.with_token(None);
    let evil = client.with_host(&format!("evil.example:{}", server.addr.port()));
    let mut walked = BTreeSet::new();
    let mut walk = |path: &str, method: &str, status: u16, reply: Reply| {
        check(&doc, path, method, status, &reply);
        walked.insert((path.to_owned(), method.to_owned(), status));
    };
    let send = |client: &Client, method: Method, path: &str, body: &'static str| {
        let headers: &[(&str, &str)] = &[("content-type", "application/json")];
        client.request(
            method,
            path,
            if body.is_empty() { &[] } else { headers },
            Bytes::from(body),
        )
    };

    let served = client.get("/openapi.json").await;
    assert_eq!(
        served.json(),
        doc,
        "the server serves the repository's document"
    );
    walk("/openapi.json", "get", 200, served);
    walk("/", "get", 200, client.get("/").await);
    walk(
        "/",
        "get",
        403,
        evil.send(evil.request(Method::GET, "/", &[], Bytes::new()))
            .await,
    );
    walk("/login", "get", 403, client.get("/login?code=wrong").await);
    let login_url = server.ready["login_url"].as_str().expect("a login_url");
    let login = &login_url[login_url.find("/login").expect("a /login URL")..];
    walk("/login", "get", 303, client.get(login).await);
    walk("/login", "get", 403, client.get(login).await);
    walk("/v1/session", "get", 200, client.get("/v1/session").await);

    walk(
        "/v1/play",
        "post",
        202,
        client
            .send(send(
                &client,
                Method::POST,
                "/v1/play",
                r#"{"goal":"play","mode":"run"}"#,
            ))
            .await,
    );
    client
        .wait_until("running", |s| s["state"] == "running")
        .await;
    walk("/v1/play", "post", 200, client.post("/v1/play", "").await);
    // The snapshot of a running session, with its runtime.
    walk("/v1/session", "get", 200, client.get("/v1/session").await);
    walk(
        "/v1/stop",
        "post",
        400,
        client
            .send(send(
                &client,
                Method::POST,
                "/v1/stop",
                r#"{"reason":"two\nlines"}"#,
            ))
            .await,
    );
    walk(
        "/v1/stop",
        "post",
        200,
        client
            .send(send(
                &client,
                Method::POST,
                "/v1/stop",
                r#"{"reason":"SIGINT received"}"#,
            ))
            .await,
    );
    walk("/v1/kill", "post", 200, client.post("/v1/kill", "").await);
    client
        .wait_until("stopped", |s| s["state"] == "stopped")
        .await;
    check(
        &doc,
        "/v1/stop",
        "post",
        200,
        &client.post("/v1/stop", "").await,
    );
    check(
        &doc,
        "/v1/kill",
        "post",
        200,
        &client.post("/v1/kill", "").await,
    );

    for accept in ["text/event-stream", "application/x-ndjson"] {
        let reply = client
            .send(client.request(
                Method::GET,
                "/v1/events?follow=false",
                &[("accept", accept)],
                Bytes::new(),
            ))
            .await;
        assert_eq!(reply.content_type(), accept);
        walk("/v1/events", "get", 200, reply);
    }
    walk(
        "/v1/events",
        "get",
        400,
        client.get("/v1/events?after=-1").await,
    );
    check(
        &doc,
        "/v1/events",
        "get",
        400,
        &client.get("/v1/events?kind=everything").await,
    );
    check(
        &doc,
        "/v1/events",
        "get",
        400,
        &client
            .send(client.request(
                Method::GET,
                "/v1/events",
                &[("last-event-id", "nope")],
                Bytes::new(),
            ))
            .await,
    );
    walk(
        "/v1/play",
        "post",
        400,
        client
            .send(send(
                &client,
                Method::POST,
                "/v1/play",
                r#"{"goal":"play","speed":2}"#,
            ))
            .await,
    );
    let big = format!("{{\"goal\":\"{}\"}}", "x".repeat(100 * 1024));
    walk(
        "/v1/play",
        "post",
        413,
        client
            .send(client.request(
                Method::POST,
                "/v1/play",
                &[("content-type", "application/json")],
                big,
            ))
            .await,
    );
    let config = project.path().join("prometeu-session.toml");
    let valid = std::fs::read_to_string(&config).expect("config");
    std::fs::write(
        &config,
        valid.replace("[runtime]", "[runtime]\nmode = \"fast\""),
    )
    .expect("break");
    walk("/v1/play", "post", 422, client.post("/v1/play", "").await);
    std::fs::write(&config, &valid).expect("fix");

    for (path, method) in [
        ("/v1/session", Method::GET),
        ("/v1/play", Method::POST),
        ("/v1/stop", Method::POST),
        ("/v1/kill", Method::POST),
        ("/v1/shutdown", Method::POST),
        ("/v1/events", Method::GET),
    ] {
        let name = method.as_str().to_ascii_lowercase();
        walk(
            path,
            &name,
            401,
            stranger
                .send(stranger.request(method.clone(), path, &[], Bytes::new()))
                .await,
        );
        walk(
            path,
            &name,
            403,
            evil.send(evil.request(method, path, &[], Bytes::new()))
                .await,
        );
    }
    walk(
        "/openapi.json",
        "get",
        403,
        client
            .send(client.request(
                Method::GET,
                "/openapi.json",
                &[("origin", "null")],
                Bytes::new(),
            ))
            .await,
    );
    walk("*", "*", 404, client.get("/v1/nothing-here").await);
    walk("*", "*", 405, client.get("/v1/play").await);

    // A play whose body arrives after the session has shut down: 503. Its head is sent first,
    // so the request is in flight when the shutdown begins.
    let mut late = std::net::TcpStream::connect(server.addr).expect("connect");
    write!(
        late,
        "POST /v1/play HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n",
        server.addr, server.token
    )
    .expect("write the head");
    walk(
        "/v1/shutdown",
        "post",
        202,
        client.post("/v1/shutdown", "").await,
    );
    // The listener closes once the session has shut down.
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::net::TcpStream::connect(server.addr).is_ok() {
        assert!(
            std::time::Instant::now() < deadline,
            "the listener never closed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    late.write_all(b"{}").expect("write the body");
    walk("/v1/play", "post", 503, raw_reply(late));

    let (code, _, stderr) = server.wait();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        walked,
        documented(&doc),
        "every documented answer walked, and only those"
    );
    project.assert_nothing_alive();
}
