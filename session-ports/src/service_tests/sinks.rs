//! Sinks: lossless and ordered; a blocked sink holds the ports back without holding commands
//! back; a failing sink stops the run and the others keep receiving; a port's last lines come
//! before the event that reports its end; the story of a stop is in order behind a slow sink.

use std::num::NonZeroI32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use session_domain::{
    AbnormalExit, Event, Failure, PortFailure, PreparationEnd, RuntimeEnd, SessionState as S,
    Severity, Source, Step, StepFailure, Stream, Termination,
};

use super::{
    assert_gapless_from, drain, manual_clock, messages_from, only_events, play_opened,
    start_session, through, transitions, wait_for_state, within,
};
use crate::fakes::{
    CollectingSink, Gate, PreparationScript, RuntimeScript, ScriptedRuntime, ScriptedShipper, Wait,
};
use crate::{KillOutcome, MockLogSink, ServiceSettings, SinkError, StopOutcome};

fn numbered(prefix: &str, count: usize) -> Vec<String> {
    (0..count)
        .map(|index| format!("{prefix} {index}"))
        .collect()
}

fn as_strs(lines: &[String]) -> Vec<&str> {
    lines.iter().map(String::as_str).collect()
}

/// What a mocked sink was asked, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SinkCall {
    Write { first: u64, last: u64 },
    Flush,
}

#[tokio::test(start_paused = true)]
async fn every_sink_receives_every_event_once_in_order() {
    let mut preparation = PreparationScript::new();
    for batch in 0..3 {
        let lines = numbered(&format!("build {batch}"), 4);
        preparation = preparation.lines(Source::Build, Stream::Stderr, &as_strs(&lines));
    }
    let mut runtime = RuntimeScript::new();
    for batch in 0..30 {
        let lines = numbered(&format!("runtime {batch}"), batch % 4 + 1);
        let stream = if batch % 3 == 0 {
            Stream::Stderr
        } else {
            Stream::Stdout
        };
        runtime = runtime.lines(stream, &as_strs(&lines));
    }
    let runtime = runtime.ends(RuntimeEnd::Exited(Termination::Success));
    let shipper = Arc::new(ScriptedShipper::new(preparation));
    let runtime = Arc::new(ScriptedRuntime::new(runtime));

    let (log_file, log_record) = CollectingSink::new("log file").boxed();
    let (stdout, stdout_record) = CollectingSink::new("stdout").boxed();
    let calls = Arc::new(Mutex::new(Vec::new()));
    let mut mocked = MockLogSink::new();
    let on_write = Arc::clone(&calls);
    mocked.expect_write().returning(move |batch| {
        let call = SinkCall::Write {
            first: batch.first_seq(),
            last: batch.last_seq(),
        };
        on_write.lock().expect("not poisoned").push(call);
        Ok(())
    });
    let on_flush = Arc::clone(&calls);
    mocked.expect_flush().returning(move || {
        on_flush.lock().expect("not poisoned").push(SinkCall::Flush);
        Ok(())
    });
    let clock = manual_clock();
    let session = start_session(
        shipper,
        runtime,
        &clock,
        vec![log_file, stdout, Box::new(mocked)],
        ServiceSettings {
            sink_batches: 2,
            ..ServiceSettings::default()
        },
    );
    let mut subscription = session.subscribe(0);
    play_opened(&session).await;
    assert_eq!(
        within("the run to end", session.settled()).await.state,
        S::Stopped
    );
    within("shutdown", session.shutdown()).await;

    let events = only_events(drain(&mut subscription).await);
    // preparing, 12 build lines, connecting, running, 73 runtime lines, stopped.
    assert_eq!(events.len(), 1 + 12 + 2 + 73 + 1);
    assert_gapless_from(&events, 1);
    assert_eq!(log_record.events(), events);
    assert_eq!(stdout_record.events(), events);
    assert_eq!(log_record.batch_sizes(), stdout_record.batch_sizes());
    assert_eq!(log_record.batch_sizes().iter().sum::<usize>(), events.len());

    let calls = calls.lock().expect("not poisoned").clone();
    let writes: Vec<(u64, u64)> = calls
        .iter()
        .filter_map(|call| match *call {
            SinkCall::Write { first, last } => Some((first, last)),
            SinkCall::Flush => None,
        })
        .collect();
    let mut next = 1;
    for (first, last) in &writes {
        assert_eq!(*first, next, "batches reach the sink once each, in order");
        next = last + 1;
    }
    assert_eq!(next, events.len() as u64 + 1);
    assert_eq!(calls.last(), Some(&SinkCall::Flush), "the end is flushed");
    assert!(log_record.progress().flushes >= 1);
}

#[tokio::test(start_paused = true)]
async fn a_blocked_sink_holds_the_ports_back_but_never_the_commands() {
    const BATCHES: usize = 50;
    let gate = Gate::new();
    let (slow, record) = CollectingSink::new("stdout").gated(gate.clone()).boxed();
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new()));
    let mut script = RuntimeScript::new();
    for batch in 0..BATCHES {
        script = script.lines(Stream::Stdout, &[&format!("line {batch} a"), "and b"]);
    }
    let runtime = Arc::new(ScriptedRuntime::new(script.until_stopped()));
    let clock = manual_clock();
    let session = start_session(
        shipper,
        runtime.clone(),
        &clock,
        vec![slow],
        ServiceSettings {
            output_batches: 1,
            sink_batches: 1,
            ..ServiceSettings::default()
        },
    );
    let mut events = session.subscribe(0);

    play_opened(&session).await;
    // The state machine is not held back by the sink, only the ports' output is.
    wait_for_state(&mut events, S::Running).await;
    record
        .wait_until(|progress| progress.writes_started >= 1)
        .await;

    // Under paused time this timeout fires only once every task is idle: the runtime is
    // parked in `send`, not merely slow.
    let all_sent = tokio::time::timeout(Duration::from_secs(3_600), runtime.wait_sent(BATCHES));
    assert!(
        all_sent.await.is_err(),
        "send completed behind a blocked sink"
    );
    let sent_while_blocked = runtime.sent();
    assert!(sent_while_blocked < BATCHES);
    assert_eq!(record.progress().batches, 0);

    // Commands are answered while the sink is still blocked.
    let stop = within("stop behind a blocked sink", session.stop("user asked")).await;
    assert_eq!(stop, Ok(StopOutcome::Requested));
    assert_eq!(session.state(), S::Stopping);
    let again = within("a second stop", session.stop("user asked")).await;
    assert_eq!(again, Ok(StopOutcome::AlreadyStopping));
    let kill = within("kill behind a blocked sink", session.kill_now()).await;
    assert_eq!(kill, Ok(KillOutcome::Killing));
    assert_eq!(record.progress().batches, 0);
    assert_eq!(runtime.sent(), sent_while_blocked);
    assert_eq!(runtime.calls().stops, 1);

    gate.open();
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    within("shutdown", session.shutdown()).await;
    assert_eq!(runtime.sent(), BATCHES);
    let received = record.events();
    // preparing, connecting, running, 100 lines, stopping, kill-now line, stopped.
    assert_eq!(received.len(), 3 + 2 * BATCHES + 3);
    assert_gapless_from(&received, 1);
    assert_eq!(
        received,
        only_events(drain(&mut session.subscribe(0)).await)
    );
}

#[tokio::test(start_paused = true)]
async fn a_closed_sink_stops_the_run_with_a_reason_naming_it_and_the_others_keep_receiving() {
    let talk = Gate::new();
    let shipper = Arc::new(ScriptedShipper::new(PreparationScript::new()));
    let mut script = RuntimeScript::new().wait(Wait::Gate(talk.clone()));
    for batch in 0..5 {
        script = script.lines(Stream::Stdout, &[&format!("frame {batch}")]);
    }
    let runtime = Arc::new(ScriptedRuntime::new(script.until_stopped()));
    // preparing, connecting and running are written; the first runtime line fails.
    let (closing, closing_record) = CollectingSink::new("stdout").fail_after(3).boxed();
    let (log_file, log_record) = CollectingSink::new("log file").boxed();
    let session = start_session(
        shipper,
        runtime.clone(),
        &manual_clock(),
        vec![closing, log_file],
        ServiceSettings::default(),
    );
    let mut events = session.subscribe(0);

    play_opened(&session).await;
    wait_for_state(&mut events, S::Running).await;
    talk.open();
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    within("shutdown", session.shutdown()).await;

    let progress = closing_record.progress();
    assert!(progress.failed);
    assert_eq!(progress.batches, 3);
    assert_eq!(closing_record.seqs(), vec![1, 2, 3]);
    let all = log_record.events();
    assert_gapless_from(&all, 1);
    assert_eq!(all, only_events(drain(&mut session.subscribe(0)).await));
    assert_eq!(
        transitions(&all),
        vec![
            (S::Idle, S::Preparing),
            (S::Preparing, S::Connecting),
            (S::Connecting, S::Running),
            (S::Running, S::Stopping),
            (S::Stopping, S::Stopped),
        ]
    );
    let reasons: Vec<_> = all
        .iter()
        .filter_map(|event| match event {
            Event::State(state) if state.from == S::Running || state.from == S::Stopping => {
                state.reason.clone()
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            "stdout: the reader closed it".to_owned(),
            "stopped: stdout: the reader closed it".to_owned(),
        ]
    );
    assert_eq!(runtime.calls().stops, 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_sink_is_never_written_again_and_the_run_stops_while_preparing() {
    let shipper = Arc::new(ScriptedShipper::new(
        PreparationScript::new()
            .lines(Source::Build, Stream::Stdout, &["Compiling"])
            .until_stopped(),
    ));
    let runtime = Arc::new(ScriptedRuntime::new(RuntimeScript::new()));
    let mut failing = MockLogSink::new();
    failing.expect_flush().returning(|| Ok(()));
    // A second write would panic inside the sink task, and the log file would miss events.
    failing.expect_write().times(1).returning(|_| {
        Err(SinkError::Failed {
            sink: "log file build/session.log".to_owned(),
            message: "No space left on device".to_owned(),
        })
    });
    let (stdout, stdout_record) = CollectingSink::new("stdout").boxed();
    let session = start_session(
        shipper.clone(),
        runtime.clone(),
        &manual_clock(),
        vec![Box::new(failing), stdout],
        ServiceSettings::default(),
    );
    let mut reports = session
        .take_sink_failures()
        .expect("the first take gets the reports");
    assert!(session.take_sink_failures().is_none());

    play_opened(&session).await;
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    within("shutdown", session.shutdown()).await;
    let report = reports.try_recv().expect("the failure is reported");
    assert_eq!(report.stop, crate::StopOutcome::Requested);
    assert_eq!(
        report.error.to_string(),
        "log file build/session.log cannot be written: No space left on device"
    );
    assert!(reports.try_recv().is_err(), "one failure, one report");

    let all = stdout_record.events();
    assert_gapless_from(&all, 1);
    assert_eq!(
        transitions(&all),
        through(&[S::Idle, S::Preparing, S::Stopping, S::Stopped])
    );
    assert_eq!(messages_from(&all, Source::Build), vec!["Compiling"]);
    assert_eq!(
        super::last_state(&all).reason.as_deref(),
        Some("stopped: log file build/session.log cannot be written: No space left on device")
    );
    assert_eq!(shipper.calls().stops, 1);
    assert_eq!(runtime.calls().starts, 0);
}

/// The index of the state event entering `to`, and of every log line from `source`.
fn positions(events: &[Event], source: Source, to: S) -> (usize, Vec<usize>) {
    let end = events
        .iter()
        .position(|event| matches!(event, Event::State(state) if state.to == to))
        .expect("the end event");
    let lines = events
        .iter()
        .enumerate()
        .filter_map(|(index, event)| match event {
            Event::Log(log) if log.source == source => Some(index),
            _ => None,
        })
        .collect();
    (end, lines)
}

/// A session whose only sink is blocked until the returned gate opens, with room in the
/// output channel for every batch the port sends: the owner stops taking output almost at
/// once, so the port's last lines are still waiting in the channel when its end is reported.
fn behind_a_blocked_sink(
    shipper: PreparationScript,
    runtime: RuntimeScript,
) -> (crate::ExecutionSession, Gate, Arc<crate::fakes::SinkRecord>) {
    behind_a_blocked_sink_with(shipper, Arc::new(ScriptedRuntime::new(runtime)))
}

/// [`behind_a_blocked_sink`] with a runtime the test keeps a handle on.
fn behind_a_blocked_sink_with(
    shipper: PreparationScript,
    runtime: Arc<dyn crate::RuntimeSource>,
) -> (crate::ExecutionSession, Gate, Arc<crate::fakes::SinkRecord>) {
    let gate = Gate::new();
    let (sink, record) = CollectingSink::new("stdout").gated(gate.clone()).boxed();
    let session = start_session(
        Arc::new(ScriptedShipper::new(shipper)),
        runtime,
        &manual_clock(),
        vec![sink],
        ServiceSettings {
            output_batches: 64,
            sink_batches: 1,
            ..ServiceSettings::default()
        },
    );
    (session, gate, record)
}

/// Lets the sink go, shuts down, and returns what the sink received.
async fn release_and_finish(
    session: &crate::ExecutionSession,
    gate: &Gate,
    record: &crate::fakes::SinkRecord,
) -> Vec<Event> {
    gate.open();
    within("shutdown", session.shutdown()).await;
    let events = record.events();
    assert_gapless_from(&events, 1);
    events
}

#[tokio::test(start_paused = true)]
async fn a_failing_steps_last_lines_come_before_prepare_failed() {
    let mut script = PreparationScript::new();
    for batch in 0..40 {
        let lines = numbered(&format!("pack {batch}"), 3);
        script = script.lines(Source::Pack, Stream::Stderr, &as_strs(&lines));
    }
    let failure = Failure::Step {
        step: Step::Pack,
        cause: StepFailure::Exit(AbnormalExit::Code(NonZeroI32::new(2).expect("non-zero"))),
    };
    let script = script.ends(PreparationEnd::Failed(PortFailure {
        failure,
        reason: "pack failed (exit 2)".to_owned(),
    }));
    let (session, gate, record) = behind_a_blocked_sink(script, RuntimeScript::new());
    play_opened(&session).await;
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::PrepareFailed);
    let events = release_and_finish(&session, &gate, &record).await;

    let (end, lines) = positions(&events, Source::Pack, S::PrepareFailed);
    assert_eq!(lines.len(), 120);
    assert_eq!(end, events.len() - 1);
    assert!(lines.iter().all(|&line| line < end));
    assert_eq!(
        messages_from(&events, Source::Pack)
            .last()
            .map(String::as_str),
        Some("pack 39 2")
    );
}

#[tokio::test(start_paused = true)]
async fn a_crashing_runtimes_last_lines_come_before_runtime_failed() {
    let mut script = RuntimeScript::new();
    for batch in 0..40 {
        let lines = numbered(&format!("frame {batch}"), 3);
        script = script.lines(Stream::Stdout, &as_strs(&lines));
    }
    let script = script
        .lines(
            Stream::Stderr,
            &["thread 'main' panicked at src/vm.rs:12:5"],
        )
        .ends(RuntimeEnd::Exited(Termination::Abnormal(
            AbnormalExit::Code(NonZeroI32::new(101).expect("non-zero")),
        )));
    let (session, gate, record) = behind_a_blocked_sink(PreparationScript::new(), script);
    play_opened(&session).await;
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::RuntimeFailed);
    let events = release_and_finish(&session, &gate, &record).await;

    let (end, lines) = positions(&events, Source::Runtime, S::RuntimeFailed);
    assert_eq!(lines.len(), 121);
    assert_eq!(end, events.len() - 1);
    assert!(lines.iter().all(|&line| line < end));
}

#[tokio::test(start_paused = true)]
async fn a_stopped_runtimes_last_lines_come_before_stopped() {
    let mut script = RuntimeScript::new().wait(Wait::Stop);
    for batch in 0..40 {
        let lines = numbered(&format!("saving {batch}"), 2);
        script = script.lines(Stream::Stdout, &as_strs(&lines));
    }
    let script = script.ends(RuntimeEnd::Stopped);
    let (session, gate, record) = behind_a_blocked_sink(PreparationScript::new(), script);
    let mut events = session.subscribe(0);
    play_opened(&session).await;
    wait_for_state(&mut events, S::Running).await;
    let stop = within("stop", session.stop("user asked")).await;
    assert_eq!(stop, Ok(StopOutcome::Requested));
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    let events = release_and_finish(&session, &gate, &record).await;

    let (end, lines) = positions(&events, Source::Runtime, S::Stopped);
    assert_eq!(lines.len(), 80);
    assert_eq!(end, events.len() - 1);
    assert!(lines.iter().all(|&line| line < end));
}

/// With the sink blocked and the runtime's output waiting in the channel, the port's "SIGTERM
/// sent" (told after that output) must still come before the service's own "kill now", which
/// happened later, and "SIGKILL sent" after it; the output sent before a line stays before it.
#[tokio::test(start_paused = true)]
async fn a_stops_story_is_in_the_order_it_happened_behind_a_blocked_sink() {
    let mut script = RuntimeScript::new();
    for batch in 0..40 {
        let lines = numbered(&format!("frame {batch}"), 2);
        script = script.lines(Stream::Stdout, &as_strs(&lines));
    }
    let script = script
        .wait(Wait::Stop)
        .tells(
            Severity::Info,
            "runtime: SIGTERM sent to process group 4242",
        )
        .wait(Wait::Kill)
        .tells(
            Severity::Warn,
            "runtime: SIGKILL sent to process group 4242",
        )
        .ends(RuntimeEnd::Stopped);
    let runtime = Arc::new(ScriptedRuntime::new(script));
    let (session, gate, record) =
        behind_a_blocked_sink_with(PreparationScript::new(), Arc::clone(&runtime) as _);
    let mut subscription = session.subscribe(0);
    play_opened(&session).await;
    wait_for_state(&mut subscription, S::Running).await;
    within("the runtime's output", runtime.wait_sent(40)).await;
    let stop = within("stop", session.stop("user asked")).await;
    assert_eq!(stop, Ok(StopOutcome::Requested));
    within("SIGTERM told", runtime.wait_sent(41)).await;
    let kill = within("kill", session.kill_now()).await;
    assert_eq!(kill, Ok(KillOutcome::Killing));
    let end = within("the run to end", session.settled()).await;
    assert_eq!(end.state, S::Stopped);
    let events = release_and_finish(&session, &gate, &record).await;

    let session_lines: Vec<String> = messages_from(&events, Source::Session)
        .into_iter()
        .filter(|message| message.contains("SIG") || message.starts_with("kill now"))
        .collect();
    assert_eq!(
        session_lines,
        vec![
            "runtime: SIGTERM sent to process group 4242",
            "kill now: skipping the rest of the stop grace",
            "runtime: SIGKILL sent to process group 4242",
        ]
    );
    let position = |wanted: &str| {
        events
            .iter()
            .position(|event| matches!(event, Event::Log(log) if log.message == wanted))
            .expect("the line")
    };
    let (_, runtime_lines) = positions(&events, Source::Runtime, S::Stopped);
    assert_eq!(runtime_lines.len(), 80);
    let sigterm = position("runtime: SIGTERM sent to process group 4242");
    assert!(runtime_lines.iter().all(|&line| line < sigterm));
}
