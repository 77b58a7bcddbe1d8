//! Reading one pipe to end of file, in batches, through the domain's line framer.

use std::cell::Cell;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use session_domain::{LineBatch, ReadFramer, ReadOrigin, Severity, Source, Stream, counted};
use session_ports::{Clock, OutputClosed, OutputSender};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::linger::Linger;

/// What one read takes at most, and so the most text one batch holds.
const READ_SIZE: usize = 128 * 1024;

/// How long a reader waits, when [`Linger`] says so, for a writer that writes a line at a time
/// to fill the pipe. Without it, every few lines wake the reader, then the sink, each wake-up
/// costing more than the lines it brings: a writer of one line per `write` ran 1.05-1.2 times
/// slower than into `cat`; with it, about 0.9 times (BENCHMARKS.md). A lone line is not delayed
/// (its batch is sent before the wait), only the next read comes up to this much later; the
/// pipe (`PIPE_CAPACITY`) holds what even a fast writer writes meanwhile.
///
/// The wait blocks the thread on purpose: a task waiting on a timer would leave the thread in
/// `epoll_wait`, which every `write` into the pipe wakes. A reader on a thread of its own costs
/// a fast writer's path one more thread switch per batch (8% more CPU, measured), so the
/// readers share the session's thread. The readers of one thread wait in turn, never one
/// right after another ([`wait_unless_another_just_did`]), so the thread is held up for this
/// long at a time however many processes write: the session's runtime is its own (`play`'s,
/// the session thread of `serve` and of the DAP bridge's embedded session), never one that
/// serves requests.
const LINGER: Duration = Duration::from_micros(500);

/// Linux's pipe capacity when it cannot be asked or set.
pub(crate) const DEFAULT_PIPE_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// The reader (by [`ReaderId`]) that last waited on this thread, and when its wait ended.
    static LAST_WAIT: Cell<Option<(ReaderId, Instant)>> = const { Cell::new(None) };
}

/// Tells one pipe reader from another, for [`LAST_WAIT`].
type ReaderId = u64;

static NEXT_READER: AtomicU64 = AtomicU64::new(0);

/// Waits [`LINGER`], blocking the thread, unless another reader's wait on this thread ended
/// less than [`LINGER`] ago: this reader's pipe has filled meanwhile all the same, and waits
/// back to back would hold the thread up once per reader.
fn wait_unless_another_just_did(reader: ReaderId) {
    if another_just_waited(LAST_WAIT.get(), reader, Instant::now()) {
        return;
    }
    std::thread::sleep(LINGER);
    LAST_WAIT.set(Some((reader, Instant::now())));
}

/// Whether `last`, the last wait on this thread, is another reader's that ended less than
/// [`LINGER`] before `now`.
fn another_just_waited(last: Option<(ReaderId, Instant)>, reader: ReaderId, now: Instant) -> bool {
    last.is_some_and(|(waiter, ended)| {
        waiter != reader && now.saturating_duration_since(ended) < LINGER
    })
}

/// The capacity asked for a child's stdout and stderr pipes. With Linux's default, 64 KiB, a
/// fast writer such as `cat` (128 KiB per `write`) blocks on every write until we read, and
/// we read in smaller pieces: every block, wake-up and read costs both sides a switch, which
/// under a virtual machine costs more than framing the lines. With room for two of its writes
/// and reads of one, the switches halve (BENCHMARKS.md), for at most 192 KiB more per pipe
/// while it is full and about 1.5 MiB more peak memory.
pub(crate) const PIPE_CAPACITY: usize = 256 * 1024;

/// Where a pipe's lines go and how they are labelled.
#[derive(Debug, Clone)]
pub(crate) struct PipeTarget {
    pub(crate) label: String,
    pub(crate) source: Source,
    pub(crate) stream: Stream,
    /// What the pipe holds at most, as the system gave it.
    pub(crate) pipe_capacity: usize,
    pub(crate) max_line: NonZeroUsize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) output: OutputSender,
    /// Shared by one process's readers: whether they are waiting on the output.
    pub(crate) delivery: Arc<Delivery>,
    /// Becomes `true` when the supervisor gives up on pipes held open outside the group.
    pub(crate) abandon: tokio::sync::watch::Receiver<bool>,
}

/// How a process's readers are doing with the output: a reader waiting on a blocked sink is
/// not a pipe held open, and must not be abandoned as one.
#[derive(Debug, Default)]
pub(crate) struct Delivery {
    waiting: AtomicUsize,
}

impl Delivery {
    async fn send(&self, output: &OutputSender, batch: LineBatch) -> Result<(), OutputClosed> {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let sent = output.send(batch).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        sent
    }

    /// `true` while a reader waits on the output.
    pub(crate) fn is_waiting(&self) -> bool {
        self.waiting.load(Ordering::SeqCst) > 0
    }
}

/// Reads `pipe` until end of file. Every read becomes one batch, stamped with the time it was
/// read; a read error ends the stream like end of file (what was framed is still delivered).
/// After short reads it may wait [`LINGER`] ([`Linger`]), blocking the runtime's thread.
pub(crate) async fn read_to_end(mut pipe: impl AsyncRead + Unpin, target: PipeTarget) {
    let origin = ReadOrigin {
        source: target.source,
        stream: target.stream,
    };
    let mut framer = ReadFramer::new(origin, target.max_line);
    // Once the session stops listening, keep draining so the child never blocks on us.
    let mut listening = true;
    let mut linger = Linger::new(target.pipe_capacity);
    let reader = NEXT_READER.fetch_add(1, Ordering::Relaxed);
    let mut abandon = target.abandon.clone();
    loop {
        // Read into the framer's buffer, never zeroed: a step that prints nothing never
        // touches it.
        let buffer = framer.read_buffer(READ_SIZE);
        let room = buffer.capacity() - buffer.len();
        // Reading is abandoned only between reads: what was read is always delivered.
        let read = tokio::select! {
            biased;
            _ = abandon.wait_for(|abandoned| *abandoned) => break,
            read = pipe.read_buf(buffer) => read,
        };
        let read = match read {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                tracing::warn!(label = %target.label, stream = target.stream.as_str(), %error, "reading a pipe failed; treating it as closed");
                break;
            }
        };
        if !listening {
            framer.discard_read();
            continue;
        }
        let batch = framer.frame_read(target.clock.now());
        listening = target.delivery.send(&target.output, batch).await.is_ok();
        if linger.after_read(read, room) {
            // The batch just sent goes on to the sinks first, then this thread waits.
            tokio::task::yield_now().await;
            wait_unless_another_just_did(reader);
        }
    }
    let at = target.clock.now();
    let mut batch = framer.finish(at);
    let truncated = framer.truncated_lines();
    if truncated > 0 {
        let lines = if truncated == 1 {
            "line was"
        } else {
            "lines were"
        };
        let message = format!(
            "{}: {truncated} {lines} longer than {} on {} and cut",
            target.label,
            counted(target.max_line.get() as u64, "byte", "bytes"),
            target.stream.as_str()
        );
        batch.push_session(at, Severity::Warn, &message);
    }
    if listening {
        let _ = target.delivery.send(&target.output, batch).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reader_skips_its_wait_only_right_after_another_readers_wait() {
        let ended = Instant::now();
        let soon = ended + LINGER / 2;
        let later = ended + LINGER;
        assert!(!another_just_waited(None, 1, soon), "nobody waited yet");
        assert!(another_just_waited(Some((2, ended)), 1, soon));
        assert!(
            !another_just_waited(Some((1, ended)), 1, soon),
            "its own wait"
        );
        assert!(
            !another_just_waited(Some((2, ended)), 1, later),
            "long enough ago"
        );
    }
}
