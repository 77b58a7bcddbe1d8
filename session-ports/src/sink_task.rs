//! The task that feeds the sinks, one batch at a time, in order.

use std::sync::Arc;

use session_domain::Batch;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::{LogSink, SinkError};

/// A sink that failed and was dropped; the owner stops the run.
#[derive(Debug)]
pub(crate) struct SinkFailure {
    /// What went wrong; it names the sink.
    pub(crate) error: SinkError,
}

pub(crate) fn spawn_sink_task(
    mut sinks: Vec<Box<dyn LogSink>>,
    capacity: usize,
) -> (
    mpsc::Sender<Arc<Batch>>,
    JoinHandle<()>,
    mpsc::UnboundedReceiver<SinkFailure>,
) {
    let (batches_tx, mut batches) = mpsc::channel::<Arc<Batch>>(capacity.max(1));
    let (failures_tx, failures) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        loop {
            let batch = match batches.try_recv() {
                Ok(batch) => batch,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    // Nothing more is waiting: make what was written visible before sleeping.
                    // A batch that arrives first wins; the flush comes again at the next idle
                    // moment (flushes are cancel-safe), so a busy run is never held up by one.
                    let next = tokio::select! {
                        biased;
                        next = batches.recv() => next,
                        () = flush_all(&mut sinks, &failures_tx) => batches.recv().await,
                    };
                    match next {
                        Some(batch) => batch,
                        None => break,
                    }
                }
            };
            let mut index = 0;
            while index < sinks.len() {
                match sinks[index].write(Arc::clone(&batch)).await {
                    Ok(()) => index += 1,
                    Err(error) => report(&mut sinks, index, error, &failures_tx),
                }
            }
        }
        flush_all(&mut sinks, &failures_tx).await;
    });
    (batches_tx, task, failures)
}

async fn flush_all(
    sinks: &mut Vec<Box<dyn LogSink>>,
    failures: &mpsc::UnboundedSender<SinkFailure>,
) {
    let mut index = 0;
    while index < sinks.len() {
        match sinks[index].flush().await {
            Ok(()) => index += 1,
            Err(error) => report(sinks, index, error, failures),
        }
    }
}

fn report(
    sinks: &mut Vec<Box<dyn LogSink>>,
    index: usize,
    error: SinkError,
    failures: &mpsc::UnboundedSender<SinkFailure>,
) {
    sinks.remove(index);
    let _ = failures.send(SinkFailure { error });
}
