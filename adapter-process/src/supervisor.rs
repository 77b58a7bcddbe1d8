//! The supervisor of one process: from spawn until everything of it is reaped and read.
//!
//! What to signal and when is the [`Escalation`]'s decision; this is the I/O around it: it
//! waits for the exit, the stop requests, the timers, the pipes and the group, feeds what
//! happened to the escalation, and carries out its actions.

use std::pin::pin;
use std::sync::Arc;

use session_domain::{LineBatch, Severity, Signal, Termination};
use session_ports::{Clock, OutputSender};
use tokio::process::Child;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::escalation::{Escalation, Event};
use super::group::group_alive;
use super::guard::GroupGuard;
use super::reader::Delivery;
use super::report::{ProcessReport, termination_of};
use super::{ProcessTiming, StopLevel};

pub(crate) struct Supervisor {
    pub(crate) label: String,
    pub(crate) pgid: i32,
    pub(crate) timing: ProcessTiming,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where the supervisor tells its `session` lines: told, never sent, so that a blocked
    /// sink never delays a signal and the story stays in order (see `OutputSender::tell`).
    pub(crate) output: OutputSender,
    /// How the pipe readers are doing with the output.
    pub(crate) delivery: Arc<Delivery>,
    pub(crate) stop: watch::Receiver<StopLevel>,
    pub(crate) readers: Vec<JoinHandle<()>>,
    pub(crate) abandon: watch::Sender<bool>,
    /// Armed until the group is known empty: then it is dropped at once, so that a pgid the
    /// system may reuse is never signalled later (by this guard or by the panic hook).
    pub(crate) guard: Option<GroupGuard>,
    /// Time zero for the escalation and the report.
    pub(crate) started: Instant,
    pub(crate) escalation: Escalation,
    /// When the escalation's kill is due, while one is.
    pub(crate) kill_timer: Option<Instant>,
    /// When the pipes stop being waited for, once the process exited.
    pub(crate) pipe_timer: Option<Instant>,
}

impl Supervisor {
    pub(crate) async fn run(
        mut self,
        mut child: Child,
        exit_tx: watch::Sender<Option<Termination>>,
    ) -> ProcessReport {
        let mut stop_open = true;
        let status = loop {
            let level = *self.stop.borrow_and_update();
            if let Some(asked) = Event::asked(level) {
                self.handle(asked);
            }
            let kill_timer = self.kill_timer;
            tokio::select! {
                status = child.wait() => break status,
                changed = self.stop.changed(), if stop_open => stop_open = changed.is_ok(),
                () = sleep_until(kill_timer.unwrap_or_else(Instant::now)), if kill_timer.is_some() => {
                    self.handle(Event::GraceExpired);
                }
            }
        };
        let duration = self.started.elapsed();
        let termination = match status {
            Ok(status) => termination_of(status),
            Err(error) => {
                tracing::error!(label = %self.label, %error, "waiting for the process failed");
                Termination::from_signal(Signal::KILL)
            }
        };
        let _ = exit_tx.send(Some(termination));
        self.handle_at(Event::Exited, duration);
        self.after_exit().await;
        ProcessReport {
            termination,
            signalled_by_us: self.escalation.signalled_before_exit(),
            duration,
        }
    }

    /// After the process exited: drain its pipes, end what it left in its group, reap what we
    /// adopted, then read the pipes to end of file.
    async fn after_exit(&mut self) {
        let readers = std::mem::take(&mut self.readers);
        let mut drained = pin!(async move {
            for reader in readers {
                let _ = reader.await;
            }
        });
        let pipes_closed = self.wait_for_pipes(&mut drained).await;

        if group_alive(self.pgid) {
            self.end_leftovers().await;
        }
        self.reap_adopted().await;
        if !group_alive(self.pgid) {
            drop(self.guard.take());
        }
        if !pipes_closed {
            self.finish_reading(&mut drained).await;
        }
        self.handle(Event::AllReaped);
    }

    /// Tells one `session` line; never waits.
    pub(crate) fn say(&self, severity: Severity, message: &str) {
        let batch = LineBatch::session_line(self.clock.now(), severity, message);
        // A closed output means the session is gone; the supervision goes on regardless.
        let _ = self.output.tell(batch);
    }
}

/// `12, 13`: how pids read in session lines.
pub(crate) fn list(pids: &[i32]) -> String {
    pids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
