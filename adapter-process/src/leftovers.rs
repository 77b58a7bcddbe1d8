//! After the process exited: ending what it left in its group and reaping what we adopted.

use std::pin::pin;
use std::time::Duration;

use session_domain::Severity;
use tokio::time::Instant;

use super::adopted::{reap_adopted, reap_adopted_zombies};
use super::group::{group_alive, group_members};
use super::signals::Signals;
use super::supervisor::{Supervisor, list};
use super::{StopLevel, deadline_after};

/// How waiting for a group to empty ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupWait {
    /// No living process is left in it.
    Empty,
    /// The grace deadline passed first.
    GraceExpired,
    /// A kill was asked meanwhile: the grace is skipped.
    KillAsked,
}

impl Supervisor {
    /// After the process exited: drain its pipes, end what it left in its group, reap what we
    /// adopted, then read the pipes to end of file.
    pub(crate) async fn after_exit(&mut self, signals: &mut Signals) {
        let readers = std::mem::take(&mut self.readers);
        let mut drained = pin!(async move {
            for reader in readers {
                let _ = reader.await;
            }
        });
        let pipes_closed = self.wait_for_pipes(&mut drained).await;

        if group_alive(self.pgid) {
            self.end_leftovers(signals).await;
        }
        self.reap_adopted().await;
        if !group_alive(self.pgid) {
            drop(self.guard.take());
        }
        if !pipes_closed {
            self.finish_reading(&mut drained).await;
        }
        if signals.term_sent || signals.kill_sent {
            let message = format!("{}: process group {} is empty", self.label, self.pgid);
            self.say(Severity::Info, &message);
        }
    }

    /// Kills and reaps what this process adopted; warns about those that were still alive
    /// (zombies, such as a group member re-parented after its shell died, are reaped
    /// silently). `true` if any was alive.
    pub(crate) async fn reap_adopted(&self) -> bool {
        let alive = reap_adopted().await;
        if alive.is_empty() {
            return false;
        }
        let message = format!(
            "{}: killed and reaped adopted processes {}",
            self.label,
            list(&alive)
        );
        self.say(Severity::Warn, &message);
        true
    }

    /// Ends whatever is left in the group once its leader has exited.
    ///
    /// When a stop already signalled the group, what remains is part of that stop: it keeps
    /// the stop's grace and is told as the stop goes on. Otherwise the leftovers are named in a
    /// warning and ended as for a stop: SIGTERM, `stop_grace`, SIGKILL (at once when the grace
    /// is zero or a kill is asked).
    async fn end_leftovers(&mut self, signals: &mut Signals) {
        if !signals.term_sent && !signals.kill_sent {
            let who = match group_members(self.pgid) {
                // They ended on their own between the two looks.
                Some(members) if members.is_empty() => return,
                Some(members) => format!("processes {}", list(&members)),
                None => "processes".to_owned(),
            };
            let message = format!(
                "{} exited but left {who} in its process group: ending them",
                self.label
            );
            self.say(Severity::Warn, &message);
        }
        let kill_asked = *self.stop.borrow() == StopLevel::Kill;
        if !signals.kill_sent && !kill_asked && !self.timing.stop_grace.is_zero() {
            if !signals.term_sent {
                self.terminate_group(signals);
            }
            let deadline = signals
                .kill_at
                .unwrap_or_else(|| deadline_after(Instant::now(), self.timing.stop_grace));
            match self.wait_group_empty(Some(deadline)).await {
                GroupWait::Empty => return,
                GroupWait::KillAsked => {}
                GroupWait::GraceExpired => self.kill_after_grace(signals),
            }
        }
        if !signals.kill_sent {
            self.kill_group(signals);
        }
        self.wait_group_empty(None).await;
    }

    /// Waits (polling with back-off) until no living process is left in the group, reaping
    /// adopted zombies on the way. With a `deadline`, also returns when it passes or when a
    /// kill is asked, so that the caller can escalate.
    async fn wait_group_empty(&mut self, deadline: Option<Instant>) -> GroupWait {
        let mut pause = Duration::from_millis(1);
        loop {
            reap_adopted_zombies();
            if !group_alive(self.pgid) {
                return GroupWait::Empty;
            }
            if let Some(deadline) = deadline {
                if Instant::now() >= deadline {
                    return GroupWait::GraceExpired;
                }
                if *self.stop.borrow() == StopLevel::Kill {
                    return GroupWait::KillAsked;
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }
}
