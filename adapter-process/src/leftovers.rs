//! After the process exited: ending what it left in its group and reaping what we adopted.

use std::time::Duration;

use session_domain::Severity;
use tokio::time::Instant;

use super::StopLevel;
use tokio::signal::unix::{Signal, SignalKind, signal};

use super::adopted::{is_subreaper, reap_adopted, reap_adopted_zombies};
use super::escalation::Event;
use super::group::{group_exists, group_members};
use super::procfs::read_stat;
use super::supervisor::{Supervisor, list};

/// The longest pause between two cheap looks at a group we wait for.
const PROBE_PAUSE: Duration = Duration::from_millis(50);

/// The same, when a SIGCHLD tells us of every death that can empty the group.
const WATCHED_PROBE_PAUSE: Duration = Duration::from_secs(1);

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
    /// Waiting must cost next to nothing, since a grace may last long. Each look is one
    /// `kill(-pgid, 0)`, a read of our own children's list, and a read of the `stat` of the
    /// members the last procfs scan found alive. The probe counts zombies, so only when none
    /// of the known members is alive any more does a full procfs scan tell living newcomers
    /// from zombies nobody reaps.
    ///
    /// As a subreaper we also look whenever a child of ours exits: once the leader is gone,
    /// every member whose parent died is our child, so the last member's death is a SIGCHLD to
    /// us, and the polling is only a fallback, backing off up to [`WATCHED_PROBE_PAUSE`].
    /// Otherwise it backs off up to [`PROBE_PAUSE`].
    async fn wait_group_empty(&mut self, deadline: Option<Instant>) -> GroupWait {
        let mut child_exited = child_exits();
        let longest = if child_exited.is_some() {
            WATCHED_PROBE_PAUSE
        } else {
            PROBE_PAUSE
        };
        let mut pause = Duration::from_millis(1);
        let mut known: Vec<i32> = Vec::new();
        let mut stop_open = true;
        loop {
            reap_adopted_zombies();
            if !group_exists(self.pgid) {
                return GroupWait::Empty;
            }
            if !known.iter().any(|pid| still_member(*pid, self.pgid)) {
                match group_members(self.pgid) {
                    Some(members) if members.is_empty() => return GroupWait::Empty,
                    Some(members) => known = members,
                    // No procfs: the probe is all we know.
                    None => {}
                }
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
                () = next_child_exit(&mut child_exited) => {}
            }
            pause = (pause * 2).min(longest);
        }
    }
}

/// `true` while `pid` is alive and still in group `pgid` (a pid reused meanwhile would be in
/// another group).
fn still_member(pid: i32, pgid: i32) -> bool {
    read_stat(pid).is_some_and(|process| process.pgrp == pgid && process.is_alive())
}

/// SIGCHLD as a stream, when we are a subreaper (and so the parent of every orphaned member).
fn child_exits() -> Option<Signal> {
    if !is_subreaper() {
        return None;
    }
    signal(SignalKind::child()).ok()
}

/// The next SIGCHLD, or never without a stream.
async fn next_child_exit(child_exited: &mut Option<Signal>) {
    match child_exited {
        Some(stream) => {
            if stream.recv().await.is_none() {
                *child_exited = None;
            }
        }
        None => std::future::pending().await,
    }
}
