//! The channel through which ports hand their output to the service: two lanes, one order.
//!
//! What a port *reads* (a child's pipes, the DevTools socket) goes through a bounded lane, so
//! a slow sink slows the children down. What a port *tells* (its own `session` lines and the
//! `step` facts) goes through an unbounded lane that the service takes from even while it
//! holds the bounded one back: otherwise a stop's "SIGTERM sent" would wait behind output the
//! sinks have not taken, and the service's own "kill now" line, written at once, would come
//! before it. Each told item carries how many read batches were sent before it, and the
//! service takes those first: the log stays in the order things happened, and a process's last
//! lines still come before the report of its end.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use session_domain::{LineBatch, StepRecord};
use tokio::sync::mpsc;

/// Where a port sends what it read ([`send`](Self::send)) and what it tells
/// ([`tell`](Self::tell), [`send_step`](Self::send_step)).
///
/// The read lane is bounded: when the service stops taking batches (because a sink is slow),
/// `send` waits, the port stops reading its pipes, and the children block in `write` exactly
/// as they would behind `| cat`. Telling never waits.
#[derive(Debug, Clone)]
pub struct OutputSender {
    read: mpsc::Sender<PortOutput>,
    told: mpsc::UnboundedSender<Told>,
    /// How many batches entered the read lane. Held while a batch enters either lane, so that
    /// a told item's count is exactly the read batches queued before it.
    read_sent: Arc<Mutex<u64>>,
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

/// A told item and the number of read batches sent before it.
#[derive(Debug)]
struct Told {
    after_read: u64,
    output: PortOutput,
}

fn lock(count: &Mutex<u64>) -> MutexGuard<'_, u64> {
    // The count is a plain number, updated in one statement: a panic elsewhere while the lock
    // was held cannot have left it half-written.
    count.lock().unwrap_or_else(PoisonError::into_inner)
}

impl OutputSender {
    /// Sends one batch of what the port read, waiting while the service is busy. Empty
    /// batches are dropped.
    pub async fn send(&self, batch: LineBatch) -> Result<(), OutputClosed> {
        if batch.is_empty() {
            return Ok(());
        }
        let permit = self.read.reserve().await.map_err(|_| OutputClosed)?;
        let mut sent = lock(&self.read_sent);
        permit.send(PortOutput::Lines(batch));
        *sent += 1;
        Ok(())
    }

    /// Tells the port's own lines (its `session` story): never waits, and reaches the service
    /// even while it takes no read output, after every batch sent before it.
    pub fn tell(&self, batch: LineBatch) -> Result<(), OutputClosed> {
        if batch.is_empty() {
            return Ok(());
        }
        self.tell_output(PortOutput::Lines(batch))
    }

    /// Tells one step fact, after every batch sent or told before it; never waits.
    pub fn send_step(&self, record: StepRecord) -> Result<(), OutputClosed> {
        self.tell_output(PortOutput::Step(record))
    }

    fn tell_output(&self, output: PortOutput) -> Result<(), OutputClosed> {
        let sent = lock(&self.read_sent);
        self.told
            .send(Told {
                after_read: *sent,
                output,
            })
            .map_err(|_| OutputClosed)
    }
}

/// The service's end of an output channel: both lanes, taken in the order things were sent.
#[derive(Debug)]
pub struct OutputReceiver {
    read: mpsc::Receiver<PortOutput>,
    told: mpsc::UnboundedReceiver<Told>,
    /// Read batches taken so far; compared with a told item's `after_read`.
    read_taken: u64,
    /// A told item taken from its lane whose earlier read batches are not all taken yet.
    pending: Option<Told>,
}

impl OutputReceiver {
    /// The next item, read or told, in the order they were sent; `None` once every sender is
    /// gone and everything was taken.
    pub async fn recv(&mut self) -> Option<PortOutput> {
        self.recv_next(true).await
    }

    /// The next item in the order it was sent, waiting for one. Without `read_too`, only a
    /// told item (and the read batches sent before it) is taken: what the service does while
    /// it holds read output back. Cancel-safe: an item taken from its lane is kept until it is
    /// returned.
    pub async fn recv_next(&mut self, read_too: bool) -> Option<PortOutput> {
        loop {
            if self.pending.is_some() {
                return self.take_pending();
            }
            tokio::select! {
                biased;
                Some(told) = self.told.recv() => self.pending = Some(told),
                Some(read) = self.read.recv(), if read_too => {
                    self.read_taken += 1;
                    return Some(read);
                }
                else => return None,
            }
        }
    }

    /// Whatever was told already (with the read batches sent before it), without waiting.
    pub fn try_recv_told(&mut self) -> Option<PortOutput> {
        if self.pending.is_none() {
            self.pending = Some(self.told.try_recv().ok()?);
        }
        self.take_pending()
    }

    /// Whatever was sent already, told or read, in order, without waiting.
    pub fn try_recv(&mut self) -> Option<PortOutput> {
        if let Some(output) = self.try_recv_told() {
            return Some(output);
        }
        let output = self.read.try_recv().ok()?;
        self.read_taken += 1;
        Some(output)
    }

    /// How many read batches wait in the bounded lane: when it equals the capacity, a port's
    /// next `send` waits.
    pub fn read_waiting(&self) -> usize {
        self.read.len()
    }

    fn take_pending(&mut self) -> Option<PortOutput> {
        let told = self.pending.take()?;
        if self.read_taken < told.after_read {
            // The read batches it waits for were in their lane before it was told.
            if let Ok(output) = self.read.try_recv() {
                self.read_taken += 1;
                self.pending = Some(told);
                return Some(output);
            }
            // Cannot happen (each was queued before its count grew); never hold the story up.
            tracing::error!("a told item's earlier output is missing; taking it as it is");
            self.read_taken = told.after_read;
        }
        Some(told.output)
    }
}

/// An output channel whose read lane holds at most `capacity` batches.
pub fn output_channel(capacity: usize) -> (OutputSender, OutputReceiver) {
    let (read, read_rx) = mpsc::channel(capacity.max(1));
    let (told, told_rx) = mpsc::unbounded_channel();
    let sender = OutputSender {
        read,
        told,
        read_sent: Arc::new(Mutex::new(0)),
    };
    let receiver = OutputReceiver {
        read: read_rx,
        told: told_rx,
        read_taken: 0,
        pending: None,
    };
    (sender, receiver)
}
