//! The supervisor of one process: from spawn until everything of it is reaped and read.

use std::sync::Arc;

use session_domain::{LineBatch, Severity, Signal, Termination};
use session_ports::Clock;
use tokio::process::Child;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until};

use super::guard::GroupGuard;
use super::reader::Delivery;
use super::report::{ProcessReport, termination_of};
use super::signals::Signals;
use super::{ProcessTiming, StopLevel};

pub(crate) struct Supervisor {
    pub(crate) label: String,
    pub(crate) pgid: i32,
    pub(crate) timing: ProcessTiming,
    pub(crate) clock: Arc<dyn Clock>,
    /// The supervisor's `session` lines, forwarded in order to the output.
    pub(crate) story: mpsc::UnboundedSender<LineBatch>,
    /// How the pipe readers are doing with the output.
    pub(crate) delivery: Arc<Delivery>,
    pub(crate) stop: watch::Receiver<StopLevel>,
    pub(crate) readers: Vec<JoinHandle<()>>,
    pub(crate) abandon: watch::Sender<bool>,
    /// Armed until the group is known empty: then it is dropped at once, so that a pgid the
    /// system may reuse is never signalled later (by this guard or by the panic hook).
    pub(crate) guard: Option<GroupGuard>,
    pub(crate) started: Instant,
}

impl Supervisor {
    pub(crate) async fn run(
        mut self,
        mut child: Child,
        exit_tx: watch::Sender<Option<Termination>>,
    ) -> ProcessReport {
        let mut signals = Signals::default();
        let mut stop_open = true;
        let status = loop {
            let level = *self.stop.borrow_and_update();
            self.act_on(level, &mut signals);
            let kill_at = signals.kill_at.filter(|_| !signals.kill_sent);
            tokio::select! {
                status = child.wait() => break status,
                changed = self.stop.changed(), if stop_open => stop_open = changed.is_ok(),
                () = sleep_until(kill_at.unwrap_or_else(Instant::now)), if kill_at.is_some() => {
                    self.kill_after_grace(&mut signals);
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
        let signalled_by_us = signals.term_sent || signals.kill_sent;
        let _ = exit_tx.send(Some(termination));
        self.after_exit(&mut signals).await;
        ProcessReport {
            termination,
            signalled_by_us,
            duration,
        }
    }

    /// Queues one `session` line for the forwarder; never waits.
    pub(crate) fn say(&self, severity: Severity, message: &str) {
        let batch = LineBatch::session_line(self.clock.now(), severity, message);
        let _ = self.story.send(batch);
    }
}

/// `12, 13`: how pids read in session lines.
pub(crate) fn list(pids: &[i32]) -> String {
    pids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
