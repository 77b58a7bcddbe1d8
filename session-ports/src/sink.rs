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
    /// written visible to its reader, so a live reader is never left behind a buffer.
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
    #[error("{sink}: {message}")]
    Failed {
        /// Which sink, for the stop reason ("log file build/session.log").
        sink: String,
        /// What went wrong.
        message: String,
    },
}
