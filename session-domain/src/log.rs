//! The bounded event log: numbers every event and holds a window of the newest for replay.

use std::collections::VecDeque;
use std::num::NonZeroUsize;
use std::sync::Arc;

use crate::{
    Batch, EVENT_OVERHEAD_BYTES, EventRef, LineBatch, RunNumber, Seq, StateChange, StepRecord,
};

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

    /// Numbers the step fact and holds it.
    pub fn append_step(&mut self, run: RunNumber, record: StepRecord) -> Arc<Batch> {
        self.push(Batch::step(self.next_seq, run, record))
    }

    /// Numbers and stores one state change.
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
            let over_events = self
                .held_events
                .saturating_sub(self.limits.max_events.get());
            let over_bytes = self.held_bytes.saturating_sub(self.limits.max_bytes.get());
            let (dropped, freed) =
                events_to_drop(front, self.front_offset, over_events, over_bytes);
            self.held_bytes -= freed;
            self.held_events -= dropped;
            self.evicted_total += dropped as u64;
            self.front_offset += dropped;
            if self.front_offset == front.len() {
                self.batches.pop_front();
                self.front_offset = 0;
            }
        }
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
        // `saturating_add`: any `after` is valid, `Seq::MAX` included ("live events only").
        let next = after.saturating_add(1);
        let (missed, start) = if after == 0 {
            (0, oldest)
        } else if next < oldest {
            (oldest - next, oldest)
        } else {
            (0, next)
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

/// How many events to drop from `front`, whose first `offset` are gone already, to free at
/// least `over_events` events and `over_bytes` bytes (or as many as it has), and the bytes
/// that frees.
fn events_to_drop(
    front: &Batch,
    offset: usize,
    over_events: usize,
    over_bytes: usize,
) -> (usize, usize) {
    let remaining = front.len() - offset;
    let rest = front.cost_of_range(offset..front.len());
    // Dropping the whole rest is the common case and costs O(1): when it is asked for, or when
    // keeping even its last event (which costs at least its record) would not free enough.
    if over_events >= remaining || over_bytes.saturating_add(EVENT_OVERHEAD_BYTES) > rest {
        return (remaining, rest);
    }
    let mut freed = 0;
    let mut dropped = 0;
    while dropped < over_events || freed < over_bytes {
        freed += front.cost_of(offset + dropped);
        dropped += 1;
    }
    (dropped, freed)
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use crate::{
        BATCH_OVERHEAD_BYTES, EVENT_OVERHEAD_BYTES, EventView, LineMeta, SessionState, Severity,
        Source, Stream, Timestamp,
    };

    fn limits(max_events: usize, max_bytes: usize) -> LogLimits {
        LogLimits {
            max_events: NonZeroUsize::new(max_events).expect("a test limit is not zero"),
            max_bytes: NonZeroUsize::new(max_bytes).expect("a test limit is not zero"),
        }
    }

    fn unbounded() -> LogLimits {
        limits(usize::MAX, usize::MAX)
    }

    fn lines(messages: &[&str]) -> LineBatch {
        let mut batch = LineBatch::new();
        for message in messages {
            batch.push(
                LineMeta {
                    at: Timestamp::EPOCH,
                    source: Source::Runtime,
                    severity: Severity::Info,
                    stream: Some(Stream::Stdout),
                    truncated: false,
                },
                message,
            );
        }
        batch
    }

    /// `count` lines of `len` bytes each.
    fn sized_lines(count: usize, len: usize) -> LineBatch {
        let message = "x".repeat(len);
        lines(&vec![message.as_str(); count])
    }

    fn change(reason: Option<&str>) -> StateChange {
        StateChange {
            at: Timestamp::EPOCH,
            from: SessionState::Running,
            to: SessionState::Stopping,
            reason: reason.map(str::to_owned),
            failure: None,
        }
    }

    fn seqs(read: &ReadAfter) -> Vec<Seq> {
        read.events.iter().map(EventRef::seq).collect()
    }

    fn held_seqs(log: &EventLog) -> Vec<Seq> {
        seqs(&log.read_after(0, usize::MAX))
    }

    const E: usize = EVENT_OVERHEAD_BYTES;
    const B: usize = BATCH_OVERHEAD_BYTES;

    /// What events of these message lengths cost, the first of their batch among them or not.
    fn cost(message_lens: &[usize]) -> usize {
        message_lens.iter().map(|len| E + len).sum()
    }

    #[test]
    fn seq_is_gapless_from_one_across_batches_and_state_changes() {
        let mut log = EventLog::new(unbounded());
        assert_eq!(log.last_seq(), 0);
        assert_eq!(log.oldest_held_seq(), 1);

        let first = log
            .append_lines(1, lines(&["a", "b", "c"]))
            .expect("a batch with lines is stored");
        assert_eq!((first.first_seq(), first.last_seq()), (1, 3));
        let state = log.append_state(1, change(Some("stop")));
        assert_eq!((state.first_seq(), state.last_seq()), (4, 4));
        assert_eq!(log.append_lines(1, LineBatch::new()), None);
        let second = log
            .append_lines(2, lines(&["d", "e"]))
            .expect("a batch with lines is stored");
        assert_eq!((second.first_seq(), second.last_seq()), (5, 6));
        assert_eq!(second.run(), 2);

        assert_eq!(log.last_seq(), 6);
        assert_eq!(log.oldest_held_seq(), 1);
        assert_eq!(log.held_events(), 6);
        assert_eq!(held_seqs(&log), [1, 2, 3, 4, 5, 6]);
        let kinds: Vec<bool> = log
            .read_after(0, usize::MAX)
            .events
            .iter()
            .map(|event| matches!(event.view(), EventView::State(_)))
            .collect();
        assert_eq!(kinds, [false, false, false, true, false, false]);
        let messages: Vec<String> = log
            .read_after(0, usize::MAX)
            .events
            .iter()
            .filter_map(|event| match event.view() {
                EventView::Log(line) => Some(line.message.to_owned()),
                EventView::State(_) | EventView::Step(_) => None,
            })
            .collect();
        assert_eq!(messages, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn evicts_the_oldest_events_by_count_even_inside_a_batch() {
        let mut log = EventLog::new(limits(5, usize::MAX));
        log.append_lines(1, lines(&["1", "2", "3"]));
        log.append_lines(1, lines(&["4", "5", "6", "7"]));
        // Two of the first batch's three events go; the batch stays for its third.
        assert_eq!(held_seqs(&log), [3, 4, 5, 6, 7]);
        assert_eq!(log.oldest_held_seq(), 3);
        assert_eq!(log.evicted_total(), 2);
        assert_eq!(log.held_events(), 5);
        // The first batch's overhead went with its first event.
        assert_eq!(log.held_bytes(), B + cost(&[1; 5]));

        log.append_state(1, change(None));
        assert_eq!(held_seqs(&log), [4, 5, 6, 7, 8]);
        assert_eq!(log.evicted_total(), 3);
        assert_eq!(log.held_bytes(), B + cost(&[1; 4]) + B + E);

        // A batch bigger than the whole window keeps only its newest events.
        log.append_lines(1, lines(&["9", "10", "11", "12", "13", "14", "15"]));
        assert_eq!(held_seqs(&log), [11, 12, 13, 14, 15]);
        assert_eq!(log.evicted_total(), 10);
        assert_eq!(log.held_bytes(), cost(&[2; 5]));
        assert_eq!(log.last_seq(), 15);
    }

    #[test]
    fn evicts_by_bytes_counting_each_record_its_text_and_each_batch() {
        // Room for two batches and three 10-byte lines.
        let mut log = EventLog::new(limits(usize::MAX, 2 * B + cost(&[10; 3])));
        log.append_lines(1, sized_lines(2, 10));
        assert_eq!(log.held_bytes(), B + cost(&[10; 2]));
        log.append_lines(1, sized_lines(2, 10));
        // Partial eviction: one event of the first batch goes (with its batch's overhead),
        // its second stays.
        assert_eq!(held_seqs(&log), [2, 3, 4]);
        assert_eq!(log.held_bytes(), B + cost(&[10; 3]));
        assert_eq!(log.evicted_total(), 1);

        // A state event costs a batch, a record and its reason: it evicts one more line.
        log.append_state(1, change(Some("0123456789")));
        assert_eq!(held_seqs(&log), [3, 4, 5]);
        assert_eq!(log.held_bytes(), 2 * B + cost(&[10; 3]));
        assert_eq!(log.evicted_total(), 2);
    }

    #[test]
    fn a_big_line_evicts_as_few_old_events_as_needed() {
        let mut log = EventLog::new(limits(usize::MAX, 2 * B + cost(&[10; 4])));
        log.append_lines(1, sized_lines(2, 10));
        log.append_lines(1, sized_lines(2, 10));
        assert_eq!(log.held_bytes(), 2 * B + cost(&[10; 4]));
        // B + E + 36 more: the first event (B + E + 10) is not enough, the second makes it.
        log.append_lines(1, sized_lines(1, 36));
        assert_eq!(held_seqs(&log), [3, 4, 5]);
        assert_eq!(log.held_bytes(), 2 * B + cost(&[10, 10, 36]));
        assert_eq!(log.evicted_total(), 2);

        // Over by a whole batch or more: the front batch goes at once, then one more event.
        log.append_lines(1, sized_lines(1, 200 + E));
        assert_eq!(held_seqs(&log), [6]);
        assert_eq!(log.held_bytes(), B + cost(&[200 + E]));
        assert_eq!(log.evicted_total(), 5);
    }

    #[test]
    fn evicts_exactly_what_dropping_the_oldest_event_one_at_a_time_would() {
        // The oracle: every held event's cost, oldest first, dropped one by one while over.
        for max_events in [1, 2, 3, 7, 50] {
            for max_bytes in [1, E, B + E + 10, 3 * B + cost(&[10; 5]), 10_000] {
                let mut log = EventLog::new(limits(max_events, max_bytes));
                let mut model: VecDeque<usize> = VecDeque::new();
                let mut evicted = 0;
                for (round, count) in [1, 5, 2, 9, 1, 3, 12, 4].into_iter().enumerate() {
                    let batch = sized_lines(count, round * 7 % 40);
                    let sealed = log.append_lines(1, batch).expect("a batch with lines");
                    model.extend((0..count).map(|index| sealed.cost_of(index)));
                    while model.len() > max_events || model.iter().sum::<usize>() > max_bytes {
                        model.pop_front();
                        evicted += 1;
                    }
                    let case = format!("{max_events} events, {max_bytes} bytes, round {round}");
                    assert_eq!(log.held_events(), model.len(), "{case}");
                    assert_eq!(log.held_bytes(), model.iter().sum::<usize>(), "{case}");
                    assert_eq!(log.evicted_total(), evicted, "{case}");
                    assert_eq!(log.evicted_total(), log.oldest_held_seq() - 1, "{case}");
                }
            }
        }
    }

    #[test]
    fn a_single_batch_larger_than_the_byte_budget_keeps_its_newest_events() {
        let mut log = EventLog::new(limits(usize::MAX, cost(&[10; 2])));
        log.append_lines(1, sized_lines(5, 10));
        // The batch's overhead goes with its first event; two more lines fit.
        assert_eq!(held_seqs(&log), [4, 5]);
        assert_eq!(log.held_bytes(), cost(&[10; 2]));
        assert_eq!(log.evicted_total(), 3);
        assert_eq!(log.oldest_held_seq(), 4);
        assert_eq!(log.last_seq(), 5);
    }

    #[test]
    fn an_event_larger_than_the_budget_is_counted_then_evicted() {
        let mut log = EventLog::new(limits(usize::MAX, B + cost(&[40])));
        log.append_lines(1, sized_lines(1, 50));
        assert_eq!(log.held_events(), 0);
        assert_eq!(log.held_bytes(), 0);
        assert_eq!(log.evicted_total(), 1);
        assert_eq!(log.last_seq(), 1);
        assert_eq!(log.oldest_held_seq(), 2);
        assert_eq!(log.read_after(0, usize::MAX), ReadAfter::default());
        assert_eq!(
            log.read_after(1, usize::MAX),
            ReadAfter::default(),
            "after == last_seq is live only"
        );

        log.append_lines(1, sized_lines(1, 10));
        assert_eq!(held_seqs(&log), [2]);
        assert_eq!(log.oldest_held_seq(), 2);
        let read = log.read_after(0, usize::MAX);
        assert_eq!((read.missed, seqs(&read)), (0, vec![2]));
    }

    #[test]
    fn both_bounds_hold_after_every_append() {
        let mut log = EventLog::new(limits(7, 700));
        let mut appended = 0_u64;
        for round in 0..50_usize {
            if round % 5 == 4 {
                log.append_state(1, change(Some(&"r".repeat(round))));
                appended += 1;
            } else {
                let count = round % 4 + 1;
                log.append_lines(1, sized_lines(count, round * 3 % 40));
                appended += count as u64;
            }
            assert!(log.held_events() <= 7);
            assert!(log.held_bytes() <= 700);
            let held = held_seqs(&log);
            assert_eq!(held.len(), log.held_events());
            assert_eq!(log.evicted_total() + held.len() as u64, appended);
            assert_eq!(log.last_seq(), appended);
            let expected: Vec<Seq> = (log.oldest_held_seq()..=log.last_seq()).collect();
            assert_eq!(held, expected);
            let bytes: usize = log
                .read_after(0, usize::MAX)
                .events
                .iter()
                .map(|event| {
                    let index = usize::try_from(event.seq() - event.batch().first_seq())
                        .expect("an index fits");
                    event.batch().cost_of(index)
                })
                .sum();
            assert_eq!(bytes, log.held_bytes());
        }
    }

    /// Ten events (batches of 3, 1 state, 4, 2) in a window of five: 6..=10 are held.
    fn windowed_log() -> EventLog {
        let mut log = EventLog::new(limits(5, usize::MAX));
        log.append_lines(1, lines(&["1", "2", "3"]));
        log.append_state(1, change(None));
        log.append_lines(1, lines(&["5", "6", "7", "8"]));
        log.append_lines(1, lines(&["9", "10"]));
        log
    }

    #[rstest]
    #[case::from_oldest(0, usize::MAX, 0, &[6, 7, 8, 9, 10])]
    #[case::far_before_the_window(1, usize::MAX, 4, &[6, 7, 8, 9, 10])]
    #[case::just_before_the_window(4, usize::MAX, 1, &[6, 7, 8, 9, 10])]
    #[case::right_before_the_oldest(5, usize::MAX, 0, &[6, 7, 8, 9, 10])]
    #[case::at_the_oldest(6, usize::MAX, 0, &[7, 8, 9, 10])]
    #[case::inside_a_batch(7, usize::MAX, 0, &[8, 9, 10])]
    #[case::at_a_batch_end(8, usize::MAX, 0, &[9, 10])]
    #[case::one_before_the_last(9, usize::MAX, 0, &[10])]
    #[case::at_the_last(10, usize::MAX, 0, &[])]
    #[case::after_the_last(11, usize::MAX, 0, &[])]
    #[case::far_after_the_last(Seq::MAX, usize::MAX, 0, &[])]
    #[case::from_oldest_chunked(0, 2, 0, &[6, 7])]
    #[case::missed_and_chunked(1, 2, 4, &[6, 7])]
    #[case::chunk_across_batches(7, 2, 0, &[8, 9])]
    #[case::chunk_bigger_than_what_is_left(8, 3, 0, &[9, 10])]
    #[case::max_zero_inside(7, 0, 0, &[])]
    #[case::max_zero_still_reports_a_miss(3, 0, 2, &[])]
    fn read_after(
        #[case] after: Seq,
        #[case] max: usize,
        #[case] missed: u64,
        #[case] expected: &[Seq],
    ) {
        let log = windowed_log();
        assert_eq!((log.oldest_held_seq(), log.last_seq()), (6, 10));
        let read = log.read_after(after, max);
        assert_eq!(read.missed, missed, "missed after {after}");
        assert_eq!(seqs(&read), expected, "events after {after}");
        for event in &read.events {
            if let EventView::Log(line) = event.view() {
                assert_eq!(line.message, event.seq().to_string());
            }
        }
    }

    #[test]
    fn reading_in_chunks_sees_every_held_event_once() {
        let log = windowed_log();
        for max in 1..=6 {
            let mut after = 1;
            let mut seen = Vec::new();
            let mut missed = 0;
            loop {
                let read = log.read_after(after, max);
                missed += read.missed;
                let Some(last) = read.events.last() else {
                    break;
                };
                assert!(read.events.len() <= max);
                after = last.seq();
                seen.extend(seqs(&read));
            }
            assert_eq!(missed, 4, "chunks of {max}");
            assert_eq!(seen, [6, 7, 8, 9, 10], "chunks of {max}");
        }
    }

    #[test]
    fn an_empty_log_reads_nothing_and_misses_nothing() {
        let log = EventLog::new(LogLimits::default());
        for after in [0, 1, 5, Seq::MAX] {
            assert_eq!(log.read_after(after, 10), ReadAfter::default());
        }
        assert_eq!(log.evicted_total(), 0);
    }

    #[test]
    fn default_limits_are_the_configured_defaults() {
        let defaults = LogLimits::default();
        assert_eq!(defaults.max_events.get(), 100_000);
        assert_eq!(defaults.max_bytes.get(), 16 * 1024 * 1024);
        assert_eq!(EventLog::new(defaults).limits(), defaults);
    }
}
