//! Carrying out what the escalation decides: signals to the group, timers, and the `session`
//! lines that tell them.

use std::time::Duration;

use rustix::process::Signal;
use session_domain::{Severity, human_duration};

use super::deadline_after;
use super::escalation::{Action, Event};
use super::group::{signal_group, stopped_members};
use super::supervisor::{Supervisor, list};

impl Supervisor {
    /// Feeds `event`, which happened just now, to the escalation and carries out its decision.
    pub(crate) fn handle(&mut self, event: Event) {
        let now = self.started.elapsed();
        self.handle_at(event, now);
    }

    /// Feeds `event`, which happened `now` after spawn, to the escalation and carries out its
    /// decision.
    pub(crate) fn handle_at(&mut self, event: Event, now: Duration) {
        for action in self.escalation.on(event, now) {
            self.carry_out(action);
        }
    }

    fn carry_out(&mut self, action: Action) {
        match action {
            Action::Terminate => self.terminate(),
            Action::Kill => {
                let killed = self.send_kill();
                self.tell_kill(killed);
            }
            Action::KillAfterGrace => {
                let killed = self.send_kill();
                let grace = human_duration(self.timing.stop_grace);
                let message = format!("{}: stop grace of {grace} expired", self.label);
                self.say(Severity::Warn, &message);
                self.tell_kill(killed);
            }
            Action::ArmKillTimer(at) => self.kill_timer = Some(deadline_after(self.started, at)),
            Action::ArmPipeTimer(at) => self.pipe_timer = Some(deadline_after(self.started, at)),
            Action::NameLeftovers => self.name_leftovers(),
            Action::TellGroupEmpty => {
                let message = format!("{}: process group {} is empty", self.label, self.pgid);
                self.say(Severity::Info, &message);
            }
        }
    }

    /// SIGTERM to the group, then SIGCONT: a stopped process (state T, say from SIGTTIN or
    /// SIGSTOP) cannot run its SIGTERM handler, or even die of SIGTERM, until it continues.
    /// A SIGTERM leaves a stopped process stopped, so between the two we can still see who
    /// was, and name them.
    fn terminate(&mut self) {
        if !signal_group(self.pgid, Signal::TERM) {
            return;
        }
        let stopped = stopped_members(self.pgid);
        signal_group(self.pgid, Signal::CONT);
        let message = format!(
            "{}: SIGTERM sent to process group {}",
            self.label, self.pgid
        );
        self.say(Severity::Info, &message);
        if !stopped.is_empty() {
            let (who, were) = match stopped.as_slice() {
                [one] => (format!("process {one}"), "was"),
                many => (format!("processes {}", list(many)), "were"),
            };
            let message = format!(
                "{}: {who} of the run {were} stopped (state T); SIGCONT sent so that SIGTERM can act",
                self.label
            );
            self.say(Severity::Warn, &message);
        }
    }

    /// SIGKILL to the group, disarming the kill timer; `true` if the signal was delivered.
    fn send_kill(&mut self) -> bool {
        self.kill_timer = None;
        signal_group(self.pgid, Signal::KILL)
    }

    fn tell_kill(&self, killed: bool) {
        if killed {
            let message = format!(
                "{}: SIGKILL sent to process group {}",
                self.label, self.pgid
            );
            self.say(Severity::Warn, &message);
        }
    }
}
