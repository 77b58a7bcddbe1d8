//! After the process exited: ending what it left in its group and reaping what we adopted.

use std::time::Duration;

use session_domain::Severity;
use tokio::time::Instant;

use super::StopLevel;
use super::adopted::{reap_adopted, reap_adopted_zombies};
use super::escalation::Event;
use super::group::{group_alive, group_members};
use super::supervisor::{Supervisor, list};

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
    /// Ends whatever is left in the group once its leader has exited, as the escalation says:
    /// named and ended as for a stop, or, when a stop already signalled the group, as part of
    /// that stop.
    pub(crate) async fn end_leftovers(&mut self) {
        self.handle(Event::LeftoversFound);
        while self.escalation.is_ending_leftovers() {
            let event = match self.wait_group_empty(self.kill_timer).await {
                GroupWait::Empty => Event::GroupEmpty,
                GroupWait::GraceExpired => Event::GraceExpired,
                GroupWait::KillAsked => Event::KillAsked,
            };
            self.handle(event);
        }
    }

    /// Warns about the living processes left in the group, and tells the escalation whether
    /// there were any (they may have ended on their own between two looks).
    pub(crate) fn name_leftovers(&mut self) {
        let who = match group_members(self.pgid) {
            Some(members) if members.is_empty() => return self.handle(Event::GroupEmpty),
            Some(members) => format!("processes {}", list(&members)),
            None => "processes".to_owned(),
        };
        let message = format!(
            "{} exited but left {who} in its process group: ending them",
            self.label
        );
        self.say(Severity::Warn, &message);
        self.handle(Event::LeftoversNamed);
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

    /// Waits (polling with back-off) until no living process is left in the group, reaping
    /// adopted zombies on the way. With a `deadline`, also returns when it passes or when a
    /// kill is asked, so that the escalation can go on.
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
