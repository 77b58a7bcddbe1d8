//! The state the owner task publishes and every handle and subscription reads.

use std::sync::{Mutex, MutexGuard, PoisonError};

use session_domain::{LogLimits, Seq, Session, SessionState};
use tokio::sync::{mpsc, watch};

use crate::SinkFailureReport;

/// What subscribers and waiters are woken for: published once per appended batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Progress {
    pub(crate) last_seq: Seq,
    pub(crate) state: SessionState,
    /// The session shut down: no event will follow.
    pub(crate) closed: bool,
}

/// The domain session behind a mutex that the owner task holds only to apply one input or
/// append one batch, and readers only to copy a snapshot or a chunk of event handles.
#[derive(Debug)]
pub(crate) struct Shared {
    session: Mutex<Session>,
    progress: watch::Sender<Progress>,
    /// Taken once, by the frontend that owns the sinks.
    sink_failures: Mutex<Option<mpsc::UnboundedReceiver<SinkFailureReport>>>,
}

impl Shared {
    pub(crate) fn new(
        limits: LogLimits,
        sink_failures: mpsc::UnboundedReceiver<SinkFailureReport>,
    ) -> Self {
        let session = Session::new(limits);
        let (progress, _) = watch::channel(Progress {
            last_seq: 0,
            state: session.state(),
            closed: false,
        });
        Self {
            session: Mutex::new(session),
            progress,
            sink_failures: Mutex::new(Some(sink_failures)),
        }
    }

    /// The domain session. A panic while it was held leaves a session whose every method
    /// still upholds its invariants (they never panic half-way), so poisoning is ignored.
    pub(crate) fn session(&self) -> MutexGuard<'_, Session> {
        self.session.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn take_sink_failures(&self) -> Option<mpsc::UnboundedReceiver<SinkFailureReport>> {
        self.sink_failures
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    pub(crate) fn watch(&self) -> watch::Receiver<Progress> {
        self.progress.subscribe()
    }

    /// Wakes everyone waiting for events or a state.
    pub(crate) fn publish(&self, last_seq: Seq, state: SessionState) {
        self.progress.send_if_modified(|progress| {
            let changed = progress.last_seq != last_seq || progress.state != state;
            progress.last_seq = last_seq;
            progress.state = state;
            changed
        });
    }

    pub(crate) fn close(&self) {
        self.progress.send_modify(|progress| progress.closed = true);
    }
}
