//! The bounded event log: numbers every event and holds a window of the newest for replay.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::{Batch, EventRef, LineBatch, RunNumber, Seq, StateChange};

/// How much the log holds for late subscribers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogLimits {
    /// At most this many events (`[log] buffer_events`).
    pub max_events: NonZeroUsize,
    /// At most this many bytes, counting 64 per event plus its text (`[log] buffer_bytes`).
    pub max_bytes: NonZeroUsize,
}

impl Default for LogLimits {
    fn default() -> Self {
        Self {
            max_events: NonZeroUsize::new(100_000).unwrap_or(NonZeroUsize::MIN),
            max_bytes: NonZeroUsize::new(16 * 1024 * 1024).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// Assigns `seq` to every event and holds the newest ones within [`LogLimits`].
#[derive(Debug)]
pub struct EventLog {
    limits: LogLimits,
    batches: VecDeque<Arc<Batch>>,
    /// Index, within the front batch, of the oldest event still held.
    front_offset: usize,
    next_seq: Seq,
    held_events: usize,
    held_bytes: usize,
    evicted_total: u64,
}

/// The answer to [`EventLog::read_after`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadAfter {
    /// Events that came after the requested `seq` but are no longer held.
    pub missed: u64,
    /// Held events after the requested `seq`, oldest first.
    pub events: Vec<EventRef>,
}

impl EventLog {
    /// An empty log; the first event will have `seq` 1.
    pub fn new(limits: LogLimits) -> Self {
        Self {
            limits,
            batches: VecDeque::new(),
            front_offset: 0,
            next_seq: 1,
            held_events: 0,
            held_bytes: 0,
            evicted_total: 0,
        }
    }

    /// The limits it was made with.
    pub fn limits(&self) -> LogLimits {
        self.limits
    }

    /// Numbers the lines and holds them; `None` for an empty batch, which is not stored.
    pub fn append_lines(&mut self, run: RunNumber, lines: LineBatch) -> Option<Arc<Batch>> {
        if lines.is_empty() {
            return None;
        }
        Some(self.push(Batch::lines(self.next_seq, run, lines)))
    }

    /// Numbers the state change and holds it.
    pub fn append_state(&mut self, run: RunNumber, change: StateChange) -> Arc<Batch> {
        self.push(Batch::state(self.next_seq, run, change))
    }

    fn push(&mut self, batch: Batch) -> Arc<Batch> {
        let batch = Arc::new(batch);
        self.next_seq += batch.len() as Seq;
        self.held_events += batch.len();
        self.held_bytes += batch.total_cost();
        self.batches.push_back(Arc::clone(&batch));
        self.evict();
        batch
    }

    fn evict(&mut self) {
        while self.held_events > self.limits.max_events.get()
            || self.held_bytes > self.limits.max_bytes.get()
        {
            let Some(front) = self.batches.front() else {
                break;
            };
            let remaining = front.len() - self.front_offset;
            let over_events = self
                .held_events
                .saturating_sub(self.limits.max_events.get());
            // Dropping a whole batch is the common case and costs O(1).
            if over_events >= remaining
                || self.front_offset == 0 && self.whole_front_fits_excess(front)
            {
                let cost: usize = (self.front_offset..front.len())
                    .map(|i| front.cost_of(i))
                    .sum();
                self.held_bytes -= cost;
                self.held_events -= remaining;
                self.evicted_total += remaining as u64;
                self.batches.pop_front();
                self.front_offset = 0;
            } else {
                self.held_bytes -= front.cost_of(self.front_offset);
                self.held_events -= 1;
                self.evicted_total += 1;
                self.front_offset += 1;
                if self.front_offset == front.len() {
                    self.batches.pop_front();
                    self.front_offset = 0;
                }
            }
        }
    }

    /// `true` when the bytes over the limit are at least the whole front batch.
    fn whole_front_fits_excess(&self, front: &Batch) -> bool {
        self.held_bytes.saturating_sub(self.limits.max_bytes.get()) >= front.total_cost()
    }

    /// The `seq` of the newest event, 0 before the first.
    pub fn last_seq(&self) -> Seq {
        self.next_seq - 1
    }

    /// The `seq` of the oldest event held; `last_seq() + 1` when none is held.
    pub fn oldest_held_seq(&self) -> Seq {
        self.batches.front().map_or(self.next_seq, |front| {
            front.first_seq() + self.front_offset as Seq
        })
    }

    /// How many events are held.
    pub fn held_events(&self) -> usize {
        self.held_events
    }

    /// What the held events cost against `max_bytes`.
    pub fn held_bytes(&self) -> usize {
        self.held_bytes
    }

    /// How many events were evicted since the log was made.
    pub fn evicted_total(&self) -> u64 {
        self.evicted_total
    }

    /// Up to `max` held events after `after`, and how many after it are no longer held.
    ///
    /// `after == 0` means "from the oldest held" and never reports a miss; an `after` at or
    /// beyond [`last_seq`](Self::last_seq) returns nothing.
    pub fn read_after(&self, after: Seq, max: usize) -> ReadAfter {
        let oldest = self.oldest_held_seq();
        let (missed, start) = if after == 0 {
            (0, oldest)
        } else if after + 1 < oldest {
            (oldest - after - 1, oldest)
        } else {
            (0, after + 1)
        };
        let mut events = Vec::new();
        if start > self.last_seq() || max == 0 {
            return ReadAfter { missed, events };
        }
        let first_batch = self
            .batches
            .partition_point(|batch| batch.last_seq() < start);
        'batches: for batch in self.batches.range(first_batch..) {
            let from =
                usize::try_from(start.saturating_sub(batch.first_seq())).unwrap_or(usize::MAX);
            for index in from..batch.len() {
                if events.len() == max {
                    break 'batches;
                }
                if let Some(event) = EventRef::new(Arc::clone(batch), index) {
                    events.push(event);
                }
            }
        }
        ReadAfter { missed, events }
    }
}
