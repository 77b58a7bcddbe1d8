//! Resuming a stream: across a dropped connection and a run boundary, with and without
//! filters, in both formats, over TCP and the Unix socket; evicted ranges; a new server.

use super::support::{Client, Item, Project, Server, Setup, append_config, last_id};

const NDJSON: (&str, &str) = ("accept", "application/x-ndjson");

fn busy_forever() -> Setup<'static> {
    Setup {
        runtime: &[("STDOUT_LINES", "300"), ("RUN_FOR", "forever")],
        cartridge: true,
        ..Setup::default()
    }
}

fn entered(item: &Item, state: &str, run: u64) -> bool {
    item.json["kind"] == "state" && item.json["to"] == state && item.json["run"] == run
}

async fn stop_and_wait(client: &Client, run: u64) {
    assert_eq!(
        client.post("/v1/stop", "").await.json()["outcome"],
        "requested"
    );
    client
        .wait_until("stopped", |snapshot| {
            snapshot["run"] == run && snapshot["state"] == "stopped"
        })
        .await;
}

/// Attach mid-run, drop the connection, let the run end and a second one start, reconnect
/// with the last id: both connections together are exactly the whole stream.
async fn resume_case(server: &Server, client: &Client, ndjson: bool, filter: &str) {
    let headers: &[(&str, &str)] = if ndjson { &[NDJSON] } else { &[] };
    client.play_until_running().await;

    let mut first = client
        .stream(&format!("/v1/events?{filter}"), headers)
        .await;
    let expected = if ndjson {
        "application/x-ndjson"
    } else {
        "text/event-stream"
    };
    assert_eq!(super::support::content_type(&first.headers), expected);
    assert_eq!(first.headers["cache-control"], "no-cache");
    let before = first.read_until(|item| entered(item, "running", 1)).await;
    if !ndjson {
        assert_eq!(
            first.retry,
            Some(1000),
            "the stream starts with retry: 1000"
        );
    }
    drop(first);

    stop_and_wait(client, 1).await;
    client.play_until_running().await;

    let mut second = if ndjson {
        let after = before.last().and_then(Item::seq).expect("a seq");
        client
            .stream(&format!("/v1/events?after={after}&{filter}"), headers)
            .await
    } else {
        let id = last_id(&before);
        client
            .stream(
                &format!("/v1/events?{filter}"),
                &[("last-event-id", id.as_str())],
            )
            .await
    };
    let mut after = second.read_until(|item| entered(item, "running", 2)).await;
    stop_and_wait(client, 2).await;

    let whole = client.dump(filter).await;
    let end = whole.last().and_then(Item::seq).expect("events");
    after.extend(second.read_until(|item| item.seq() == Some(end)).await);

    let mut both: Vec<Item> = before;
    both.extend(after);
    let seqs = |items: &[Item]| items.iter().map(Item::seq).collect::<Vec<_>>();
    assert_eq!(seqs(&both), seqs(&whole), "same events in the same order");
    for (got, expected) in both.iter().zip(&whole) {
        assert_eq!(got.json, expected.json);
        if !ndjson {
            let seq = got.seq().expect("an event");
            assert_eq!(got.id, Some(format!("{}:{seq}", server.session)));
        }
    }
    assert!(whole.iter().all(|item| item.missed().is_none()));
    assert!(
        whole.iter().any(|item| item.json["run"] == 2),
        "the second run is in the stream"
    );
}

#[tokio::test]
async fn sse_resumes_with_last_event_id_across_a_disconnect_and_a_run_boundary() {
    let project = Project::new(&busy_forever());
    let server = Server::start(&project, &[]);
    resume_case(&server, &server.client(), false, "").await;
    drop(server);
    project.assert_nothing_alive();
}

#[tokio::test]
async fn ndjson_over_the_unix_socket_resumes_with_after() {
    let project = Project::new(&busy_forever());
    let socket = super::support::private_socket(project.path());
    let server = Server::start(&project, &["--unix", socket.to_str().expect("utf-8")]);
    resume_case(&server, &server.unix_client(), true, "").await;
    drop(server);
    project.assert_nothing_alive();
}

#[tokio::test]
async fn the_activity_feed_resumes_without_gap_or_duplicate() {
    let project = Project::new(&busy_forever());
    let server = Server::start(&project, &[]);
    resume_case(&server, &server.client(), false, "kind=state,step").await;
    let feed = server.client().dump("kind=state,step").await;
    assert!(
        feed.iter()
            .all(|item| item.json["kind"] == "state" || item.json["kind"] == "step")
    );
    drop(server);
    project.assert_nothing_alive();
}

#[tokio::test]
async fn a_source_filtered_stream_resumes_without_gap_or_duplicate() {
    let project = Project::new(&busy_forever());
    let server = Server::start(&project, &[]);
    resume_case(&server, &server.client(), true, "source=runtime").await;
    let lines = server.client().dump("source=runtime").await;
    assert!(
        lines
            .iter()
            .filter(|item| item.json["kind"] == "log")
            .all(|item| item.json["source"] == "runtime")
    );
    drop(server);
    project.assert_nothing_alive();
}

#[tokio::test]
async fn an_evicted_range_gives_exactly_one_missed_item_that_accounts_for_it() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "400")],
        cartridge: true,
        ..Setup::default()
    });
    append_config(&project, "\n[log]\nbuffer_events = 50\n");
    let server = Server::start(&project, &[]);
    let client = server.client();
    let snapshot = client.play_to_end().await;
    let oldest = snapshot["oldest_held_seq"].as_u64().expect("oldest");
    let last = snapshot["last_seq"].as_u64().expect("last");
    assert!(oldest > 10, "the buffer evicted: {snapshot}");

    // From 0: the oldest event held, nothing missed.
    let held = client.dump("").await;
    assert_eq!(held.first().and_then(Item::seq), Some(oldest));
    assert!(held.iter().all(|item| item.missed().is_none()));

    let old_id = format!("{}:3", server.session);
    for (query, header, after) in [
        ("after=1", None, 1),
        ("after=7&kind=state", None, 7),
        ("", Some(old_id.as_str()), 3),
    ] {
        let headers: Vec<(&str, &str)> = header
            .map(|id| ("last-event-id", id))
            .into_iter()
            .chain([NDJSON])
            .collect();
        let items = client
            .stream(&format!("/v1/events?follow=false&{query}"), &headers)
            .await
            .read_to_end()
            .await;
        let missed: Vec<u64> = items.iter().filter_map(Item::missed).collect();
        assert_eq!(missed, [oldest - after - 1], "{query} {header:?}");
        assert!(items[0].missed().is_some(), "missed comes first");
        let seqs: Vec<u64> = items.iter().filter_map(Item::seq).collect();
        if query.contains("kind=state") {
            assert!(seqs.iter().all(|seq| *seq >= oldest));
            assert!(items[1..].iter().all(|item| item.json["kind"] == "state"));
        } else {
            assert_eq!(seqs, (oldest..=last).collect::<Vec<_>>(), "{query}");
            assert_eq!(missed[0] + seqs.len() as u64, last - after);
        }
    }
    drop(server);
    project.assert_nothing_alive();
}

#[tokio::test]
async fn a_new_server_has_a_new_session_id_and_an_old_id_starts_from_0() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", "5")],
        cartridge: true,
        ..Setup::default()
    });
    let first = Server::start(&project, &[]);
    first.client().play_to_end().await;
    let old_id = format!("{}:4", first.session);
    assert_eq!(first.client().post("/v1/shutdown", "").await.status, 202);
    let (code, _, stderr) = first.wait();
    assert_eq!(code, 0, "{stderr}");

    let second = Server::start(&project, &[]);
    assert_ne!(second.session, old_id[..16]);
    second.client().play_to_end().await;
    let items = second
        .client()
        .stream(
            "/v1/events?follow=false",
            &[("last-event-id", old_id.as_str())],
        )
        .await
        .read_to_end()
        .await;
    assert_eq!(items.first().and_then(Item::seq), Some(1), "from the start");
    assert_eq!(
        items.first().and_then(|item| item.id.clone()),
        Some(format!("{}:1", second.session))
    );
    drop(second);
    project.assert_nothing_alive();
}
