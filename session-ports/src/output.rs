//! The bounded channel through which ports hand their output to the service.

use session_domain::{LineBatch, StepRecord};
use tokio::sync::mpsc;

/// Where a port sends the lines it read, one batch per read.
///
/// The channel is bounded: when the service stops taking batches (because a sink is slow),
/// `send` waits, the port stops reading its pipes, and the children block in `write` exactly
/// as they would behind `| cat`.
#[derive(Debug, Clone)]
pub struct OutputSender {
    inner: mpsc::Sender<PortOutput>,
}

/// One item a port hands the service, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortOutput {
    /// The lines one read produced (or the port's own `session` lines).
    Lines(LineBatch),
    /// A step's or the runtime's start or end.
    Step(StepRecord),
}

/// The service is gone; nobody will read this output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the session no longer accepts output")]
pub struct OutputClosed;

impl OutputSender {
    /// Sends one batch, waiting while the service is busy. Empty batches are dropped.
    pub async fn send(&self, batch: LineBatch) -> Result<(), OutputClosed> {
        if batch.is_empty() {
            return Ok(());
        }
        self.inner
            .send(PortOutput::Lines(batch))
            .await
            .map_err(|_| OutputClosed)
    }

    /// Sends one step fact, after every line sent before it.
    pub async fn send_step(&self, record: StepRecord) -> Result<(), OutputClosed> {
        self.inner
            .send(PortOutput::Step(record))
            .await
            .map_err(|_| OutputClosed)
    }
}

/// A bounded output channel holding at most `capacity` batches.
pub fn output_channel(capacity: usize) -> (OutputSender, mpsc::Receiver<PortOutput>) {
    let (inner, receiver) = mpsc::channel(capacity.max(1));
    (OutputSender { inner }, receiver)
}
