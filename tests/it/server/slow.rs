//! A client that stops reading while a run writes 2,000,000 lines: the run ends, the other
//! clients get every event (or `missed` items that account for exactly what they lack), the
//! server's memory stays bounded, and the slow client, reading again, gets a `missed` item
//! and then live events.

use super::support::{EventStream, Item, Project, Server, Setup, rewrite_config};

const LINES: &str = "2000000";

/// The server's peak RSS may not exceed this (generous: the log buffer holds at most 16 MiB
/// of text plus its records; unbounded buffering of the run would be hundreds of MiB).
const PEAK_RSS_BOUND_KIB: u64 = 64 * 1024;

/// The `kind` and the `seq` (or a `missed` item's `count`) of a canonical JSON line, read
/// without parsing it: every line starts `{"kind":"…","seq":N` or `{"kind":"missed","count":N`.
fn kind_and_number(line: &str) -> (&str, u64) {
    let rest = line.strip_prefix("{\"kind\":\"").expect("a canonical line");
    let (kind, rest) = rest.split_once('"').expect("kind");
    let digits = rest
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .expect("a number");
    (kind, digits.parse().expect("a number"))
}

/// Reads a follower's NDJSON stream until the run's terminal state, checking that every
/// `seq` follows the last one or is accounted for by a `missed` item; (events, missed).
async fn follow_to_the_end(mut stream: EventStream) -> (u64, u64) {
    let (mut next, mut events, mut missed) = (1, 0, 0);
    while let Some(line) = stream.next_line().await {
        if line.is_empty() {
            continue;
        }
        match kind_and_number(&line) {
            ("missed", count) => {
                next += count;
                missed += count;
            }
            (_, seq) => {
                assert_eq!(seq, next, "no gap without a missed item");
                next += 1;
                events += 1;
                if line.contains("\"to\":\"stopped\"") {
                    return (events, missed);
                }
            }
        }
    }
    panic!("the stream ended before the run did");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_reads_slows_nobody_and_then_gets_missed_and_live_events() {
    let project = Project::new(&Setup {
        runtime: &[("STDOUT_LINES", LINES)],
        cartridge: true,
        ..Setup::default()
    });
    let server = Server::start(&project, &[]);
    let client = server.client();
    let ndjson = [("accept", "application/x-ndjson")];
    let mut slow = client.stream("/v1/events", &ndjson).await;
    let follower = tokio::spawn(follow_to_the_end(
        client.stream("/v1/events", &ndjson).await,
    ));

    let ended = client.play_to_end().await;
    assert_eq!(ended["state"], "stopped", "{ended}");
    let last = ended["last_seq"].as_u64().expect("last_seq");
    let (events, missed) = follower.await.expect("the follower");
    assert_eq!(
        events + missed,
        last,
        "the follower's stream accounts for every event"
    );
    let peak = server.peak_rss_kib();
    eprintln!("follower: {events} events, {missed} missed; server peak RSS {peak} KiB");
    assert!(peak < PEAK_RSS_BOUND_KIB, "peak RSS {peak} KiB");

    // The slow client reads again: what its connection held, a missed item for each range
    // evicted while it did not read (one, unless the socket took more while the run went on),
    // and every other event, in order.
    let mut items: Vec<Item> = Vec::new();
    while items.last().and_then(Item::seq) != Some(last) {
        items.push(slow.next().await.expect("the stream goes on"));
    }
    let mut next = 1;
    let mut gaps = 0;
    for item in &items {
        match (item.seq(), item.missed()) {
            (Some(seq), _) => {
                assert_eq!(seq, next, "no gap without a missed item");
                next += 1;
            }
            (None, Some(count)) => {
                assert!(count > 0, "a missed item counts something");
                next += count;
                gaps += 1;
            }
            (None, None) => {}
        }
    }
    assert_eq!(next, last + 1, "every event read or accounted for");
    assert!(
        gaps >= 1,
        "a client that never read missed what was evicted"
    );

    // Then live events: a second, small run.
    rewrite_config(
        &project,
        &Setup {
            runtime: &[("STDOUT_LINES", "3")],
            cartridge: true,
            ..Setup::default()
        },
    );
    assert_eq!(client.post("/v1/play", "").await.status, 202);
    let live = slow
        .read_until(|item| item.json["run"] == 2 && item.json["to"] == "stopped")
        .await;
    assert_eq!(live.first().and_then(Item::seq), Some(last + 1));
    assert!(live.iter().all(|item| item.missed().is_none()));
    drop(server);
    project.assert_nothing_alive();
}
