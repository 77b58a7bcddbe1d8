//! Each run's ports come from settings read when it is asked for: a play while a run is active
//! reads nothing, and a play whose settings do not validate is refused, told to every watcher,
//! and changes nothing else.

use std::sync::Arc;

use session_domain::{RunGoal, RunMode, SessionState as S, Severity};

use super::{Harness, at, manual_clock, reclaim, said, state, wait_for_state, within};
use crate::fakes::{Gate, PreparationScript, ScriptedRuntime, ScriptedShipper, Wait};
use crate::{
    MockRunPortsFactory, PlayOutcome, PlayRequest, RunPorts, ServiceSettings, SettingsRejected,
};

const REJECTED: &str = "/game/prometeu-session.toml: [runtime] mode: found \"fast\" (a string), expected \"run\" or \"debug\"";

/// Ports whose preparation runs `script` and whose runtime is never reached (prepare runs).
fn ports(script: PreparationScript) -> RunPorts {
    RunPorts {
        shipper: Arc::new(ScriptedShipper::new(script)),
        runtime: Arc::new(ScriptedRuntime::new(crate::fakes::RuntimeScript::new())),
    }
}

fn harness(factory: &Arc<MockRunPortsFactory>) -> Harness {
    Harness::start_with_factory(factory.clone(), manual_clock(), ServiceSettings::default())
}

#[tokio::test(start_paused = true)]
async fn a_play_while_a_run_is_active_reads_no_settings() {
    let prepared = Gate::new();
    let run_ports = ports(PreparationScript::new().wait(Wait::Gate(prepared.clone())));
    let mut factory = MockRunPortsFactory::new();
    factory
        .expect_ports_for()
        .withf(|request| request.goal == RunGoal::Prepare && request.mode.is_none())
        .times(1)
        .returning(move |_| Ok(run_ports.clone()));
    let factory = Arc::new(factory);
    let harness = harness(&factory);
    let session = &harness.session;
    let mut events = session.subscribe(0);

    let first = within("play", session.play(RunGoal::Prepare.into())).await;
    assert_eq!(first, Ok(PlayOutcome::Started { run: 1 }));
    let request = PlayRequest {
        goal: RunGoal::Play,
        mode: Some(RunMode::Debug),
    };
    let second = within("play", session.play(request)).await;
    assert_eq!(
        second,
        Ok(PlayOutcome::Ignored {
            state: S::Preparing
        })
    );
    prepared.allow(1);
    wait_for_state(&mut events, S::Prepared).await;

    harness.finish().await;
    // Dropping the mock here checks it was asked exactly once.
    drop(reclaim(factory).await);
}

#[tokio::test(start_paused = true)]
async fn a_refused_play_changes_nothing_tells_every_watcher_and_a_later_play_starts() {
    let run_ports = ports(PreparationScript::new());
    let mut factory = MockRunPortsFactory::new();
    let mut sequence = mockall::Sequence::new();
    factory
        .expect_ports_for()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Err(SettingsRejected::new(REJECTED)));
    let again = run_ports.clone();
    factory
        .expect_ports_for()
        .withf(|request| request.mode == Some(RunMode::Debug))
        .times(1)
        .in_sequence(&mut sequence)
        .returning(move |_| Ok(again.clone()));
    factory
        .expect_ports_for()
        .times(1)
        .in_sequence(&mut sequence)
        .returning(|_| Err(SettingsRejected::new(REJECTED)));
    let factory = Arc::new(factory);
    let harness = harness(&factory);
    let session = &harness.session;
    let before = session.snapshot();

    let refused = within("play", session.play(RunGoal::Prepare.into())).await;
    assert_eq!(
        refused,
        Ok(PlayOutcome::Refused {
            reason: SettingsRejected::new(REJECTED)
        })
    );
    let after = session.snapshot();
    assert_eq!(after.state, S::Idle);
    assert_eq!(after.run, before.run);
    assert_eq!(after.last_seq, before.last_seq + 1, "one session line");

    let request = PlayRequest {
        goal: RunGoal::Prepare,
        mode: Some(RunMode::Debug),
    };
    let started = within("play", session.play(request)).await;
    assert_eq!(started, Ok(PlayOutcome::Started { run: 1 }));
    let ended = within("the run to end", session.settled()).await;
    assert_eq!(ended.state, S::Prepared);

    // Refused after a run: the state and the run stay those of the run that ended.
    let refused = within("play", session.play(RunGoal::Prepare.into())).await;
    assert!(
        matches!(refused, Ok(PlayOutcome::Refused { .. })),
        "{refused:?}"
    );
    let after = session.snapshot();
    assert_eq!((after.state, after.run), (S::Prepared, 1));
    assert_eq!(after.last_failure, None);

    let events = harness.finish().await;
    assert_eq!(
        events,
        vec![
            said(1, 0, at(0), Severity::Error, REJECTED),
            state(2, 1, at(0), (S::Idle, S::Preparing), "prepare requested"),
            state(
                3,
                1,
                at(0),
                (S::Preparing, S::Prepared),
                "preparation succeeded"
            ),
            said(4, 1, at(0), Severity::Error, REJECTED),
        ]
    );
    drop(reclaim(factory).await);
}
