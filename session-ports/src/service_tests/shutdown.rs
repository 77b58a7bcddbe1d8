//! Ending the session: `shutdown()` during a run, every handle dropped during a run, and a
//! session task that dies.

use std::sync::Arc;

use session_domain::{RunGoal, SessionState as S, Stream};

use super::{
    Harness, assert_gapless_from, drain, last_state, manual_clock, only_events, play_opened,
    start_session, transitions, wait_for_state, within,
};
use crate::fakes::{
    CollectingSink, PreparationScript, RuntimeScript, ScriptedRuntime, ScriptedShipper,
};
use crate::{
    MockRuntimeSource, MockShipperSource, ServiceSettings, SessionClosed, SubscriptionItem,
};

/// A runtime that talks, then runs until it is stopped, and says goodbye.
fn chatty_runtime() -> RuntimeScript {
    RuntimeScript::new()
        .lines(Stream::Stdout, &["frame 1", "frame 2"])
        .lines(Stream::Stdout, &["frame 3"])
        .wait(crate::fakes::Wait::Stop)
        .lines(Stream::Stderr, &["saving state"])
        .ends(session_domain::RuntimeEnd::Stopped)
}

#[tokio::test(start_paused = true)]
async fn shutdown_during_a_run_stops_it_flushes_the_sinks_and_ends_every_subscription() {
    let runtime = Arc::new(ScriptedRuntime::new(chatty_runtime()));
    let harness = Harness::start(
        Arc::new(ScriptedShipper::new(PreparationScript::new())),
        runtime.clone(),
    );
    let session = &harness.session;
    let mut unread = session.subscribe(0);
    let mut reader = session.subscribe(0);
    play_opened(session).await;
    wait_for_state(&mut reader, S::Running).await;

    within("shutdown", session.shutdown()).await;

    // Everything below holds as soon as `shutdown` returned: nothing is awaited first.
    assert_eq!(session.state(), S::Stopped);
    let sink = harness.sink.events();
    // preparing, connecting, running, 3 frames, stopping, the goodbye line, stopped.
    assert_eq!(sink.len(), 9);
    assert_gapless_from(&sink, 1);
    assert_eq!(
        harness.sink.progress().last_seq,
        session.snapshot().last_seq
    );
    assert!(harness.sink.progress().flushes >= 1);
    assert_eq!(
        transitions(&sink)[3..],
        [(S::Running, S::Stopping), (S::Stopping, S::Stopped)]
    );
    assert_eq!(
        last_state(&sink).reason.as_deref(),
        Some("stopped: the session is shutting down")
    );
    assert_eq!(runtime.calls().stops, 1);

    // Subscriptions hand out what they had not read yet, then end, and stay ended.
    assert_eq!(only_events(drain(&mut unread).await), sink);
    assert_eq!(unread.next().await, None);
    let rest = only_events(drain(&mut reader).await);
    assert_eq!(rest, sink[sink.len() - rest.len()..]);
    assert_eq!(reader.try_next(), None);
    // A subscription taken afterwards reads what is held, then ends.
    assert_eq!(only_events(drain(&mut session.subscribe(0)).await), sink);

    // The session is gone: commands say so, a second shutdown returns.
    assert_eq!(session.play(RunGoal::Play.into()).await, Err(SessionClosed));
    assert_eq!(session.stop("late").await, Err(SessionClosed));
    assert_eq!(session.kill_now().await, Err(SessionClosed));
    within("a second shutdown", session.shutdown()).await;
    assert_eq!(within("settled", session.settled()).await.state, S::Stopped);
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_no_run_ends_at_once() {
    let harness = Harness::start(
        Arc::new(ScriptedShipper::new(PreparationScript::new())),
        Arc::new(ScriptedRuntime::new(RuntimeScript::new())),
    );
    let mut subscription = harness.session.subscribe(0);
    assert!(harness.finish().await.is_empty());
    assert_eq!(
        drain(&mut subscription).await,
        Vec::<SubscriptionItem>::new()
    );
    assert_eq!(harness.session.state(), S::Idle);
}

/// Real time and worker threads: if the session's task spun instead of shutting down, a
/// paused clock would never reach the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_every_handle_during_a_run_stops_it_and_ends_the_subscriptions() {
    let runtime = Arc::new(ScriptedRuntime::new(chatty_runtime()));
    let (sink, record) = CollectingSink::new("stdout").boxed();
    let session = start_session(
        Arc::new(ScriptedShipper::new(PreparationScript::new())),
        runtime.clone(),
        &manual_clock(),
        vec![sink],
        ServiceSettings::default(),
    );
    let mut subscription = session.subscribe(0);
    play_opened(&session).await;
    let mut watcher = session.subscribe(0);
    wait_for_state(&mut watcher, S::Running).await;
    drop(session);

    let events = only_events(drain(&mut subscription).await);
    assert_gapless_from(&events, 1);
    assert_eq!(
        last_state(&events).reason.as_deref(),
        Some("stopped: the session is shutting down")
    );
    assert_eq!(runtime.calls().stops, 1);
    // The sink task finishes just before the subscriptions end.
    assert_eq!(record.events(), events);
}

#[tokio::test(start_paused = true)]
async fn a_session_task_that_dies_ends_subscriptions_and_settled_instead_of_hanging() {
    let mut shipper = MockShipperSource::new();
    shipper
        .expect_start()
        .returning(|_, _| panic!("a port bug (this panic is part of the test)"));
    let mut runtime = MockRuntimeSource::new();
    runtime.expect_launch().never();
    let clock = manual_clock();
    let session = start_session(
        Arc::new(shipper),
        Arc::new(runtime),
        &clock,
        Vec::new(),
        ServiceSettings::default(),
    );
    let mut subscription = session.subscribe(0);

    assert_eq!(session.play(RunGoal::Play.into()).await, Err(SessionClosed));
    // The run had been entered before the port panicked; the state it left is final.
    let end = within("settled after the task died", session.settled()).await;
    assert_eq!(end.state, S::Preparing);
    let items = only_events(drain(&mut subscription).await);
    assert_eq!(transitions(&items), vec![(S::Idle, S::Preparing)]);
    assert_eq!(session.stop("late").await, Err(SessionClosed));
}
