//! Runs that fail: every preparation failure, every runtime launch failure, and a runtime
//! that ends on its own once running. The ports are mocks: what matters is also what the
//! service does not ask (no launch after a failed preparation, no `wait` after a failed
//! `ready`, no stop or kill of a port that ended by itself).

use std::num::NonZeroI32;
use std::sync::Arc;

use rstest::rstest;
use serde_json::{Value, json};
use session_domain::{
    AbnormalExit, Failure, HandshakeFailure, PortFailure, PreparationEnd, RunGoal, RuntimeEnd,
    RuntimeInfo, SessionState as S, Signal, Step, StepFailure, Termination,
};

use super::{
    Harness, at, failed_state, no_runtime, play_opened, reclaim_all, run_1_connecting,
    run_1_running, state, within,
};
use crate::fakes::Held;
use crate::{
    MockRunningPreparation, MockRunningRuntime, MockRuntimeSource, MockShipperSource, PlayOutcome,
};

fn code(code: i32) -> AbnormalExit {
    AbnormalExit::Code(NonZeroI32::new(code).expect("a non-zero exit code"))
}

fn signal(number: i32) -> AbnormalExit {
    AbnormalExit::Signal(Signal::from_number(number).expect("a signal number"))
}

/// A preparation that ends `end` at once; stop and kill must never be asked.
fn preparation_ending(end: PreparationEnd) -> Arc<MockRunningPreparation> {
    let mut preparation = MockRunningPreparation::new();
    preparation.expect_wait().times(1).return_const(end);
    preparation.expect_stop().never();
    preparation.expect_kill_now().never();
    Arc::new(preparation)
}

/// A shipper whose one start, for run 1, returns `preparation`.
fn shipper_returning(preparation: &Arc<MockRunningPreparation>) -> Arc<MockShipperSource> {
    let mut shipper = MockShipperSource::new();
    let preparation = Arc::clone(preparation);
    shipper
        .expect_start()
        .times(1)
        .withf(|run, _| *run == 1)
        .returning(move |_, _| Box::new(Held::new(Arc::clone(&preparation))));
    Arc::new(shipper)
}

/// A runtime source whose one launch, for run 1, returns `runtime`.
fn runtime_returning(runtime: &Arc<MockRunningRuntime>) -> Arc<MockRuntimeSource> {
    let mut source = MockRuntimeSource::new();
    let runtime = Arc::clone(runtime);
    source
        .expect_launch()
        .times(1)
        .withf(|run, _| *run == 1)
        .returning(move |_, _| Box::new(Held::new(Arc::clone(&runtime))));
    Arc::new(source)
}

/// A runtime whose one `ready` answers `ready` and whose one `wait` answers `end`, or, with
/// `None`, is never asked (`ready` already reported the end). It ends by itself: stop and kill
/// must never be asked.
fn runtime_ending(
    ready: Result<RuntimeInfo, RuntimeEnd>,
    end: Option<RuntimeEnd>,
) -> Arc<MockRunningRuntime> {
    let mut runtime = MockRunningRuntime::new();
    runtime.expect_ready().times(1).return_const(ready);
    match end {
        Some(end) => {
            runtime.expect_wait().times(1).return_const(end);
        }
        None => {
            runtime.expect_wait().never();
        }
    }
    runtime.expect_stop().never();
    runtime.expect_kill_now().never();
    Arc::new(runtime)
}

fn port_failure(failure: Failure) -> PortFailure {
    PortFailure {
        failure,
        reason: format!("{failure}"),
    }
}

fn failure_json(failure: Failure) -> Value {
    serde_json::to_value(failure).expect("a failure serialises")
}

#[rstest]
#[case::build_cannot_start(
    Failure::Step { step: Step::Build, cause: StepFailure::Spawn },
    json!({"stage": "build", "cause": "spawn"}),
)]
#[case::build_exits_non_zero(
    Failure::Step { step: Step::Build, cause: StepFailure::Exit(code(101)) },
    json!({"stage": "build", "exit_code": 101}),
)]
#[case::validation_exits_non_zero(
    Failure::Step { step: Step::PackValidation, cause: StepFailure::Exit(code(2)) },
    json!({"stage": "pack-validation", "exit_code": 2}),
)]
#[case::pack_dies_by_a_signal(
    Failure::Step { step: Step::Pack, cause: StepFailure::Exit(signal(9)) },
    json!({"stage": "pack", "signal": "SIGKILL"}),
)]
#[case::pack_cannot_start(
    Failure::Step { step: Step::Pack, cause: StepFailure::Spawn },
    json!({"stage": "pack", "cause": "spawn"}),
)]
#[case::manifest_cannot_be_produced(Failure::Manifest, json!({"stage": "manifest"}))]
#[tokio::test(start_paused = true)]
async fn a_failed_preparation_ends_prepare_failed_and_never_launches(
    #[case] failure: Failure,
    #[case] expected_json: Value,
) {
    let port = port_failure(failure);
    let preparation = preparation_ending(PreparationEnd::Failed(port.clone()));
    let shipper = shipper_returning(&preparation);
    let runtime = no_runtime();
    let harness = Harness::start(shipper.clone(), runtime.clone());

    let played = within("play", harness.session.play(RunGoal::Play.into())).await;
    assert_eq!(played, Ok(PlayOutcome::Started { run: 1 }));
    let end = within("the run to end", harness.session.settled()).await;
    assert_eq!(end.state, S::PrepareFailed);
    assert_eq!(end.last_failure, Some(failure));

    let events = harness.finish().await;
    assert_eq!(
        events,
        vec![
            state(1, 1, at(0), (S::Idle, S::Preparing), "play requested"),
            failed_state(
                2,
                1,
                at(0),
                (S::Preparing, S::PrepareFailed),
                &port.reason,
                failure
            ),
        ]
    );
    assert_eq!(failure_json(failure), expected_json);
    reclaim_all(shipper, preparation, runtime, None).await;
}

#[rstest]
#[case::spawn(Failure::RuntimeSpawn, json!({"stage": "spawn"}))]
#[case::handshake_exited_with_a_code(
    Failure::Handshake(HandshakeFailure::Exited(Termination::Abnormal(code(3)))),
    json!({"stage": "handshake", "cause": "exited", "exit_code": 3}),
)]
#[case::handshake_exited_by_a_signal(
    Failure::Handshake(HandshakeFailure::Exited(Termination::Abnormal(signal(11)))),
    json!({"stage": "handshake", "cause": "exited", "signal": "SIGSEGV"}),
)]
#[case::handshake_exited_with_status_0(
    Failure::Handshake(HandshakeFailure::Exited(Termination::Success)),
    json!({"stage": "handshake", "cause": "exited"}),
)]
#[case::handshake_timeout(
    Failure::Handshake(HandshakeFailure::Timeout),
    json!({"stage": "handshake", "cause": "timeout"}),
)]
#[case::handshake_closed(
    Failure::Handshake(HandshakeFailure::Closed),
    json!({"stage": "handshake", "cause": "closed"}),
)]
#[case::bad_handshake(
    Failure::Handshake(HandshakeFailure::BadHandshake),
    json!({"stage": "handshake", "cause": "bad_handshake"}),
)]
#[case::version_mismatch(
    Failure::Handshake(HandshakeFailure::VersionMismatch),
    json!({"stage": "handshake", "cause": "version_mismatch"}),
)]
#[tokio::test(start_paused = true)]
async fn a_failed_launch_ends_runtime_failed_with_its_cause(
    #[case] failure: Failure,
    #[case] expected_json: Value,
) {
    let port = port_failure(failure);
    let preparation = preparation_ending(PreparationEnd::Succeeded);
    let shipper = shipper_returning(&preparation);
    // `ready` already reported the end: the service must not wait again, nor stop anything.
    let runtime = runtime_ending(Err(RuntimeEnd::LaunchFailed(port.clone())), None);
    let source = runtime_returning(&runtime);
    let harness = Harness::start(shipper.clone(), source.clone());

    play_opened(&harness.session).await;
    let end = within("the run to end", harness.session.settled()).await;
    assert_eq!(end.state, S::RuntimeFailed);
    assert_eq!(end.last_failure, Some(failure));
    assert_eq!(end.runtime, None);

    let events = harness.finish().await;
    let mut expected = run_1_connecting();
    expected.push(failed_state(
        3,
        1,
        at(0),
        (S::Connecting, S::RuntimeFailed),
        &port.reason,
        failure,
    ));
    assert_eq!(events, expected);
    assert_eq!(failure_json(failure), expected_json);
    reclaim_all(shipper, preparation, source, Some(runtime)).await;
}

#[rstest]
#[case::exit_code(
    Termination::Abnormal(code(101)),
    S::RuntimeFailed,
    "the runtime exited with code 101",
    Some(json!({"stage": "running", "exit_code": 101})),
)]
#[case::signal(
    Termination::Abnormal(signal(11)),
    S::RuntimeFailed,
    "the runtime was killed by SIGSEGV",
    Some(json!({"stage": "running", "signal": "SIGSEGV"})),
)]
#[case::signal_without_a_standard_name(
    Termination::Abnormal(signal(40)),
    S::RuntimeFailed,
    "the runtime was killed by SIG40",
    Some(json!({"stage": "running", "signal": "SIG40"})),
)]
#[case::status_0(
    Termination::Success,
    S::Stopped,
    "the runtime exited with status 0",
    None
)]
#[tokio::test(start_paused = true)]
async fn a_runtime_that_ends_on_its_own_fails_unless_it_exited_0(
    #[case] termination: Termination,
    #[case] to: S,
    #[case] reason: &str,
    #[case] expected_json: Option<Value>,
) {
    let preparation = preparation_ending(PreparationEnd::Succeeded);
    let shipper = shipper_returning(&preparation);
    let info = RuntimeInfo {
        pid: 77,
        version: None,
        cartridge: None,
    };
    let runtime = runtime_ending(Ok(info), Some(RuntimeEnd::Exited(termination)));
    let source = runtime_returning(&runtime);
    let harness = Harness::start(shipper.clone(), source.clone());

    play_opened(&harness.session).await;
    let end = within("the run to end", harness.session.settled()).await;
    assert_eq!(end.state, to);

    let events = harness.finish().await;
    let failure = termination.abnormal().map(Failure::Running);
    assert_eq!(end.last_failure, failure);
    let mut expected = run_1_running(77);
    expected.push(match failure {
        Some(failure) => failed_state(4, 1, at(0), (S::Running, to), reason, failure),
        None => state(4, 1, at(0), (S::Running, to), reason),
    });
    assert_eq!(events, expected);
    assert_eq!(failure.map(failure_json), expected_json);
    reclaim_all(shipper, preparation, source, Some(runtime)).await;
}
