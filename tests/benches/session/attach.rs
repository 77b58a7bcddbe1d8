//! A subscriber joining a session that holds 100,000 events, until it holds the backlog.

use std::path::Path;
use std::time::{Duration, Instant};

use session_domain::RunGoal;
use session_ports::SubscriptionItem;

use crate::Options;
use crate::figure::{Judged, Spread, Target, Unit, thousands};
use crate::in_process;

const BACKLOG: u64 = 100_000;
const TARGET: Target = Target::AtMost {
    words: "under",
    limit: 20.0,
};

pub async fn to_a_held_backlog(dir: &Path, options: &Options) {
    let session = in_process::session(
        dir,
        "attach",
        &format!(
            "i=0; while [ $i -lt {BACKLOG} ]; do echo \"line $i of the backlog\"; i=$((i+1)); done; exec sleep 1000"
        ),
        Duration::from_millis(200),
    );
    session.play(RunGoal::Play.into()).await.expect("play");
    while session.snapshot().last_seq < BACKLOG {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut samples = Vec::new();
    for _ in 0..options.timing_samples {
        let target = session.snapshot().last_seq;
        let started = Instant::now();
        let mut subscription = session.subscribe(0);
        let mut held = 0_u64;
        while subscription.position() < target {
            match subscription.next().await {
                Some(SubscriptionItem::Event(_)) => held += 1,
                Some(SubscriptionItem::Missed { .. }) => {}
                None => break,
            }
        }
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
        assert!(held >= BACKLOG, "held only {held}");
    }
    println!(
        "attach: a subscriber joining a session holding {} events, until it holds them all: {}",
        thousands(session.snapshot().last_seq),
        Judged {
            spread: Spread::of(samples),
            unit: Unit::Milliseconds,
            target: TARGET,
        }
    );
    session.shutdown().await;
}
