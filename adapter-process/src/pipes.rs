//! The pipe-grace policy: how long a process's pipes may outlive it, and when to give up on
//! pipes held open outside its group.

use std::future::Future;
use std::time::Duration;

use session_domain::Severity;
use tokio::time::{Instant, sleep_until, timeout};

use super::StopLevel;
use super::adopted::is_subreaper;
use super::group::group_alive;
use super::supervisor::Supervisor;

impl Supervisor {
    /// Gives the pipes `pipe_grace` to reach end of file. `true` if they did.
    ///
    /// A stop asked meanwhile cuts the grace short when living processes remain in the group:
    /// they are what holds the pipes, and the stop is about ending them now.
    pub(crate) async fn wait_for_pipes(
        &mut self,
        drained: &mut (impl Future<Output = ()> + Unpin),
    ) -> bool {
        // The escalation arms the pipe timer when the process exits.
        let deadline = self.pipe_timer.unwrap_or_else(Instant::now);
        let mut stop_open = true;
        loop {
            let stopping = *self.stop.borrow_and_update() != StopLevel::Running;
            if stopping && group_alive(self.pgid) {
                return false;
            }
            tokio::select! {
                () = &mut *drained => return true,
                () = sleep_until(deadline) => return false,
                changed = self.stop.changed(), if stop_open && !stopping => {
                    stop_open = changed.is_ok();
                }
            }
        }
    }

    /// The pipes outlived the group: a descendant outside it holds them. On Linux, as a
    /// subreaper, it is ours to find once its parent is gone; elsewhere, or once a stop is
    /// asked, we give up on the pipes after `pipe_grace` (readers still deliver what they
    /// have read).
    pub(crate) async fn finish_reading(
        &mut self,
        drained: &mut (impl Future<Output = ()> + Unpin),
    ) {
        // Never spin: a zero `pipe_grace` still leaves a pause between two procfs sweeps.
        let pause = self.timing.pipe_grace.max(Duration::from_millis(10));
        loop {
            if timeout(pause, &mut *drained).await.is_ok() {
                return;
            }
            // A reader waiting on a blocked sink is not held up by the pipe.
            if self.delivery.is_waiting() {
                continue;
            }
            if self.reap_adopted().await {
                continue;
            }
            let stop_asked = *self.stop.borrow() != StopLevel::Running;
            if is_subreaper() && cfg!(target_os = "linux") && !stop_asked {
                // The holder is a descendant whose parent still lives outside the group;
                // it will be adopted when that parent goes.
                continue;
            }
            let _ = self.abandon.send(true);
            let message = format!(
                "{}: its output pipes are held open by a process outside its group; no longer reading them",
                self.label
            );
            self.say(Severity::Warn, &message);
            drained.await;
            return;
        }
    }
}
