//! Runs that go their whole way: the success path, prepare-only, one run after another, and
//! the commands that change nothing (play while active, stop or kill with no run).

use std::sync::Arc;

use session_domain::{
    AbnormalExit, Failure, PortFailure, RunGoal, RuntimeEnd, RuntimeInfo, SessionState as S,
    Severity, Snapshot, Source, Step, StepFailure, Stream, Termination,
};

use super::{
    Harness, at, failed_state, line, manual_clock, no_runtime, play_opened, reclaim, run_1_running,
    said, set_clock, state, through, transitions, wait_for_state, within,
};
use crate::fakes::{
    FAKE_RUNTIME_PID, Gate, PreparationScript, RuntimeScript, ScriptedRuntime, ScriptedShipper,
    Wait,
};
use crate::{ExecutionSession, KillOutcome, PlayOutcome, StopOutcome};

#[tokio::test(start_paused = true)]
async fn a_run_goes_idle_preparing_connecting_running_stopped_with_exact_events() {
    let clock = manual_clock();
    let (prepared, ready, talk, exit) = (Gate::new(), Gate::new(), Gate::new(), Gate::new());
    let shipper = Arc::new(
        ScriptedShipper::new(
            PreparationScript::new()
                .lines(
                    Source::Build,
                    Stream::Stderr,
                    &["Compiling cartridge", "warning: unused import"],
                )
                .wait(Wait::Gate(prepared.clone()))
                .lines(Source::Pack, Stream::Stdout, &["packed 3 files"]),
        )
        .with_clock(clock.clone()),
    );
    let info = RuntimeInfo {
        pid: FAKE_RUNTIME_PID,
        version: Some("1.2.0".to_owned()),
        cartridge: None,
    };
    let runtime = Arc::new(
        ScriptedRuntime::new(
            RuntimeScript::new()
                .wait_before_ready(Wait::Gate(ready.clone()))
                .ready_with(Ok(info.clone()))
                .wait(Wait::Gate(talk.clone()))
                .lines(
                    Stream::Stdout,
                    &["hello from ColorSquare", "[ERROR] out of sprites"],
                )
                .wait(Wait::Gate(exit.clone()))
                .ends(RuntimeEnd::Exited(Termination::Success)),
        )
        .with_clock(clock.clone()),
    );
    let harness = Harness::start_on(shipper.clone(), runtime.clone(), clock.clone());
    let session = &harness.session;
    let mut early = session.subscribe(0);
    assert_eq!(session.state(), S::Idle);

    let played = within("play", session.play(RunGoal::Play.into())).await;
    assert_eq!(played, Ok(PlayOutcome::Started { run: 1 }));
    assert_eq!(session.state(), S::Preparing);
    within("the build lines", shipper.wait_sent(1)).await;

    set_clock(&clock, 1_000);
    prepared.allow(1);
    wait_for_state(&mut early, S::Connecting).await;

    set_clock(&clock, 1_500);
    ready.allow(1);
    wait_for_state(&mut early, S::Running).await;
    let running = session.snapshot();
    assert_eq!(running.state, S::Running);
    assert_eq!(running.runtime, Some(info));
    assert_eq!(running.run_first_seq, 1);

    set_clock(&clock, 2_000);
    talk.allow(1);
    within("the runtime's lines", runtime.wait_sent(1)).await;
    set_clock(&clock, 3_000);
    exit.allow(1);
    let end = within("the run to end", session.settled()).await;

    let build = (Source::Build, Some(Stream::Stderr));
    let expected = vec![
        state(1, 1, at(0), (S::Idle, S::Preparing), "play requested"),
        line(2, 1, at(0), build, Severity::Info, "Compiling cartridge"),
        line(3, 1, at(0), build, Severity::Warn, "warning: unused import"),
        line(
            4,
            1,
            at(1_000),
            (Source::Pack, Some(Stream::Stdout)),
            Severity::Info,
            "packed 3 files",
        ),
        state(
            5,
            1,
            at(1_000),
            (S::Preparing, S::Connecting),
            "preparation succeeded",
        ),
        state(
            6,
            1,
            at(1_500),
            (S::Connecting, S::Running),
            "runtime 1.2.0 running (pid 4242)",
        ),
        line(
            7,
            1,
            at(2_000),
            (Source::Runtime, Some(Stream::Stdout)),
            Severity::Info,
            "hello from ColorSquare",
        ),
        line(
            8,
            1,
            at(2_000),
            (Source::Runtime, Some(Stream::Stdout)),
            Severity::Error,
            "[ERROR] out of sprites",
        ),
        state(
            9,
            1,
            at(3_000),
            (S::Running, S::Stopped),
            "the runtime exited with status 0",
        ),
    ];
    assert_eq!(
        end,
        Snapshot {
            state: S::Stopped,
            run: 1,
            run_first_seq: 1,
            last_seq: 9,
            oldest_held_seq: 1,
            evicted_total: 0,
            runtime: None,
            last_failure: None,
        }
    );
    assert_eq!(harness.finish().await, expected);
    let mut late = session.subscribe(0);
    assert_eq!(super::only_events(super::drain(&mut late).await), expected);
    assert_eq!(shipper.runs(), vec![1]);
    assert_eq!(runtime.runs(), vec![1]);
    assert_eq!(shipper.calls().stops + runtime.calls().stops, 0);
}

#[tokio::test(start_paused = true)]
async fn a_prepare_only_run_ends_prepared_and_never_launches_the_runtime() {
    let clock = manual_clock();
    let shipper = Arc::new(
        ScriptedShipper::new(PreparationScript::new().lines(
            Source::Manifest,
            Stream::Stdout,
            &["wrote build/manifest.json"],
        ))
        .with_clock(clock.clone()),
    );
    let runtime = no_runtime();
    let harness = Harness::start_on(shipper.clone(), runtime.clone(), clock);

    let played = within("prepare", harness.session.play(RunGoal::Prepare.into())).await;
    assert_eq!(played, Ok(PlayOutcome::Started { run: 1 }));
    let end = within("the run to end", harness.session.settled()).await;
    assert_eq!(end.state, S::Prepared);
    assert_eq!(end.last_failure, None);

    let events = harness.finish().await;
    assert_eq!(
        events,
        vec![
            state(1, 1, at(0), (S::Idle, S::Preparing), "prepare requested"),
            line(
                2,
                1,
                at(0),
                (Source::Manifest, Some(Stream::Stdout)),
                Severity::Info,
                "wrote build/manifest.json",
            ),
            state(
                3,
                1,
                at(0),
                (S::Preparing, S::Prepared),
                "preparation succeeded"
            ),
        ]
    );
    drop(reclaim(runtime).await);
}

#[tokio::test(start_paused = true)]
async fn each_play_after_a_terminal_state_starts_the_next_run_and_seq_continues() {
    let build_failed = PortFailure {
        failure: Failure::Step {
            step: Step::Build,
            cause: StepFailure::Exit(AbnormalExit::Code(
                std::num::NonZeroI32::new(101).expect("non-zero"),
            )),
        },
        reason: "build failed (exit 101)".to_owned(),
    };
    let clock = manual_clock();
    let shipper = Arc::new(
        ScriptedShipper::new(PreparationScript::new())
            .then(
                PreparationScript::new()
                    .lines(
                        Source::Build,
                        Stream::Stderr,
                        &["error[E0308]: mismatched types"],
                    )
                    .fails(build_failed.clone()),
            )
            .then(PreparationScript::new())
            .with_clock(clock.clone()),
    );
    let runtime = Arc::new(ScriptedRuntime::new(RuntimeScript::new()));
    let harness = Harness::start_on(shipper.clone(), runtime.clone(), clock);
    let session = &harness.session;

    let mut outcomes = Vec::new();
    let mut ends = Vec::new();
    for goal in [RunGoal::Play, RunGoal::Play, RunGoal::Prepare] {
        outcomes.push(within("play", session.play(goal.into())).await);
        ends.push(within("the run to end", session.settled()).await);
    }
    assert_eq!(
        outcomes,
        vec![
            Ok(PlayOutcome::Started { run: 1 }),
            Ok(PlayOutcome::Started { run: 2 }),
            Ok(PlayOutcome::Started { run: 3 }),
        ]
    );
    let summary: Vec<_> = ends
        .iter()
        .map(|end| (end.state, end.run, end.run_first_seq, end.last_seq))
        .collect();
    assert_eq!(
        summary,
        vec![
            (S::Stopped, 1, 1, 4),
            (S::PrepareFailed, 2, 5, 7),
            (S::Prepared, 3, 8, 9),
        ]
    );
    assert_eq!(ends[1].last_failure, Some(build_failed.failure));
    // A later success clears the failure of an earlier run.
    assert_eq!(ends[2].last_failure, None);

    let events = harness.finish().await;
    let mut expected = run_1_running(FAKE_RUNTIME_PID);
    expected.extend([
        state(
            4,
            1,
            at(0),
            (S::Running, S::Stopped),
            "the runtime exited with status 0",
        ),
        state(5, 2, at(0), (S::Stopped, S::Preparing), "play requested"),
        line(
            6,
            2,
            at(0),
            (Source::Build, Some(Stream::Stderr)),
            Severity::Error,
            "error[E0308]: mismatched types",
        ),
        failed_state(
            7,
            2,
            at(0),
            (S::Preparing, S::PrepareFailed),
            "build failed (exit 101)",
            build_failed.failure,
        ),
        state(
            8,
            3,
            at(0),
            (S::PrepareFailed, S::Preparing),
            "prepare requested",
        ),
        state(
            9,
            3,
            at(0),
            (S::Preparing, S::Prepared),
            "preparation succeeded",
        ),
    ]);
    assert_eq!(events, expected);
    assert_eq!(shipper.runs(), vec![1, 2, 3]);
    assert_eq!(runtime.runs(), vec![1]);
}

#[tokio::test(start_paused = true)]
async fn play_while_a_run_is_active_is_ignored_reported_and_changes_nothing() {
    let (prepared, ready) = (Gate::new(), Gate::new());
    let shipper = Arc::new(ScriptedShipper::new(
        PreparationScript::new().wait(Wait::Gate(prepared.clone())),
    ));
    // Ignores SIGTERM, so the run stays `stopping` until it is killed.
    let runtime = Arc::new(ScriptedRuntime::new(
        RuntimeScript::new()
            .wait_before_ready(Wait::Gate(ready.clone()))
            .wait(Wait::Kill)
            .ends(RuntimeEnd::Stopped),
    ));
    let harness = Harness::start(shipper.clone(), runtime.clone());
    let session = &harness.session;
    let mut events = session.subscribe(0);

    let mut ignored = Vec::new();
    play_opened(session).await;
    ignored.push(within("play", session.play(RunGoal::Prepare.into())).await);
    assert_eq!(session.state(), S::Preparing);
    prepared.allow(1);
    wait_for_state(&mut events, S::Connecting).await;
    ignored.push(within("play", session.play(RunGoal::Play.into())).await);
    ready.allow(1);
    wait_for_state(&mut events, S::Running).await;
    ignored.push(within("play", session.play(RunGoal::Play.into())).await);
    let stopped = within("stop", session.stop("user asked")).await;
    assert_eq!(stopped, Ok(StopOutcome::Requested));
    ignored.push(within("play", session.play(RunGoal::Play.into())).await);
    assert_eq!(session.state(), S::Stopping);
    let killed = within("kill", session.kill_now()).await;
    assert_eq!(killed, Ok(KillOutcome::Killing));
    let end = within("the run to end", session.settled()).await;

    assert_eq!(
        ignored,
        [S::Preparing, S::Connecting, S::Running, S::Stopping]
            .map(|state| Ok(PlayOutcome::Ignored { state }))
    );
    assert_eq!(end.run, 1);
    assert_eq!(shipper.calls().starts, 1);
    assert_eq!(runtime.calls().starts, 1);
    let all = harness.finish().await;
    assert_eq!(
        all,
        vec![
            state(1, 1, at(0), (S::Idle, S::Preparing), "play requested"),
            said(
                2,
                1,
                at(0),
                Severity::Info,
                "play ignored: run 1 is preparing"
            ),
            state(
                3,
                1,
                at(0),
                (S::Preparing, S::Connecting),
                "preparation succeeded"
            ),
            said(
                4,
                1,
                at(0),
                Severity::Info,
                "play ignored: run 1 is connecting"
            ),
            state(
                5,
                1,
                at(0),
                (S::Connecting, S::Running),
                "runtime running (pid 4242)"
            ),
            said(
                6,
                1,
                at(0),
                Severity::Info,
                "play ignored: run 1 is running"
            ),
            state(7, 1, at(0), (S::Running, S::Stopping), "user asked"),
            said(
                8,
                1,
                at(0),
                Severity::Info,
                "play ignored: run 1 is stopping"
            ),
            said(
                9,
                1,
                at(0),
                Severity::Warn,
                "kill now: skipping the rest of the stop grace"
            ),
            state(
                10,
                1,
                at(0),
                (S::Stopping, S::Stopped),
                "stopped: user asked"
            ),
        ]
    );
}

/// Stop and kill with no active run both answer that there is nothing to do.
async fn assert_nothing_to_stop_or_kill(session: &ExecutionSession) {
    assert_eq!(
        within("stop", session.stop("user asked")).await,
        Ok(StopOutcome::NothingToStop)
    );
    assert_eq!(
        within("kill", session.kill_now()).await,
        Ok(KillOutcome::NothingToKill)
    );
}

#[tokio::test(start_paused = true)]
async fn stop_and_kill_with_no_active_run_do_nothing_and_emit_nothing() {
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new()));
    let runtime = Arc::new(ScriptedRuntime::new(RuntimeScript::new()));
    let harness = Harness::start(shipper.clone(), runtime.clone());
    let session = &harness.session;

    // Before any run.
    assert_nothing_to_stop_or_kill(session).await;
    assert_eq!(session.state(), S::Idle);
    assert_eq!(session.snapshot().last_seq, 0);

    // After a run ended.
    play_opened(session).await;
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    assert_nothing_to_stop_or_kill(session).await;
    assert_eq!(session.snapshot(), end);

    let events = harness.finish().await;
    assert_eq!(
        transitions(&events),
        through(&[S::Idle, S::Preparing, S::Connecting, S::Running, S::Stopped])
    );
    assert_eq!(events.len(), 4);
    assert_eq!(shipper.calls().stops + shipper.calls().kills, 0);
    assert_eq!(runtime.calls().stops + runtime.calls().kills, 0);
}
