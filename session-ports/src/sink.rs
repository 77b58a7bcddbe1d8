//! The `LogSink` port: lossless, ordered consumers (the log file, the CLI's stdout).

use std::sync::Arc;

use async_trait::async_trait;
use session_domain::Batch;

/// A lossless consumer of every event, in `seq` order.
///
/// The service hands each sink every batch exactly once, in order, from one task. A sink that
/// takes long applies back-pressure: the service stops taking output from the ports, so the
/// children block in `write`. Commands (stop, kill) are never queued behind a sink.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait LogSink: Send {
    /// Writes every event of `batch`. May buffer; [`flush`](Self::flush) makes it visible.
    async fn write(&mut self, batch: Arc<Batch>) -> Result<(), SinkError>;

    /// Called whenever no further batch is waiting, and once at the end: make what was
    /// written visible to its reader, so a live reader is never left behind a buffer, and
    /// report a failure met on what was written.
    ///
    /// Must be cancel-safe: when a batch arrives while it waits, the service drops the flush
    /// and calls it again at the next idle moment (never the last one, at the end).
    async fn flush(&mut self) -> Result<(), SinkError>;
}

/// Why a sink can take no more events. The service stops the run and drops the sink.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// Its reader went away (a closed stdout, `| head`).
    #[error("{sink}: the reader closed it")]
    Closed {
        /// Which sink, for the stop reason ("stdout").
        sink: String,
    },
    /// It cannot be written (a full disk, a removed file).
    #[error("{sink} cannot be written: {message}")]
    Failed {
        /// Which sink, for the stop reason ("the log file").
        sink: String,
        /// What went wrong.
        message: String,
    },
}

/// A sink failed and was dropped; what the session did about it.
///
/// A frontend that owns the sinks (the CLI) reads these to choose its exit code: the failure
/// decides it only when its stop was the one the session accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkFailureReport {
    /// What went wrong; it names the sink.
    pub error: SinkError,
    /// The answer to the stop the session asked for because of it.
    pub stop: crate::StopOutcome,
}
