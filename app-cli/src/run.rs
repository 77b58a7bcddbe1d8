//! Driving one run from the command line: signals, a closed stdout, `--stop-after`, and the
//! exit code, which belongs to the first cause of a stop the session accepted.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::time::Duration;

use session_domain::{JsonWriter, LogLimits, SessionState};
use session_ports::{
    Clock, ExecutionSession, KillOutcome, PlayOutcome, Ports, ServiceSettings, SinkError,
    SinkFailureReport, StopOutcome, SystemClock,
};

use crate::cli::Format;
use crate::exit::{ExitCode, Fatal};
use crate::output::{
    HumanFormat, OutputsFinished, STDOUT_SINK, StdoutFormat, StdoutWatch, start_outputs,
    write_stdout_waiting,
};
use crate::plan::RunPlan;
use crate::ports_factory::ConfigPortsFactory;
use crate::signals::{Signals, StopSignal};

/// What asked for the stop, deciding the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopCause {
    Signal(StopSignal),
    StdoutClosed,
    StopAfter,
    OutputError,
}

impl StopCause {
    pub(crate) fn exit_code(self) -> ExitCode {
        match self {
            Self::Signal(signal) => ExitCode::Signalled(signal.0),
            Self::StdoutClosed => ExitCode::StdoutClosed,
            Self::StopAfter => ExitCode::Success,
            Self::OutputError => ExitCode::ToolError,
        }
    }
}

/// A run of its own, with no server, has no one who could attach later: it keeps no events
/// for replay (the sinks are handed every batch as it comes). `serve` keeps `[log] buffer_*`.
const NOTHING_KEPT_FOR_REPLAY: LogLimits = LogLimits {
    max_events: NonZeroUsize::MIN,
    max_bytes: NonZeroUsize::MIN,
};

/// Runs the plan to a terminal state and returns the exit code.
pub async fn run(plan: RunPlan) -> Result<i32, Fatal> {
    let mut signals = Signals::install().map_err(|error| Fatal::tool(error.to_string()))?;
    let stdout_format = match plan.format {
        Format::Json => StdoutFormat::Json(JsonWriter::default()),
        Format::Human => StdoutFormat::Human(HumanFormat::new(plan.color, terminal_width())),
    };
    let mut stdout = StdoutWatch::start();
    let outputs = start_outputs(stdout_format, plan.filter.clone(), plan.log_file)
        .map_err(|error| Fatal::tool(format!("cannot start the output threads: {error}")))?;

    let settings = ServiceSettings {
        limits: NOTHING_KEPT_FOR_REPLAY,
        ..ServiceSettings::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ports = Ports {
        factory: Arc::new(ConfigPortsFactory::new(plan.source, Arc::clone(&clock))),
        clock,
    };
    let session = ExecutionSession::start(ports, outputs.sinks, settings);
    let mut sink_failures = session.take_sink_failures();
    let played = session
        .play(plan.goal.into())
        .await
        .map_err(|error| Fatal::tool(error.to_string()))?;
    if let PlayOutcome::Refused { reason } = played {
        // The file changed between the up-front check and the play: nothing ran. The session
        // line that says so still reaches the log file.
        session.shutdown().await;
        let threads = outputs.threads;
        let _ = tokio::task::spawn_blocking(move || threads.join()).await;
        return Err(Fatal::usage(reason.message()));
    }

    let mut cause: Option<StopCause> = None;
    let mut signals_received = 0_u32;
    let mut tool_error: Option<String> = None;
    let mut stop_after = plan
        .stop_after
        .map(|after| (after, Box::pin(tokio::time::sleep(Duration::MAX / 4))));
    let mut armed = false;
    let mut settled = std::pin::pin!(session.settled());
    let mut running =
        std::pin::pin!(session.wait_for_state(|state| state == SessionState::Running));

    loop {
        tokio::select! {
            snapshot = &mut settled => {
                let _ = snapshot;
                break;
            }
            _ = &mut running, if !armed && stop_after.is_some() => {
                armed = true;
                if let Some((after, timer)) = &mut stop_after {
                    timer.as_mut().reset(tokio::time::Instant::now() + *after);
                }
            }
            () = async {
                match &mut stop_after {
                    Some((_, timer)) => timer.as_mut().await,
                    None => std::future::pending().await,
                }
            }, if armed => {
                armed = false;
                stop_after = None;
                request_stop(&session, &mut cause, StopCause::StopAfter, "--stop-after elapsed").await;
            }
            received = signals.next() => {
                let name = received.name();
                signals_received += 1;
                // The first signal stops with grace, even when a stop of another cause is
                // already under way; the second one kills.
                if signals_received >= 2 && session.state() == SessionState::Stopping {
                    if session.kill_now().await == Ok(KillOutcome::Killing) {
                        tracing::debug!("second signal: killing every process group now");
                    }
                } else {
                    let stop = StopCause::Signal(received);
                    request_stop(&session, &mut cause, stop, &format!("{name} received")).await;
                }
            }
            () = stdout.closed() => {
                let reason = SinkError::Closed { sink: STDOUT_SINK.to_owned() }.to_string();
                request_stop(&session, &mut cause, StopCause::StdoutClosed, &reason).await;
            }
            Some(report) = next_report(&mut sink_failures) => {
                note_sink_failure(report, &mut cause, &mut tool_error);
            }
        }
    }
    let final_state = session.snapshot().state;
    session.shutdown().await;
    // The session reported every sink failure before it shut down.
    while let Some(report) = sink_failures
        .as_mut()
        .and_then(|reports| reports.try_recv().ok())
    {
        note_sink_failure(report, &mut cause, &mut tool_error);
    }
    let threads = outputs.threads;
    let finished = tokio::task::spawn_blocking(move || threads.join())
        .await
        .ok();
    drop(plan.lock);

    let exit = cause.map_or_else(|| ExitCode::of_state(final_state), StopCause::exit_code);
    if let Some(OutputsFinished { stdout, unreported }) = finished {
        // A write that failed on the last batches, after the run had ended: said, and exit 1.
        for error in unreported {
            if let SinkError::Failed { .. } = error {
                tool_error.get_or_insert(error.to_string());
            }
        }
        if let Some(stdout) = stdout.filter(|stdout| !stdout.closed) {
            if let StdoutFormat::Human(human) = &stdout.format {
                let _ = write_stdout_waiting(human.summary(final_state, exit.code()).as_bytes());
            }
        }
    }
    final_code(exit, cause, tool_error)
}

/// The tool's result once the run has ended: an output error owns the exit code unless a stop
/// of another cause came first; either way it is said, since something was not written.
pub(crate) fn final_code(
    exit: ExitCode,
    cause: Option<StopCause>,
    tool_error: Option<String>,
) -> Result<i32, Fatal> {
    match (tool_error, cause) {
        (Some(message), None | Some(StopCause::OutputError)) => Err(Fatal::tool(message)),
        (Some(message), Some(_)) => {
            Fatal::tool(message).report();
            Ok(exit.code())
        }
        (None, _) => Ok(exit.code()),
    }
}

/// The next sink failure report, or never when there are none to read.
async fn next_report(
    reports: &mut Option<tokio::sync::mpsc::UnboundedReceiver<SinkFailureReport>>,
) -> Option<SinkFailureReport> {
    match reports {
        Some(reports) => reports.recv().await,
        None => std::future::pending().await,
    }
}

/// A sink failed: its error is said (a closed stdout ends the tool quietly), and it owns the
/// exit code when the stop it caused was the one the session accepted first.
fn note_sink_failure(
    report: SinkFailureReport,
    cause: &mut Option<StopCause>,
    tool_error: &mut Option<String>,
) {
    let this = match &report.error {
        SinkError::Closed { .. } => StopCause::StdoutClosed,
        SinkError::Failed { .. } => {
            tool_error.get_or_insert(report.error.to_string());
            StopCause::OutputError
        }
    };
    if report.stop == StopOutcome::Requested {
        cause.get_or_insert(this);
    }
}

/// Asks for a stop; the first accepted stop's cause keeps the exit code. A stop asked while
/// one is under way escalates nothing (only signals escalate, in the caller).
async fn request_stop(
    session: &ExecutionSession,
    cause: &mut Option<StopCause>,
    this: StopCause,
    reason: &str,
) {
    if let Ok(StopOutcome::Requested) = session.stop(reason).await {
        cause.get_or_insert(this);
    }
}

/// Stdout's width in columns when it is a terminal that says, else 80.
pub(crate) fn terminal_width() -> usize {
    match terminal_size::terminal_size_of(std::io::stdout()) {
        Some((terminal_size::Width(columns), _)) if columns > 0 => usize::from(columns),
        _ => 80,
    }
}
