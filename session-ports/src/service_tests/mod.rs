//! The service's own tests: the ports are mocks (where what the service asks of a port is the
//! point) or scripted fakes (where a timeline is), time is a `ManualClock`, and nothing
//! touches a process, a file or a socket.
//!
//! Most tests run on tokio's current-thread runtime with paused time: a timeout then fires
//! only once every task is idle, so "this did not happen" is a statement about a quiescent
//! system, not about how long someone waited. Timeouts are generous and never asserted on.

mod failures;
mod lifecycle;
mod shutdown;
mod sinks;
mod stopping;
mod subscriptions;

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use session_domain::{
    Event, Failure, LogEvent, LogLimits, RunNumber, Seq, SessionState, Severity, Source,
    StateEvent, Stream, Timestamp,
};

use crate::fakes::{CollectingSink, SinkRecord};
use crate::{
    Clock, ExecutionSession, LogSink, ManualClock, Ports, RuntimeSource, ServiceSettings,
    ShipperSource, Subscription, SubscriptionItem,
};

/// 2026-04-06T10:00:00Z, when every test's clock starts.
const T0_NANOS: i64 = 1_775_469_600 * 1_000_000_000;

/// `ms` milliseconds after 2026-04-06T10:00:00Z.
fn at(ms: i64) -> Timestamp {
    Timestamp::from_unix_nanos(T0_NANOS + ms * 1_000_000)
}

fn manual_clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(at(0)))
}

/// Moves the clock to `ms` after T0.
fn set_clock(clock: &ManualClock, ms: i64) {
    clock.set(at(ms));
}

/// Generous: a test that reaches it has failed, and says what it was waiting for.
const PATIENCE: Duration = Duration::from_secs(20);

async fn within<F: Future>(what: &str, future: F) -> F::Output {
    match tokio::time::timeout(PATIENCE, future).await {
        Ok(output) => output,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// Settings with a log that holds `buffer_events` events (and plenty of bytes).
fn settings_holding(buffer_events: usize) -> ServiceSettings {
    ServiceSettings {
        limits: LogLimits {
            max_events: NonZeroUsize::new(buffer_events).expect("a positive buffer"),
            max_bytes: NonZeroUsize::new(64 * 1024 * 1024).expect("a positive buffer"),
        },
        ..ServiceSettings::default()
    }
}

/// A session over these ports and a manual clock, with one collecting sink called `stdout`.
struct Harness {
    session: ExecutionSession,
    sink: Arc<SinkRecord>,
}

impl Harness {
    fn start(shipper: Arc<dyn ShipperSource>, runtime: Arc<dyn RuntimeSource>) -> Self {
        Self::start_with(shipper, runtime, manual_clock(), ServiceSettings::default())
    }

    fn start_with(
        shipper: Arc<dyn ShipperSource>,
        runtime: Arc<dyn RuntimeSource>,
        clock: Arc<ManualClock>,
        settings: ServiceSettings,
    ) -> Self {
        let (sink, record) = CollectingSink::new("stdout").boxed();
        let session = start_session(shipper, runtime, &clock, vec![sink], settings);
        Self {
            session,
            sink: record,
        }
    }

    /// Shuts the session down and returns everything the sink received.
    async fn finish(&self) -> Vec<Event> {
        within("shutdown", self.session.shutdown()).await;
        self.sink.events()
    }
}

fn start_session(
    shipper: Arc<dyn ShipperSource>,
    runtime: Arc<dyn RuntimeSource>,
    clock: &Arc<ManualClock>,
    sinks: Vec<Box<dyn LogSink>>,
    settings: ServiceSettings,
) -> ExecutionSession {
    let clock: Arc<dyn Clock> = Arc::clone(clock) as Arc<dyn Clock>;
    ExecutionSession::start(
        Ports {
            shipper,
            runtime,
            clock,
        },
        sinks,
        settings,
    )
}

/// Takes back a port the test shared with the service once the service let go of it, so
/// that dropping it checks its mockall expectations here, in the test's task.
async fn reclaim<T>(mut shared: Arc<T>) -> T {
    within("the service to release a port", async {
        loop {
            match Arc::try_unwrap(shared) {
                Ok(port) => return port,
                Err(back) => {
                    shared = back;
                    // Nothing announces the last drop; poll (instant under paused time).
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
            }
        }
    })
    .await
}

/// Reads events until (and including) the state event that enters `to`.
async fn events_until(subscription: &mut Subscription, to: SessionState) -> Vec<Event> {
    let mut events = Vec::new();
    within(&format!("the session to enter {to}"), async {
        loop {
            match subscription.next().await {
                Some(SubscriptionItem::Event(event)) => {
                    let event = event.view().to_owned_event();
                    let entered = matches!(&event, Event::State(state) if state.to == to);
                    events.push(event);
                    if entered {
                        return;
                    }
                }
                Some(SubscriptionItem::Missed { count }) => {
                    panic!("missed {count} events while waiting for {to}")
                }
                None => panic!("the subscription ended before the session entered {to}"),
            }
        }
    })
    .await;
    events
}

/// Waits for the state event that enters `to` and returns it.
async fn wait_for_state(subscription: &mut Subscription, to: SessionState) -> StateEvent {
    match events_until(subscription, to).await.pop() {
        Some(Event::State(state)) => state,
        other => panic!("expected a state event, got {other:?}"),
    }
}

/// Every remaining item, until the subscription ends (the session must be shutting down).
async fn drain(subscription: &mut Subscription) -> Vec<SubscriptionItem> {
    let mut items = Vec::new();
    within("the subscription to end", async {
        while let Some(item) = subscription.next().await {
            items.push(item);
        }
    })
    .await;
    items
}

/// The events of items that must all be events.
fn only_events(items: Vec<SubscriptionItem>) -> Vec<Event> {
    items
        .into_iter()
        .map(|item| match item {
            SubscriptionItem::Event(event) => event.view().to_owned_event(),
            SubscriptionItem::Missed { count } => panic!("unexpected Missed {{ count: {count} }}"),
        })
        .collect()
}

fn state(
    seq: Seq,
    run: RunNumber,
    at: Timestamp,
    (from, to): (SessionState, SessionState),
    reason: &str,
) -> Event {
    Event::State(StateEvent {
        seq,
        run,
        at,
        from,
        to,
        reason: Some(reason.to_owned()),
        failure: None,
    })
}

fn failed_state(
    seq: Seq,
    run: RunNumber,
    at: Timestamp,
    (from, to): (SessionState, SessionState),
    reason: &str,
    failure: Failure,
) -> Event {
    Event::State(StateEvent {
        seq,
        run,
        at,
        from,
        to,
        reason: Some(reason.to_owned()),
        failure: Some(failure),
    })
}

fn line(
    seq: Seq,
    run: RunNumber,
    at: Timestamp,
    (source, stream): (Source, Option<Stream>),
    severity: Severity,
    message: &str,
) -> Event {
    Event::Log(LogEvent {
        seq,
        run,
        at,
        source,
        severity,
        stream,
        message: message.to_owned(),
        truncated: false,
    })
}

/// A `session` line.
fn said(seq: Seq, run: RunNumber, at: Timestamp, severity: Severity, message: &str) -> Event {
    line(seq, run, at, (Source::Session, None), severity, message)
}

/// `(from, to)` of every state event, in order.
fn transitions(events: &[Event]) -> Vec<(SessionState, SessionState)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::State(state) => Some((state.from, state.to)),
            Event::Log(_) => None,
        })
        .collect()
}

/// The last state event.
fn last_state(events: &[Event]) -> &StateEvent {
    events
        .iter()
        .rev()
        .find_map(|event| match event {
            Event::State(state) => Some(state),
            Event::Log(_) => None,
        })
        .expect("at least one state event")
}

/// The messages of the log events from `source`, in order.
fn messages_from(events: &[Event], source: Source) -> Vec<String> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::Log(log) if log.source == source => Some(log.message.clone()),
            _ => None,
        })
        .collect()
}

/// Asserts the events' `seq`s are `first, first + 1, …` with no gap and no repeat.
fn assert_gapless_from(events: &[Event], first: Seq) {
    let seqs: Vec<Seq> = events.iter().map(Event::seq).collect();
    let expected: Vec<Seq> = (first..first + events.len() as Seq).collect();
    assert_eq!(seqs, expected, "seqs are not gapless from {first}");
}
