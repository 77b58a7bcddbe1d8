//! Formatting once with a log file: when stdout shows every event as JSON (`--format json`, no
//! filter), it shows the very bytes the log file wrote, which the log file's thread hands over
//! after each successful write, instead of formatting every event a second time.
//!
//! Why this shape keeps every guarantee of two independent sinks:
//! - stdout never shows what the log file has not written: a chunk is handed over only once it
//!   is written, so receiving it is the watermark;
//! - each failure stays its own: when stdout's reader is gone, handing over fails and the log
//!   file stops handing over, nothing more; when the log file fails (or ends), its feed closes
//!   and stdout formats what it was not handed itself, from the batches it still holds, and
//!   every later one (as it shows everything once the log file's watermark has ended);
//! - nothing is lost or reordered: the log file formats whole batches in order, so a chunk
//!   covers whole batches, and stdout keeps each batch it was given until a chunk covers it;
//! - neither waits on the other beyond what the watermark already made stdout wait: the feed
//!   is unbounded, and the service's back-pressure bounds it (the log file is given a batch
//!   only just before stdout is).

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};

use session_domain::{Batch, JsonWriter, Seq};

/// Bytes the log file wrote: every event after the previous chunk's, up to `last_seq`.
#[derive(Debug)]
struct WrittenChunk {
    bytes: Vec<u8>,
    last_seq: Seq,
}

/// The feed between the log file's thread and stdout's.
pub(crate) fn json_feed() -> (FeedSender, FedJson) {
    let (chunks, received) = channel();
    let (give_back, spare) = channel();
    let sender = FeedSender { chunks, spare };
    let fed = FedJson {
        feed: Some(FeedReceiver {
            chunks: received,
            give_back,
        }),
        waiting: VecDeque::new(),
        waiting_bytes: 0,
        shown: 0,
    };
    (sender, fed)
}

/// The log file's end of the feed.
#[derive(Debug)]
pub(crate) struct FeedSender {
    chunks: Sender<WrittenChunk>,
    /// Buffers stdout has written, to format into again.
    spare: Receiver<Vec<u8>>,
}

impl FeedSender {
    /// Hands over `written`, every event up to `last_seq`, just written; an empty buffer takes
    /// its place. `false` when stdout is gone (then nobody wants the next chunks either).
    pub(crate) fn hand_over(&self, written: &mut Vec<u8>, last_seq: Seq) -> bool {
        let empty = self.spare.try_recv().unwrap_or_default();
        let bytes = std::mem::replace(written, empty);
        self.chunks.send(WrittenChunk { bytes, last_seq }).is_ok()
    }
}

#[derive(Debug)]
struct FeedReceiver {
    chunks: Receiver<WrittenChunk>,
    give_back: Sender<Vec<u8>>,
}

/// Stdout's end of the feed: the batches it was given that no chunk has covered yet.
#[derive(Debug)]
pub(crate) struct FedJson {
    /// `None` once the log file has ended.
    feed: Option<FeedReceiver>,
    waiting: VecDeque<Arc<Batch>>,
    /// What the waiting batches are charged (`Batch::total_cost`), about their JSON's size.
    waiting_bytes: usize,
    /// The `seq` of the last event shown.
    shown: Seq,
}

impl FedJson {
    /// Keeps `batch` until a chunk covers it (the log file may have shown it already).
    pub(crate) fn keep(&mut self, batch: &Arc<Batch>) {
        if batch.last_seq() > self.shown {
            self.waiting_bytes += batch.total_cost();
            self.waiting.push_back(Arc::clone(batch));
        }
    }

    /// About how many bytes the waiting batches will show.
    pub(crate) fn pending(&self) -> usize {
        self.waiting_bytes
    }

    /// Shows every waiting batch: the log file's chunks through `show` as they come; once the
    /// log file has ended, what it never handed over is formatted with `json` into `leftovers`
    /// for the caller to write. Returns whether the log file still feeds (else the caller
    /// formats from now on). A failure of `show` is returned at once.
    pub(crate) fn show_waiting<E>(
        &mut self,
        mut show: impl FnMut(&[u8]) -> Result<(), E>,
        json: &mut JsonWriter,
        leftovers: &mut Vec<u8>,
    ) -> Result<bool, E> {
        while let Some(feed) = &self.feed {
            if self.waiting.is_empty() {
                return Ok(true);
            }
            match feed.chunks.recv() {
                Ok(WrittenChunk { bytes, last_seq }) => {
                    let shown = show(&bytes);
                    let _ = feed.give_back.send(bytes);
                    self.shown = last_seq;
                    self.forget_shown();
                    shown?;
                }
                // The log file's thread has ended, and every chunk it sent has been shown.
                Err(_) => self.feed = None,
            }
        }
        for batch in self.waiting.drain(..) {
            json.write_batch(&batch, leftovers);
            self.shown = batch.last_seq();
        }
        self.waiting_bytes = 0;
        Ok(false)
    }

    fn forget_shown(&mut self) {
        while let Some(batch) = self.waiting.front() {
            if batch.last_seq() > self.shown {
                break;
            }
            self.waiting_bytes -= batch.total_cost();
            self.waiting.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use session_domain::{EventLog, LineBatch, LogLimits, Severity, Timestamp};

    use super::*;

    fn batches(count: usize) -> Vec<Arc<Batch>> {
        let mut log = EventLog::new(LogLimits::default());
        (0..count)
            .filter_map(|index| {
                let mut lines = LineBatch::new();
                for line in 0..=index % 3 {
                    let text = format!("batch {index} line {line}");
                    lines.push_session(Timestamp::EPOCH, Severity::Info, &text);
                }
                log.append_lines(1, lines)
            })
            .collect()
    }

    fn json_of(batches: &[Arc<Batch>]) -> Vec<u8> {
        let mut json = JsonWriter::default();
        let mut out = Vec::new();
        for batch in batches {
            json.write_batch(batch, &mut out);
        }
        out
    }

    /// Stdout's side: keeps `given`, then shows what is waiting into `shown`.
    fn show(fed: &mut FedJson, given: &[Arc<Batch>], shown: &mut Vec<u8>) -> Result<bool, String> {
        for batch in given {
            fed.keep(batch);
        }
        let mut leftovers = Vec::new();
        let fed_still = fed.show_waiting(
            |bytes| {
                shown.extend_from_slice(bytes);
                Ok::<(), String>(())
            },
            &mut JsonWriter::default(),
            &mut leftovers,
        )?;
        shown.extend_from_slice(&leftovers);
        Ok(fed_still)
    }

    #[test]
    fn stdout_shows_the_log_files_chunks_as_they_are_even_ahead_of_its_own_batches() {
        let all = batches(9);
        let (sender, mut fed) = json_feed();
        let mut shown = Vec::new();
        // The log file wrote batches 0 to 4 in one chunk while stdout was given 0 to 2 only.
        let mut chunk = json_of(&all[..5]);
        assert!(sender.hand_over(&mut chunk, all[4].last_seq()));
        assert!(chunk.is_empty());
        assert_eq!(show(&mut fed, &all[..3], &mut shown), Ok(true));
        // Batches 3 and 4 arrive at stdout already shown; 5 to 8 come in two chunks.
        let mut chunk = json_of(&all[5..7]);
        assert!(sender.hand_over(&mut chunk, all[6].last_seq()));
        let mut chunk = json_of(&all[7..]);
        assert!(sender.hand_over(&mut chunk, all[8].last_seq()));
        assert_eq!(show(&mut fed, &all[3..], &mut shown), Ok(true));
        assert_eq!(
            String::from_utf8_lossy(&shown),
            String::from_utf8_lossy(&json_of(&all))
        );
        assert_eq!(fed.pending(), 0);
        // Nothing waits: nothing more is read from the feed.
        assert_eq!(show(&mut fed, &[], &mut shown), Ok(true));
    }

    #[test]
    fn once_the_log_file_ends_stdout_formats_what_it_was_not_handed() {
        let all = batches(6);
        let (sender, mut fed) = json_feed();
        let mut chunk = json_of(&all[..2]);
        assert!(sender.hand_over(&mut chunk, all[1].last_seq()));
        // The log file failed on batches 2 and 3 and handed nothing more over.
        drop(sender);
        let mut shown = Vec::new();
        assert_eq!(show(&mut fed, &all[..4], &mut shown), Ok(false));
        assert_eq!(
            String::from_utf8_lossy(&shown),
            String::from_utf8_lossy(&json_of(&all[..4]))
        );
        assert_eq!(fed.pending(), 0);
    }

    #[test]
    fn a_failure_to_show_is_returned_and_a_gone_stdout_stops_the_hand_over() {
        let all = batches(2);
        let (sender, mut fed) = json_feed();
        let mut chunk = json_of(&all);
        assert!(sender.hand_over(&mut chunk, all[1].last_seq()));
        fed.keep(&all[0]);
        let failed = fed.show_waiting(
            |_| Err("broken pipe"),
            &mut JsonWriter::default(),
            &mut Vec::new(),
        );
        assert_eq!(failed, Err("broken pipe"));
        drop(fed);
        let mut chunk = b"more".to_vec();
        assert!(!sender.hand_over(&mut chunk, 9));
    }
}
