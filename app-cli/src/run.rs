//! Driving one run from the command line: signals, a closed stdout, `--stop-after`, and the
//! exit code, which belongs to the first cause of a stop the session accepted.

use std::sync::Arc;
use std::time::Duration;

use session_domain::{LogLimits, SessionState};
use session_ports::{
    Clock, ExecutionSession, KillOutcome, PlayOutcome, Ports, ServiceSettings, StopOutcome,
    SystemClock,
};
use tokio::signal::unix::{Signal, SignalKind, signal};
use tokio::sync::mpsc;

use crate::cli::Format;
use crate::exit::{ExitCode, Fatal};
use crate::output::{HumanFormat, OutputFailure, StdoutFormat, start_output_thread, watch_stdout};
use crate::plan::RunPlan;
use crate::ports_factory::ConfigPortsFactory;

/// What asked for the stop, deciding the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StopCause {
    Signal(ExitCode, &'static str),
    StdoutClosed,
    StopAfter,
    OutputError,
}

impl StopCause {
    fn exit_code(self) -> ExitCode {
        match self {
            Self::Signal(code, _) => code,
            Self::StdoutClosed => ExitCode::StdoutClosed,
            Self::StopAfter => ExitCode::Success,
            Self::OutputError => ExitCode::ToolError,
        }
    }
}

struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl Signals {
    fn install() -> Result<Self, Fatal> {
        let install = |kind| {
            signal(kind).map_err(|error| Fatal::tool(format!("cannot handle signals: {error}")))
        };
        Ok(Self {
            interrupt: install(SignalKind::interrupt())?,
            terminate: install(SignalKind::terminate())?,
            hangup: install(SignalKind::hangup())?,
        })
    }

    async fn next(&mut self) -> StopCause {
        tokio::select! {
            _ = self.interrupt.recv() => StopCause::Signal(ExitCode::Interrupted, "SIGINT"),
            _ = self.terminate.recv() => StopCause::Signal(ExitCode::Terminated, "SIGTERM"),
            _ = self.hangup.recv() => StopCause::Signal(ExitCode::Hangup, "SIGHUP"),
        }
    }
}

/// Runs the plan to a terminal state and returns the exit code.
pub async fn run(plan: RunPlan) -> Result<i32, Fatal> {
    let mut signals = Signals::install()?;
    let (failures_tx, mut failures) = mpsc::unbounded_channel();
    let stdout_format = match plan.format {
        Format::Json => StdoutFormat::Json,
        Format::Human => StdoutFormat::Human(HumanFormat::new(plan.color, terminal_width())),
    };
    watch_stdout(failures_tx.clone());
    let output = start_output_thread(
        stdout_format,
        plan.filter.clone(),
        plan.log_file,
        failures_tx,
    )
    .map_err(|error| Fatal::tool(format!("cannot start the output thread: {error}")))?;

    let settings = ServiceSettings {
        limits: LogLimits {
            max_events: plan.settings.config.log.buffer_events,
            max_bytes: plan.settings.config.log.buffer_bytes,
        },
        ..ServiceSettings::default()
    };
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let ports = Ports {
        factory: Arc::new(ConfigPortsFactory::new(plan.source, Arc::clone(&clock))),
        clock,
    };
    let session = ExecutionSession::start(ports, vec![Box::new(output.sink)], settings);
    let played = session
        .play(plan.goal.into())
        .await
        .map_err(|error| Fatal::tool(error.to_string()))?;
    if let PlayOutcome::Refused { reason } = played {
        // The file changed between the up-front check and the play: nothing ran. The session
        // line that says so still reaches the log file.
        session.shutdown().await;
        let _ = tokio::task::spawn_blocking(move || output.handle.join()).await;
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
            stop = signals.next() => {
                let StopCause::Signal(_, name) = stop else { continue };
                signals_received += 1;
                // The first signal stops with grace, even when a stop of another cause is
                // already under way; the second one kills.
                if signals_received >= 2 && session.state() == SessionState::Stopping {
                    if session.kill_now().await == Ok(KillOutcome::Killing) {
                        tracing::debug!("second signal: killing every process group now");
                    }
                } else {
                    request_stop(&session, &mut cause, stop, &format!("{name} received")).await;
                }
            }
            Some(failure) = failures.recv() => {
                if let Some(message) = failure.error_message() {
                    tool_error.get_or_insert(message);
                }
                let (this, reason) = match failure {
                    OutputFailure::StdoutClosed => (StopCause::StdoutClosed, "stdout was closed"),
                    OutputFailure::Stdout(_) => (StopCause::OutputError, "stdout cannot be written"),
                    OutputFailure::LogFile(_) => (StopCause::OutputError, "the log file cannot be written"),
                };
                request_stop(&session, &mut cause, this, reason).await;
            }
        }
    }
    let final_state = session.snapshot().state;
    session.shutdown().await;
    let report = tokio::task::spawn_blocking(move || output.handle.join())
        .await
        .ok()
        .and_then(Result::ok);
    drop(plan.lock);

    let exit = cause.map_or_else(|| ExitCode::of_state(final_state), StopCause::exit_code);
    if let Some(report) = report {
        if let (Some(human), false) = (&report.human, report.stdout_closed) {
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            let _ = stdout.write_all(human.summary(final_state, exit.code()).as_bytes());
            let _ = stdout.flush();
        }
    }
    // The output thread may have failed on the last batches, after the run had ended.
    while let Ok(failure) = failures.try_recv() {
        if let Some(message) = failure.error_message() {
            tool_error.get_or_insert(message);
        }
    }
    match (tool_error, cause) {
        // An output error owns the exit code unless a stop of another cause came first;
        // either way it is said, since something was not written.
        (Some(message), None | Some(StopCause::OutputError)) => Err(Fatal::tool(message)),
        (Some(message), Some(_)) => {
            Fatal::tool(message).report();
            Ok(exit.code())
        }
        (None, _) => Ok(exit.code()),
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

fn terminal_width() -> usize {
    // SAFETY: TIOCGWINSZ writes one winsize struct into the local we pass.
    let mut size: libc::winsize = unsafe { std::mem::zeroed() };
    let result = unsafe { libc::ioctl(libc::STDOUT_FILENO, libc::TIOCGWINSZ, &mut size) };
    if result == 0 && size.ws_col > 0 {
        usize::from(size.ws_col)
    } else {
        80
    }
}
