//! Stopping and killing: in each active state, a second stop, kill now, and what the ports
//! report while the run is stopping.
//!
//! Where the question is what the service asks of the port (stop once, never again, kill
//! only when told) the port is a mock behind a [`Held`] gate that the test opens once it has
//! asked everything; where it is a timeline, a scripted fake.

use std::num::NonZeroI32;
use std::sync::Arc;

use rstest::rstest;
use session_domain::{
    AbnormalExit, Failure, HandshakeFailure, PortFailure, PreparationEnd, RunGoal, RuntimeEnd,
    RuntimeInfo, SessionState as S, Severity, Snapshot, Step, StepFailure, Termination,
};

use super::{
    Harness, at, last_state, manual_clock, no_runtime, play_opened, reclaim_all, run_1_running,
    said, set_clock, state, transitions, wait_for_state, within,
};
use crate::fakes::{
    Gate, Held, PreparationScript, RuntimeScript, ScriptedRuntime, ScriptedShipper, Wait,
};
use crate::{
    ExecutionSession, KillOutcome, ManualClock, MockRunningPreparation, MockRunningRuntime,
    MockRuntimeSource, MockShipperSource, StopOutcome, Subscription,
};

/// How a test expects the service to use a port's stop and kill.
#[derive(Debug, Clone, Copy)]
struct Asks {
    stops: usize,
    kills: usize,
}

fn preparation(end: PreparationEnd, asks: Asks) -> Arc<MockRunningPreparation> {
    let mut preparation = MockRunningPreparation::new();
    preparation.expect_wait().times(1).return_const(end);
    preparation.expect_stop().times(asks.stops).return_const(());
    preparation
        .expect_kill_now()
        .times(asks.kills)
        .return_const(());
    Arc::new(preparation)
}

/// A shipper whose one start returns `preparation` with its `wait` held by `gate`.
fn shipper(
    preparation: &Arc<MockRunningPreparation>,
    gate: Option<&Gate>,
) -> Arc<MockShipperSource> {
    let mut shipper = MockShipperSource::new();
    let preparation = Arc::clone(preparation);
    let gate = gate.cloned();
    shipper.expect_start().times(1).returning(move |_, _| {
        let held = Held::new(Arc::clone(&preparation));
        Box::new(match &gate {
            Some(gate) => held.hold_wait(gate.clone()),
            None => held,
        })
    });
    Arc::new(shipper)
}

/// A runtime source whose one launch returns `runtime` wrapped by `hold`.
fn runtime_source(
    runtime: &Arc<MockRunningRuntime>,
    hold: impl Fn(Held<MockRunningRuntime>) -> Held<MockRunningRuntime> + Send + 'static,
) -> Arc<MockRuntimeSource> {
    let mut source = MockRuntimeSource::new();
    let runtime = Arc::clone(runtime);
    source
        .expect_launch()
        .times(1)
        .returning(move |_, _| Box::new(hold(Held::new(Arc::clone(&runtime)))));
    Arc::new(source)
}

fn running_info() -> RuntimeInfo {
    RuntimeInfo {
        pid: 4242,
        version: None,
        cartridge: None,
    }
}

/// A runtime that gets ready at once and, once let through, reports `Stopped`.
fn running_runtime(asks: Asks) -> Arc<MockRunningRuntime> {
    let mut runtime = MockRunningRuntime::new();
    runtime
        .expect_ready()
        .times(1)
        .return_const(Ok(running_info()));
    runtime
        .expect_wait()
        .times(1)
        .return_const(RuntimeEnd::Stopped);
    runtime.expect_stop().times(asks.stops).return_const(());
    runtime.expect_kill_now().times(asks.kills).return_const(());
    Arc::new(runtime)
}

/// Asks `session` to stop twice: the first is taken, the second finds the run already stopping.
async fn stop_twice(session: &ExecutionSession, first: &str, second: &str) {
    assert_eq!(
        within("stop", session.stop(first)).await,
        Ok(StopOutcome::Requested)
    );
    assert_eq!(
        within("stop", session.stop(second)).await,
        Ok(StopOutcome::AlreadyStopping)
    );
}

/// Asks `session` to kill now, which is taken: the run is `stopping` until the port ends.
async fn kill_now_keeps_stopping(session: &ExecutionSession) {
    assert_eq!(
        within("kill", session.kill_now()).await,
        Ok(KillOutcome::Killing)
    );
    assert_eq!(session.state(), S::Stopping);
}

/// A session on `clock` whose run 1 is `running`: the preparation succeeded, and the runtime
/// (a mock expecting `asks`) got ready at once and holds its `wait` until `release` opens.
struct RunningSession {
    harness: Harness,
    release: Gate,
    /// Kept open for the whole test, as a subscriber that saw the run reach `running`.
    events: Subscription,
    shipper: Arc<MockShipperSource>,
    preparation: Arc<MockRunningPreparation>,
    source: Arc<MockRuntimeSource>,
    runtime: Arc<MockRunningRuntime>,
}

impl RunningSession {
    async fn start(asks: Asks, clock: Arc<ManualClock>) -> Self {
        let release = Gate::new();
        let preparation = preparation(PreparationEnd::Succeeded, Asks { stops: 0, kills: 0 });
        let shipper = shipper(&preparation, None);
        let runtime = running_runtime(asks);
        let wait_gate = release.clone();
        let source = runtime_source(&runtime, move |held| held.hold_wait(wait_gate.clone()));
        let harness = Harness::start_on(shipper.clone(), source.clone(), clock);
        let mut events = harness.session.subscribe(0);

        play_opened(&harness.session).await;
        wait_for_state(&mut events, S::Running).await;
        Self {
            harness,
            release,
            events,
            shipper,
            preparation,
            source,
            runtime,
        }
    }

    /// Opens the runtime's `wait`, expects the run to end `stopped`, and returns how it ended.
    async fn release_until_stopped(&self) -> Snapshot {
        self.release.open();
        let end = within("the run to end", self.harness.session.settled()).await;
        assert_eq!(end.state, S::Stopped);
        end
    }

    /// Checks the mocks' expectations, then drops the rest in the order a test's locals would
    /// go: the subscription, the session, the gate.
    async fn reclaim(self) {
        reclaim_all(
            self.shipper,
            self.preparation,
            self.source,
            Some(self.runtime),
        )
        .await;
        drop(self.events);
        drop(self.harness);
        drop(self.release);
    }
}

#[tokio::test(start_paused = true)]
async fn stop_while_preparing_stops_the_preparation_once_and_a_second_stop_does_not_escalate() {
    let clock = manual_clock();
    let release = Gate::new();
    let preparation = preparation(PreparationEnd::Stopped, Asks { stops: 1, kills: 0 });
    let shipper = shipper(&preparation, Some(&release));
    let runtime = no_runtime();
    let harness = Harness::start_on(shipper.clone(), runtime.clone(), clock.clone());
    let session = &harness.session;

    play_opened(session).await;
    set_clock(&clock, 250);
    let first = within("stop", session.stop("user asked")).await;
    assert_eq!(first, Ok(StopOutcome::Requested));
    assert_eq!(session.state(), S::Stopping);
    set_clock(&clock, 300);
    let second = within("stop", session.stop("again")).await;
    assert_eq!(second, Ok(StopOutcome::AlreadyStopping));
    assert_eq!(session.state(), S::Stopping);

    set_clock(&clock, 900);
    release.open();
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    assert_eq!(
        harness.finish().await,
        vec![
            state(1, 1, at(0), (S::Idle, S::Preparing), "play requested"),
            state(2, 1, at(250), (S::Preparing, S::Stopping), "user asked"),
            state(
                3,
                1,
                at(900),
                (S::Stopping, S::Stopped),
                "stopped: user asked"
            ),
        ]
    );
    reclaim_all(shipper, preparation, runtime, None).await;
}

#[tokio::test(start_paused = true)]
async fn stop_while_connecting_stops_the_runtime_once() {
    let release = Gate::new();
    let preparation = preparation(PreparationEnd::Succeeded, Asks { stops: 0, kills: 0 });
    let shipper = shipper(&preparation, None);
    let mut runtime = MockRunningRuntime::new();
    // Stopped before it got ready: `ready` reports the end, `wait` is never needed.
    runtime
        .expect_ready()
        .times(1)
        .return_const(Err(RuntimeEnd::Stopped));
    runtime.expect_wait().never();
    runtime.expect_stop().times(1).return_const(());
    runtime.expect_kill_now().never();
    let runtime = Arc::new(runtime);
    let ready_gate = release.clone();
    let source = runtime_source(&runtime, move |held| held.hold_ready(ready_gate.clone()));
    let harness = Harness::start(shipper.clone(), source.clone());
    let session = &harness.session;
    let mut events = session.subscribe(0);

    play_opened(session).await;
    wait_for_state(&mut events, S::Connecting).await;
    stop_twice(session, "user asked", "again").await;
    release.open();
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    let all = harness.finish().await;
    assert_eq!(
        transitions(&all),
        vec![
            (S::Idle, S::Preparing),
            (S::Preparing, S::Connecting),
            (S::Connecting, S::Stopping),
            (S::Stopping, S::Stopped),
        ]
    );
    assert_eq!(
        last_state(&all).reason.as_deref(),
        Some("stopped: user asked")
    );
    reclaim_all(shipper, preparation, source, Some(runtime)).await;
}

#[tokio::test(start_paused = true)]
async fn stop_while_running_stops_the_runtime_once_and_a_second_stop_does_not_escalate() {
    let run = RunningSession::start(Asks { stops: 1, kills: 0 }, manual_clock()).await;
    let session = &run.harness.session;

    assert_eq!(session.snapshot().runtime, Some(running_info()));
    stop_twice(session, "SIGINT received", "SIGINT received").await;
    let end = run.release_until_stopped().await;
    assert_eq!(end.runtime, None);
    let mut expected = run_1_running(4242);
    expected.extend([
        state(4, 1, at(0), (S::Running, S::Stopping), "SIGINT received"),
        state(
            5,
            1,
            at(0),
            (S::Stopping, S::Stopped),
            "stopped: SIGINT received",
        ),
    ]);
    assert_eq!(run.harness.finish().await, expected);
    run.reclaim().await;
}

#[tokio::test(start_paused = true)]
async fn kill_now_while_running_kills_the_runtime_without_a_graceful_stop() {
    let run = RunningSession::start(Asks { stops: 0, kills: 1 }, manual_clock()).await;
    let session = &run.harness.session;

    kill_now_keeps_stopping(session).await;
    run.release_until_stopped().await;
    let all = run.harness.finish().await;
    assert_eq!(
        all[3..],
        [
            state(4, 1, at(0), (S::Running, S::Stopping), "kill requested"),
            state(
                5,
                1,
                at(0),
                (S::Stopping, S::Stopped),
                "stopped: kill requested"
            ),
        ]
    );
    run.reclaim().await;
}

#[tokio::test(start_paused = true)]
async fn kill_now_while_stopping_skips_the_grace_and_the_run_still_ends_stopped() {
    let clock = manual_clock();
    let run = RunningSession::start(Asks { stops: 1, kills: 1 }, clock.clone()).await;
    let session = &run.harness.session;

    set_clock(&clock, 1_000);
    assert_eq!(
        within("stop", session.stop("SIGINT received")).await,
        Ok(StopOutcome::Requested)
    );
    set_clock(&clock, 1_100);
    assert_eq!(
        within("stop", session.stop("SIGINT received")).await,
        Ok(StopOutcome::AlreadyStopping)
    );
    set_clock(&clock, 1_200);
    kill_now_keeps_stopping(session).await;
    set_clock(&clock, 1_300);
    run.release_until_stopped().await;
    let all = run.harness.finish().await;
    assert_eq!(
        all[3..],
        [
            state(
                4,
                1,
                at(1_000),
                (S::Running, S::Stopping),
                "SIGINT received"
            ),
            said(
                5,
                1,
                at(1_200),
                Severity::Warn,
                "kill now: skipping the rest of the stop grace"
            ),
            state(
                6,
                1,
                at(1_300),
                (S::Stopping, S::Stopped),
                "stopped: SIGINT received"
            ),
        ]
    );
    run.reclaim().await;
}

fn build_failed() -> PortFailure {
    PortFailure {
        failure: Failure::Step {
            step: Step::Build,
            cause: StepFailure::Exit(AbnormalExit::Code(NonZeroI32::new(1).expect("non-zero"))),
        },
        reason: "build failed (exit 1)".to_owned(),
    }
}

fn handshake_closed() -> PortFailure {
    PortFailure {
        failure: Failure::Handshake(HandshakeFailure::Closed),
        reason: "the DevTools socket closed before the handshake".to_owned(),
    }
}

/// A port reports something else than `Stopped` after the stop: the run stays `stopping`
/// until the port's end, ends `stopped`, and the final reason records what happened.
#[rstest]
#[case::preparation_fails_anyway(
    PreparationScript::new().wait(Wait::Stop).fails(build_failed()),
    RuntimeScript::new(),
    S::Preparing,
    "stopped: user asked (meanwhile: build failed (exit 1))",
    0
)]
#[case::preparation_succeeds_anyway(
    PreparationScript::new().wait(Wait::Stop),
    RuntimeScript::new(),
    S::Preparing,
    "stopped: user asked (meanwhile: preparation had succeeded)",
    0
)]
#[case::runtime_reaches_running_anyway(
    PreparationScript::new(),
    RuntimeScript::new().wait_before_ready(Wait::Stop).until_stopped(),
    S::Connecting,
    "stopped: user asked (meanwhile: the runtime had reached running)",
    1
)]
#[case::runtime_handshake_fails_anyway(
    PreparationScript::new(),
    RuntimeScript::new()
        .wait_before_ready(Wait::Stop)
        .ready_with(Err(RuntimeEnd::LaunchFailed(handshake_closed()))),
    S::Connecting,
    "stopped: user asked (meanwhile: the DevTools socket closed before the handshake)",
    1
)]
#[case::runtime_exits_by_itself_anyway(
    PreparationScript::new(),
    RuntimeScript::new().wait(Wait::Stop).ends(RuntimeEnd::Exited(Termination::Abnormal(
        AbnormalExit::Code(NonZeroI32::new(143).expect("non-zero"))
    ))),
    S::Running,
    "stopped: user asked (meanwhile: the runtime exited with code 143)",
    1
)]
#[case::runtime_exits_0_anyway(
    PreparationScript::new(),
    RuntimeScript::new().wait(Wait::Stop).ends(RuntimeEnd::Exited(Termination::Success)),
    S::Running,
    "stopped: user asked (meanwhile: the runtime had exited with status 0)",
    1
)]
#[tokio::test(start_paused = true)]
async fn a_port_report_while_stopping_keeps_stopping_and_is_recorded_in_the_final_reason(
    #[case] preparation: PreparationScript,
    #[case] runtime: RuntimeScript,
    #[case] stop_in: S,
    #[case] final_reason: &str,
    #[case] launches: usize,
) {
    let shipper = Arc::new(ScriptedShipper::new(preparation));
    let runtime = Arc::new(ScriptedRuntime::new(runtime));
    let harness = Harness::start(shipper.clone(), runtime.clone());
    let session = &harness.session;
    let mut events = session.subscribe(0);

    play_opened(session).await;
    if stop_in != S::Preparing {
        wait_for_state(&mut events, stop_in).await;
    }
    assert_eq!(session.state(), stop_in);
    assert_eq!(
        within("stop", session.stop("user asked")).await,
        Ok(StopOutcome::Requested)
    );
    let stopped = wait_for_state(&mut events, S::Stopped).await;
    assert_eq!(stopped.from, S::Stopping);
    assert_eq!(stopped.reason.as_deref(), Some(final_reason));
    assert_eq!(stopped.failure, None);
    let end = session.snapshot();
    assert_eq!(end.last_failure, None);

    let all = harness.finish().await;
    let mut expected = vec![(S::Idle, S::Preparing)];
    if stop_in != S::Preparing {
        expected.push((S::Preparing, S::Connecting));
    }
    if stop_in == S::Running {
        expected.push((S::Connecting, S::Running));
    }
    expected.extend([(stop_in, S::Stopping), (S::Stopping, S::Stopped)]);
    assert_eq!(transitions(&all), expected);
    assert_eq!(runtime.calls().starts, launches);
    let stops = shipper.calls().stops + runtime.calls().stops;
    let kills = shipper.calls().kills + runtime.calls().kills;
    assert_eq!((stops, kills), (1, 0));
}

#[tokio::test(start_paused = true)]
async fn a_port_that_reports_stopped_with_no_stop_asked_still_ends_the_run() {
    let clock = manual_clock();
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new()));
    let runtime = Arc::new(ScriptedRuntime::new(
        RuntimeScript::new().ends(RuntimeEnd::Stopped),
    ));
    let harness = Harness::start_on(shipper, runtime, clock);
    let mut events = harness.session.subscribe(0);
    within("play", harness.session.play(RunGoal::Play.into()))
        .await
        .expect("the session is up");
    let stopped = wait_for_state(&mut events, S::Stopped).await;
    let reason = stopped.reason.expect("a stop always has a reason");
    assert!(reason.contains("cannot happen"), "{reason}");
    assert_eq!(
        transitions(&harness.finish().await),
        [
            (S::Idle, S::Preparing),
            (S::Preparing, S::Connecting),
            (S::Connecting, S::Running),
            (S::Running, S::Stopping),
            (S::Stopping, S::Stopped),
        ]
    );
}
