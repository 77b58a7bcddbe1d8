//! From the `stop()` call to the `stopped` event, for a runtime that honours SIGTERM and one
//! that ignores it (`stop_grace` 200 ms).

use std::path::Path;
use std::time::{Duration, Instant};

use session_domain::{EventView, RunGoal, SessionState};
use session_ports::{StopOutcome, SubscriptionItem};

use crate::Options;
use crate::figure::{Judged, Spread, Target, Unit};
use crate::in_process;

const GRACE: Duration = Duration::from_millis(200);

pub async fn honouring_and_ignoring_sigterm(dir: &Path, options: &Options) {
    let cases = [
        (
            "honours SIGTERM",
            "exec sleep 1000",
            Target::AtMost {
                words: "under",
                limit: 20.0,
            },
        ),
        (
            "ignores SIGTERM",
            "trap '' TERM\nexec sleep 1000",
            Target::AtMost {
                words: "under stop_grace + 20 ms =",
                limit: GRACE.as_secs_f64() * 1000.0 + 20.0,
            },
        ),
    ];
    for (index, (name, script, target)) in cases.into_iter().enumerate() {
        let mut samples = Vec::new();
        for run in 0..options.timing_samples {
            let session = in_process::session(dir, &format!("stop-{index}-{run}"), script, GRACE);
            let mut events = session.subscribe(0);
            session.play(RunGoal::Play.into()).await.expect("play");
            session
                .wait_for_state(|state| state == SessionState::Running || !state.is_active())
                .await;
            // Let the shell reach `exec sleep`, so the trap is in place.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            assert_eq!(session.stop("bench").await, Ok(StopOutcome::Requested));
            loop {
                match events.next().await {
                    Some(SubscriptionItem::Event(event)) => {
                        if matches!(event.view(), EventView::State(state) if state.to == SessionState::Stopped)
                        {
                            break;
                        }
                    }
                    Some(SubscriptionItem::Missed { .. }) => {}
                    None => panic!("the session ended before stopped"),
                }
            }
            samples.push(started.elapsed().as_secs_f64() * 1000.0);
            session.shutdown().await;
        }
        println!(
            "stop latency, runtime that {name} (stop_grace 200 ms): {}",
            Judged {
                spread: Spread::of(samples),
                unit: Unit::Milliseconds,
                target,
            }
        );
    }
}
