//! After the process exited: ending what it left in its group and reaping what we adopted.

use std::time::Duration;

use session_domain::Severity;
use tokio::time::Instant;

use super::StopLevel;
use super::adopted::{reap_adopted, reap_adopted_zombies};
use super::escalation::Event;
use super::group::{group_alive, group_exists, group_members};
use super::supervisor::{Supervisor, list};

/// The longest pause between two cheap looks at a group we wait for.
const PROBE_PAUSE: Duration = Duration::from_millis(50);

/// The longest pause between two full procfs scans of a group we wait for.
const SCAN_PAUSE: Duration = Duration::from_secs(1);

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

    /// Waits until no living process is left in the group, reaping adopted zombies on the
    /// way. With a `deadline`, also returns when it passes or when a kill is asked, so that the
    /// escalation can go on.
    ///
    /// Waiting must cost next to nothing, since a grace may last long: each look is one
    /// `kill(-pgid, 0)` and a read of our own children's list, with a back-off up to
    /// [`PROBE_PAUSE`]. The probe counts zombies, so a group holding nothing else would look
    /// alive for ever where nobody reaps them (we reap ours): the full procfs scan that tells
    /// zombies apart runs too, but with its own, longer back-off.
    async fn wait_group_empty(&mut self, deadline: Option<Instant>) -> GroupWait {
        let mut pause = Duration::from_millis(1);
        let mut scan_pause = Duration::from_millis(10);
        let mut next_scan = Instant::now();
        let mut stop_open = true;
        loop {
            reap_adopted_zombies();
            if !group_exists(self.pgid) {
                return GroupWait::Empty;
            }
            if Instant::now() >= next_scan {
                if !group_alive(self.pgid) {
                    return GroupWait::Empty;
                }
                next_scan = Instant::now() + scan_pause;
                scan_pause = (scan_pause * 2).min(SCAN_PAUSE);
            }
            if let Some(deadline) = deadline {
                if Instant::now() >= deadline {
                    return GroupWait::GraceExpired;
                }
                if *self.stop.borrow() == StopLevel::Kill {
                    return GroupWait::KillAsked;
                }
            }
            let wake = deadline.map_or(Instant::now() + pause, |deadline| {
                deadline.min(Instant::now() + pause)
            });
            tokio::select! {
                () = tokio::time::sleep_until(wake) => {}
                // A kill asked during a long grace is acted on at once.
                changed = self.stop.changed(), if stop_open => stop_open = changed.is_ok(),
            }
            pause = (pause * 2).min(PROBE_PAUSE);
        }
    }
}
