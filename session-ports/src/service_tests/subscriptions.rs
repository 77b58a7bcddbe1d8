//! Subscribers: late ones see what early ones saw, resuming from a snapshot has no gap and no
//! duplicate, a slow one misses events without slowing the run, and a crowd coming and going
//! during a run each sees an ordered, gapless stream.

use std::sync::Arc;

use session_domain::{Event, RuntimeEnd, Seq, SessionState as S, Stream, Termination};

use super::{
    Harness, assert_gapless_from, drain, manual_clock, only_events, play_opened, settings_holding,
    wait_for_state, within,
};
use crate::SubscriptionItem;
use crate::fakes::{
    Gate, PreparationScript, RuntimeScript, ScriptedRuntime, ScriptedShipper, Wait,
};

/// A runtime that sends `batches` batches of `per_batch` lines, each once `step` lets it,
/// then ends with status 0 once `end` lets it.
fn stepping_runtime(batches: usize, per_batch: usize, step: &Gate, end: &Gate) -> RuntimeScript {
    let mut script = RuntimeScript::new();
    for batch in 0..batches {
        let lines: Vec<String> = (0..per_batch)
            .map(|line| format!("batch {batch} line {line}"))
            .collect();
        let lines: Vec<&str> = lines.iter().map(String::as_str).collect();
        script = script
            .wait(Wait::Gate(step.clone()))
            .lines(Stream::Stdout, &lines);
    }
    script
        .wait(Wait::Gate(end.clone()))
        .ends(RuntimeEnd::Exited(Termination::Success))
}

#[tokio::test(start_paused = true)]
async fn a_late_subscriber_sees_exactly_what_an_early_one_saw_and_a_resumed_one_has_no_gap() {
    let (step, end) = (Gate::new(), Gate::new());
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new().lines(
        session_domain::Source::Build,
        Stream::Stdout,
        &["building"],
    )));
    let runtime = Arc::new(ScriptedRuntime::new(stepping_runtime(6, 3, &step, &end)));
    let harness = Harness::start(shipper, runtime.clone());
    let session = &harness.session;
    let mut early = session.subscribe(0);
    // Asking for events after a `seq` far beyond the newest means live events only.
    let mut live_only = session.subscribe(1_000);

    play_opened(session).await;
    wait_for_state(&mut early, S::Running).await;
    step.allow(3);
    within("three batches", runtime.wait_sent(3)).await;
    let middle = session.snapshot();
    let mut resumed = session.subscribe(middle.last_seq);
    step.allow(3);
    end.open();
    let finished = within("the run to end", session.settled()).await;
    assert_eq!(finished.state, S::Stopped);
    let late_before_shutdown = only_events({
        let mut late = session.subscribe(0);
        let mut items = Vec::new();
        while let Some(item) = late.try_next() {
            items.push(item);
        }
        items
    });
    within("shutdown", session.shutdown()).await;

    let early_events = only_events(drain(&mut session.subscribe(0)).await);
    let rest_of_early = only_events(drain(&mut early).await);
    let live = only_events(drain(&mut live_only).await);
    let resumed = only_events(drain(&mut resumed).await);

    // 1 preparing, 1 build line, connecting, running, 18 runtime lines, stopped.
    assert_eq!(early_events.len(), 23);
    assert_gapless_from(&early_events, 1);
    assert_eq!(late_before_shutdown, early_events);
    assert_eq!(harness.sink.events(), early_events);
    // The early subscriber read up to `running` before, and the rest now.
    let read_before = early_events.len() - rest_of_early.len();
    assert_eq!(rest_of_early, early_events[read_before..]);
    assert_eq!(live, early_events);
    let after = usize::try_from(middle.last_seq).expect("small");
    assert_eq!(resumed, early_events[after..]);
    assert_eq!(resumed.first().map(Event::seq), Some(middle.last_seq + 1));
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_that_falls_behind_gets_missed_with_the_exact_count_and_the_run_goes_on() {
    let (step, end) = (Gate::opened(), Gate::opened());
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new()));
    let runtime = Arc::new(ScriptedRuntime::new(stepping_runtime(10, 5, &step, &end)));
    let harness = Harness::start_with(
        shipper,
        runtime.clone(),
        manual_clock(),
        settings_holding(10),
    );
    let session = &harness.session;
    // Subscribed before anything happened, and never reads until the run is over.
    let mut slow = session.subscribe(0);

    play_opened(session).await;
    let end_state = within("the run to end", session.settled()).await;
    // preparing, connecting, running, 50 lines, stopped: 54 events, the newest 10 held.
    assert_eq!(end_state.state, S::Stopped);
    assert_eq!(end_state.last_seq, 54);
    assert_eq!(end_state.oldest_held_seq, 45);
    assert_eq!(end_state.evicted_total, 44);

    // Resuming from a `seq` that was evicted also reports what was missed.
    let mut resumed_too_late = session.subscribe(3);
    let mut from_oldest = session.subscribe(0);
    within("shutdown", session.shutdown()).await;

    let items = drain(&mut slow).await;
    assert_eq!(items.first(), Some(&SubscriptionItem::Missed { count: 44 }));
    let events = only_events(items[1..].to_vec());
    assert_gapless_from(&events, 45);
    assert_eq!(events.len(), 10);

    let items = drain(&mut resumed_too_late).await;
    assert_eq!(items.first(), Some(&SubscriptionItem::Missed { count: 41 }));
    assert_eq!(only_events(items[1..].to_vec()), events);

    // "From the oldest held" never reports a miss.
    assert_eq!(only_events(drain(&mut from_oldest).await), events);
    // The sink lost nothing.
    assert_gapless_from(&harness.sink.events(), 1);
    assert_eq!(harness.sink.events().len(), 54);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_subscribers_attaching_and_leaving_during_a_run_each_see_a_gapless_stream() {
    const ROUNDS: usize = 100;
    const PER_ROUND: usize = 10;
    let (step, end) = (Gate::new(), Gate::new());
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new()));
    let runtime = Arc::new(ScriptedRuntime::new(stepping_runtime(
        ROUNDS, 5, &step, &end,
    )));
    let harness = Harness::start(shipper, runtime.clone());
    let session = harness.session.clone();
    let mut watcher = session.subscribe(0);
    play_opened(&session).await;
    wait_for_state(&mut watcher, S::Running).await;

    let mut readers = Vec::new();
    for round in 0..ROUNDS {
        for index in 0..PER_ROUND {
            let session = session.clone();
            let kind = (round * PER_ROUND + index) % 4;
            // Most leave after a few items; every tenth stays until the session ends.
            let limit = if index == 0 {
                usize::MAX
            } else {
                (round * 7 + index * 3) % 40 + 1
            };
            readers.push(tokio::spawn(async move {
                let newest = session.snapshot().last_seq;
                let (after, first): (Seq, Option<Seq>) = match kind {
                    0 => (0, Some(1)),
                    1 => (newest, Some(newest + 1)),
                    2 => (newest.saturating_sub(7), Some(newest.saturating_sub(7) + 1)),
                    // Live only: starts somewhere after what it saw as the newest.
                    _ => (newest + 1_000_000, None),
                };
                let mut subscription = session.subscribe(after);
                drop(session);
                let mut seen = Vec::new();
                while seen.len() < limit {
                    match subscription.next().await {
                        Some(SubscriptionItem::Event(event)) => {
                            seen.push(event.view().to_owned_event());
                        }
                        Some(SubscriptionItem::Missed { count }) => {
                            panic!("missed {count} with a buffer that holds everything")
                        }
                        None => break,
                    }
                }
                (newest, first, seen)
            }));
        }
        step.allow(1);
        if round % 10 == 0 {
            within("the runtime's batches", runtime.wait_sent(round + 1)).await;
        }
    }
    end.open();
    let finished = within("the run to end", session.settled()).await;
    assert_eq!(finished.state, S::Stopped);
    within("shutdown", session.shutdown()).await;

    let all = only_events(drain(&mut session.subscribe(0)).await);
    assert_eq!(all.len(), 3 + ROUNDS * 5 + 1);
    assert_gapless_from(&all, 1);
    let mut stayed_to_the_end = 0;
    for reader in readers {
        let (newest, first, seen) = within("a reader", reader).await.expect("a reader task");
        let Some(head) = seen.first() else {
            continue;
        };
        match first {
            Some(first) => assert_eq!(head.seq(), first),
            None => assert!(head.seq() > newest, "a live-only reader saw an old event"),
        }
        let start = usize::try_from(head.seq() - 1).expect("small");
        assert_eq!(seen, all[start..start + seen.len()]);
        if seen.last() == all.last() {
            stayed_to_the_end += 1;
        }
    }
    assert!(
        stayed_to_the_end >= ROUNDS,
        "every tenth reader reads to the end"
    );
}
