//! Stop escalation: signalling the group as a stop asks, and telling what was sent.

use session_domain::{Severity, human_duration};
use tokio::time::Instant;

use super::group::signal_group;
use super::supervisor::Supervisor;
use super::{StopLevel, deadline_after};

/// What the supervisor has done to the group so far.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Signals {
    pub(crate) term_sent: bool,
    pub(crate) kill_sent: bool,
    pub(crate) kill_at: Option<Instant>,
}

impl Supervisor {
    pub(crate) fn act_on(&mut self, level: StopLevel, signals: &mut Signals) {
        match level {
            StopLevel::Running => {}
            StopLevel::Terminate if signals.term_sent || signals.kill_sent => {}
            StopLevel::Terminate if self.timing.stop_grace.is_zero() => self.kill_group(signals),
            StopLevel::Terminate => self.terminate_group(signals),
            StopLevel::Kill if signals.kill_sent => {}
            StopLevel::Kill => self.kill_group(signals),
        }
    }

    /// SIGTERM to the group, with SIGKILL due after `stop_grace`.
    pub(crate) fn terminate_group(&mut self, signals: &mut Signals) {
        signals.term_sent = true;
        signals.kill_at = Some(deadline_after(Instant::now(), self.timing.stop_grace));
        if signal_group(self.pgid, libc::SIGTERM) {
            let message = format!(
                "{}: SIGTERM sent to process group {}",
                self.label, self.pgid
            );
            self.say(Severity::Info, &message);
        }
    }

    pub(crate) fn kill_group(&mut self, signals: &mut Signals) {
        let killed = self.send_kill(signals);
        self.tell_kill(killed);
    }

    /// The stop grace ran out: SIGKILL to the group. Signal first, then tell.
    pub(crate) fn kill_after_grace(&mut self, signals: &mut Signals) {
        let killed = self.send_kill(signals);
        let grace = human_duration(self.timing.stop_grace);
        let message = format!("{}: stop grace of {grace} expired", self.label);
        self.say(Severity::Warn, &message);
        self.tell_kill(killed);
    }

    /// SIGKILL to the group; `true` if the signal was delivered.
    fn send_kill(&self, signals: &mut Signals) -> bool {
        signals.kill_sent = true;
        signal_group(self.pgid, libc::SIGKILL)
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
