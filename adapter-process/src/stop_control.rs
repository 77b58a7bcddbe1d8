//! Stop requests: the one escalation, Running → Terminate → Kill, that frontends drive and
//! supervisors act on.

use std::sync::Arc;

use tokio::sync::watch;

/// How far a stop has been asked to go. Only ever escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopLevel {
    /// Nobody asked for a stop.
    Running,
    /// SIGTERM to the group, SIGKILL after `stop_grace`.
    Terminate,
    /// SIGKILL to the group now.
    Kill,
}

/// Asks supervised processes to stop. Cheap to clone; one control may serve several processes
/// in turn (the shipper's steps), and whoever holds a clone can wait for a stop to be asked.
///
/// The level is recorded before any supervisor acts on it, so whatever the signal causes is
/// already known to be a stop.
#[derive(Debug, Clone)]
pub struct StopControl {
    level: Arc<watch::Sender<StopLevel>>,
}

impl Default for StopControl {
    fn default() -> Self {
        Self::new()
    }
}

impl StopControl {
    /// A control that has not asked for anything.
    pub fn new() -> Self {
        Self {
            level: Arc::new(watch::Sender::new(StopLevel::Running)),
        }
    }

    /// Asks for a graceful stop (no effect once a kill was asked).
    pub fn terminate(&self) {
        self.escalate(StopLevel::Terminate);
    }

    /// Asks for an immediate kill.
    pub fn kill(&self) {
        self.escalate(StopLevel::Kill);
    }

    /// What has been asked so far.
    pub fn level(&self) -> StopLevel {
        *self.level.borrow()
    }

    /// `true` once a stop or a kill was asked.
    pub fn is_asked(&self) -> bool {
        self.level() != StopLevel::Running
    }

    /// Resolves once a stop or a kill was asked (at once if one already was).
    pub async fn wait_asked(&self) {
        let mut level = self.level.subscribe();
        // `self` holds the sender, so the wait only ends when a stop was asked.
        let _ = level.wait_for(|level| *level != StopLevel::Running).await;
    }

    fn escalate(&self, to: StopLevel) {
        self.level.send_if_modified(|level| {
            let raised = to > *level;
            if raised {
                *level = to;
            }
            raised
        });
    }

    /// A receiver that sees every escalation, for the supervisor's `select!`.
    pub(crate) fn watch(&self) -> watch::Receiver<StopLevel> {
        self.level.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ever_escalates() {
        let control = StopControl::new();
        assert!(!control.is_asked());
        control.terminate();
        assert_eq!(control.level(), StopLevel::Terminate);
        control.kill();
        control.terminate();
        assert_eq!(control.level(), StopLevel::Kill);
        assert!(control.is_asked());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn waiting_for_a_stop_ends_when_one_is_asked() {
        let control = StopControl::new();
        let clone = control.clone();
        let waiter = tokio::spawn(async move { clone.wait_asked().await });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        control.terminate();
        waiter.await.expect("the waiter ends");
        // Once asked, waiting returns at once.
        control.wait_asked().await;
    }
}
