//! The service's own tests: the ports are mocks (where what the service asks of a port is the
//! point) or scripted fakes (where a timeline is), time is a `ManualClock`, and nothing
//! touches a process, a file or a socket.
//!
//! Most tests run on tokio's current-thread runtime with paused time: a timeout then fires
//! only once every task is idle, so "this did not happen" is a statement about a quiescent
//! system, not about how long someone waited. Timeouts are generous and never asserted on.

mod failures;
mod lifecycle;
mod settings;
mod shutdown;
mod sinks;
mod stopping;
mod subscriptions;

use std::future::Future;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use session_domain::{
    Event, Failure, LogEvent, LogLimits, RunGoal, RunNumber, Seq, SessionState, Severity, Source,
    StateEvent, Stream, Timestamp,
};

use crate::fakes::{CollectingSink, SinkRecord};
use crate::{
    Clock, ExecutionSession, LogSink, ManualClock, MockRunningPreparation, MockRunningRuntime,
    MockRuntimeSource, MockShipperSource, Ports, RunPorts, RunPortsFactory, RuntimeSource,
    ServiceSettings, ShipperSource, Subscription, SubscriptionItem,
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

/// Asks `session` to play, and expects the run to open.
async fn play_opened(session: &ExecutionSession) {
    within("play", session.play(RunGoal::Play.into()))
        .await
        .expect("open");
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
        Self::start_on(shipper, runtime, manual_clock())
    }

    /// Like [`Harness::start`], on a clock the test moves itself.
    fn start_on(
        shipper: Arc<dyn ShipperSource>,
        runtime: Arc<dyn RuntimeSource>,
        clock: Arc<ManualClock>,
    ) -> Self {
        Self::start_with(shipper, runtime, clock, ServiceSettings::default())
    }

    fn start_with(
        shipper: Arc<dyn ShipperSource>,
        runtime: Arc<dyn RuntimeSource>,
        clock: Arc<ManualClock>,
        settings: ServiceSettings,
    ) -> Self {
        Self::start_with_factory(Arc::new(RunPorts { shipper, runtime }), clock, settings)
    }

    /// A session whose runs get their ports from `factory`.
    fn start_with_factory(
        factory: Arc<dyn RunPortsFactory>,
        clock: Arc<ManualClock>,
        settings: ServiceSettings,
    ) -> Self {
        let (sink, record) = CollectingSink::new("stdout").boxed();
        let session = start_session_with(factory, &clock, vec![sink], settings);
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
    // The same ports serve every play: these tests are about the service, not the settings.
    let factory = Arc::new(RunPorts { shipper, runtime });
    start_session_with(factory, clock, sinks, settings)
}

fn start_session_with(
    factory: Arc<dyn RunPortsFactory>,
    clock: &Arc<ManualClock>,
    sinks: Vec<Box<dyn LogSink>>,
    settings: ServiceSettings,
) -> ExecutionSession {
    let clock: Arc<dyn Clock> = Arc::clone(clock) as Arc<dyn Clock>;
    ExecutionSession::start(Ports { factory, clock }, sinks, settings)
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

/// A runtime source that must never be asked to launch.
fn no_runtime() -> Arc<MockRuntimeSource> {
    let mut source = MockRuntimeSource::new();
    source.expect_launch().never();
    Arc::new(source)
}

/// Takes back every mock port a test shared with the service, in the order the tests have
/// always dropped them (shipper, preparation, source, then the running runtime if any), so
/// that each one's expectations are checked here.
async fn reclaim_all(
    shipper: Arc<MockShipperSource>,
    preparation: Arc<MockRunningPreparation>,
    source: Arc<MockRuntimeSource>,
    runtime: Option<Arc<MockRunningRuntime>>,
) {
    drop(reclaim(shipper).await);
    drop(reclaim(preparation).await);
    drop(reclaim(source).await);
    if let Some(runtime) = runtime {
        drop(reclaim(runtime).await);
    }
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

/// A [`state`] event that records `failure`.
fn failed_state(
    seq: Seq,
    run: RunNumber,
    at: Timestamp,
    transition: (SessionState, SessionState),
    reason: &str,
    failure: Failure,
) -> Event {
    let Event::State(event) = state(seq, run, at, transition, reason) else {
        unreachable!("`state` makes a state event");
    };
    Event::State(StateEvent {
        failure: Some(failure),
        ..event
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

/// The events that open run 1 at T0 when its preparation succeeds at once: `play requested`,
/// then `connecting` (seqs 1 and 2).
fn run_1_connecting() -> Vec<Event> {
    vec![
        state(
            1,
            1,
            at(0),
            (SessionState::Idle, SessionState::Preparing),
            "play requested",
        ),
        state(
            2,
            1,
            at(0),
            (SessionState::Preparing, SessionState::Connecting),
            "preparation succeeded",
        ),
    ]
}

/// [`run_1_connecting`], then the runtime with `pid` running at once (seq 3).
fn run_1_running(pid: u32) -> Vec<Event> {
    let mut events = run_1_connecting();
    events.push(state(
        3,
        1,
        at(0),
        (SessionState::Connecting, SessionState::Running),
        &format!("runtime running (pid {pid})"),
    ));
    events
}

/// `(from, to)` of every state event, in order.
fn transitions(events: &[Event]) -> Vec<(SessionState, SessionState)> {
    events
        .iter()
        .filter_map(|event| match event {
            Event::State(state) => Some((state.from, state.to)),
            Event::Log(_) | Event::Step(_) => None,
        })
        .collect()
}

/// The `(from, to)` pairs of a session that moves through `states` in order, as
/// [`transitions`] reports them.
fn through(states: &[SessionState]) -> Vec<(SessionState, SessionState)> {
    states.windows(2).map(|pair| (pair[0], pair[1])).collect()
}

/// The last state event.
fn last_state(events: &[Event]) -> &StateEvent {
    events
        .iter()
        .rev()
        .find_map(|event| match event {
            Event::State(state) => Some(state),
            Event::Log(_) | Event::Step(_) => None,
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
