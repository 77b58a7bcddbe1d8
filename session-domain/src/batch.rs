//! Batches: the unit in which events travel from a read to every consumer.
//!
//! A port frames everything one read produced into a [`LineBatch`] (one `String` for all the
//! messages, one small record per line). The [`EventLog`](crate::EventLog) seals it into a
//! [`Batch`] by giving it its first `seq` and run, and from then on it is shared behind an
//! `Arc`: sinks, the buffer and subscribers all hold [`EventRef`]s into it, so a line costs no
//! allocation of its own between the pipe and every consumer.

use std::ops::Range;
use std::sync::Arc;

use crate::{
    EventView, Failure, FramedLine, LogView, RunNumber, Seq, SessionState, Severity, Source,
    StateView, StepRecord, StepView, Stream, Timestamp, severity_of,
};

/// What holding one event costs on top of its text (docs/events.md): its record in its batch.
pub const EVENT_OVERHEAD_BYTES: usize = std::mem::size_of::<LineRecord>();

/// What holding one batch costs on top of its events: the shared allocation with its counts,
/// the allocator's headers of the batch and its two buffers, and the buffer's slot for it.
pub const BATCH_OVERHEAD_BYTES: usize = std::mem::size_of::<Batch>() + 16 + 3 * 16 + 16;

/// What `buffer_bytes` must hold beyond `max_line` for the longest line to be kept: a round
/// figure for the configuration, at least that line's record and its batch.
pub const LONGEST_LINE_MARGIN_BYTES: usize = 256;
const _: () = assert!(LONGEST_LINE_MARGIN_BYTES >= BATCH_OVERHEAD_BYTES + EVENT_OVERHEAD_BYTES);

/// Lines that one read produced, not yet numbered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineBatch {
    text: String,
    lines: Vec<LineRecord>,
    /// The length of all its messages together (its text may hold more, between them), kept
    /// as lines come so that what a whole batch costs is known without going through them.
    message_bytes: usize,
}

/// Everything about one line but its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineMeta {
    /// When its bytes were read.
    pub at: Timestamp,
    /// Where it comes from.
    pub source: Source,
    /// How severe it is.
    pub severity: Severity,
    /// The pipe or socket it was read from; `None` for session messages.
    pub stream: Option<Stream>,
    /// It was cut at `max_line`.
    pub truncated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LineRecord {
    pub(crate) meta: LineMeta,
    pub(crate) text: Range<usize>,
}

impl LineBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty batch with room for `text_bytes` of messages and `lines` lines.
    pub fn with_capacity(text_bytes: usize, lines: usize) -> Self {
        Self {
            text: String::with_capacity(text_bytes),
            lines: Vec::with_capacity(lines),
            message_bytes: 0,
        }
    }

    /// A batch holding one session message.
    pub fn session_line(at: Timestamp, severity: Severity, message: &str) -> Self {
        let mut batch = Self::with_capacity(message.len(), 1);
        batch.push_session(at, severity, message);
        batch
    }

    /// Appends one line. `message` must not contain a line terminator; a `\n` in it is
    /// replaced by a space so that one event stays one line.
    pub fn push(&mut self, meta: LineMeta, message: &str) {
        let start = self.text.len();
        if message.contains('\n') {
            self.text
                .extend(message.chars().map(|c| if c == '\n' { ' ' } else { c }));
        } else {
            self.text.push_str(message);
        }
        self.message_bytes += self.text.len() - start;
        self.lines.push(LineRecord {
            meta,
            text: start..self.text.len(),
        });
    }

    /// Appends one line given as raw bytes, replacing invalid UTF-8 with U+FFFD.
    pub fn push_lossy(&mut self, meta: LineMeta, bytes: &[u8]) {
        match std::str::from_utf8(bytes) {
            Ok(text) => self.push(meta, text),
            Err(_) => self.push(meta, &String::from_utf8_lossy(bytes)),
        }
    }

    /// Appends a line framed from `stream` of `source`, decoding it (invalid UTF-8 becomes
    /// U+FFFD) and classifying its severity by the rule of docs/events.md.
    pub fn push_framed(
        &mut self,
        at: Timestamp,
        source: Source,
        stream: Stream,
        line: FramedLine<'_>,
    ) {
        let start = self.text.len();
        push_decoded(&mut self.text, line);
        let severity = severity_of(source, stream, &self.text[start..]);
        let meta = LineMeta {
            at,
            source,
            severity,
            stream: Some(stream),
            truncated: line.truncated,
        };
        self.message_bytes += self.text.len() - start;
        self.lines.push(LineRecord {
            meta,
            text: start..self.text.len(),
        });
    }

    /// The text, with its allocation, for tests of how it was built.
    #[cfg(test)]
    pub(crate) fn text_storage(&self) -> &String {
        &self.text
    }

    /// A batch made of `text` and records pointing into it.
    pub(crate) fn from_parts(text: String, lines: Vec<LineRecord>) -> Self {
        let message_bytes = lines.iter().map(|line| line.text.len()).sum();
        Self {
            text,
            lines,
            message_bytes,
        }
    }

    /// Appends a session message (no stream, never truncated).
    pub fn push_session(&mut self, at: Timestamp, severity: Severity, message: &str) {
        let meta = LineMeta {
            at,
            source: Source::Session,
            severity,
            stream: None,
            truncated: false,
        };
        self.push(meta, message);
    }

    /// Moves every line of `other` to the end of this batch.
    pub fn append(&mut self, other: LineBatch) {
        let offset = self.text.len();
        self.text.push_str(&other.text);
        self.message_bytes += other.message_bytes;
        self.lines
            .extend(other.lines.into_iter().map(|line| LineRecord {
                meta: line.meta,
                text: line.text.start + offset..line.text.end + offset,
            }));
    }

    /// How many lines it holds.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    /// `true` when it holds no line.
    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// Bytes of message text it holds.
    pub fn text_len(&self) -> usize {
        self.text.len()
    }

    /// Each line's metadata and message.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&LineMeta, &str)> + '_ {
        self.lines
            .iter()
            .map(|line| (&line.meta, &self.text[line.text.clone()]))
    }
}

/// A state change, before it is numbered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateChange {
    /// When it happened.
    pub at: Timestamp,
    /// The state left.
    pub from: SessionState,
    /// The state entered.
    pub to: SessionState,
    /// Why.
    pub reason: Option<String>,
    /// The cause of a failure state.
    pub failure: Option<Failure>,
}

/// Numbered events sharing one allocation: the lines of one read, one state change, or one
/// step fact.
#[derive(Debug, PartialEq, Eq)]
pub struct Batch {
    first_seq: Seq,
    run: RunNumber,
    body: Body,
}

#[derive(Debug, PartialEq, Eq)]
enum Body {
    Lines(LineBatch),
    State(StateChange),
    Step(StepRecord),
}

impl Batch {
    pub(crate) fn lines(first_seq: Seq, run: RunNumber, lines: LineBatch) -> Self {
        Self {
            first_seq,
            run,
            body: Body::Lines(lines),
        }
    }

    pub(crate) fn state(seq: Seq, run: RunNumber, change: StateChange) -> Self {
        Self {
            first_seq: seq,
            run,
            body: Body::State(change),
        }
    }

    pub(crate) fn step(seq: Seq, run: RunNumber, record: StepRecord) -> Self {
        Self {
            first_seq: seq,
            run,
            body: Body::Step(record),
        }
    }

    /// The `seq` of its first event.
    pub fn first_seq(&self) -> Seq {
        self.first_seq
    }

    /// The `seq` of its last event.
    pub fn last_seq(&self) -> Seq {
        self.first_seq + self.len() as Seq - 1
    }

    /// The run its events belong to.
    pub fn run(&self) -> RunNumber {
        self.run
    }

    /// How many events it holds (never zero).
    pub fn len(&self) -> usize {
        match &self.body {
            Body::Lines(lines) => lines.len(),
            Body::State(_) | Body::Step(_) => 1,
        }
    }

    /// Always `false`: the log never seals an empty batch.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The state change, when this batch is one.
    pub fn state_change(&self) -> Option<&StateChange> {
        match &self.body {
            Body::State(change) => Some(change),
            Body::Lines(_) | Body::Step(_) => None,
        }
    }

    /// The step fact, when this batch is one.
    pub fn step_record(&self) -> Option<&StepRecord> {
        match &self.body {
            Body::Step(record) => Some(record),
            Body::Lines(_) | Body::State(_) => None,
        }
    }

    /// The event at `index` (0-based within the batch), if there is one.
    pub fn get(&self, index: usize) -> Option<EventView<'_>> {
        let seq = self.first_seq + index as Seq;
        match &self.body {
            Body::Lines(lines) => {
                let line = lines.lines.get(index)?;
                Some(EventView::Log(self.line_view(lines, seq, line)))
            }
            Body::State(change) if index == 0 => Some(EventView::State(StateView {
                seq,
                run: self.run,
                at: change.at,
                from: change.from,
                to: change.to,
                reason: change.reason.as_deref(),
                failure: change.failure,
            })),
            Body::Step(record) if index == 0 => Some(EventView::Step(StepView {
                seq,
                run: self.run,
                at: record.at,
                step: record.step,
                phase: &record.phase,
            })),
            Body::State(_) | Body::Step(_) => None,
        }
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl Iterator<Item = EventView<'_>> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// What holding the event at `index` costs against `buffer_bytes`: its record and text,
    /// and for the first event the batch's own overhead, so that the costs of a batch's events
    /// add up to what the batch holds.
    pub fn cost_of(&self, index: usize) -> usize {
        self.cost_of_range(index..index + 1)
    }

    /// What holding the events at `indexes` costs against `buffer_bytes`.
    pub fn cost_of_range(&self, indexes: Range<usize>) -> usize {
        let indexes = indexes.start.min(self.len())..indexes.end.min(self.len());
        if indexes.is_empty() {
            return 0;
        }
        let batch = if indexes.start == 0 {
            BATCH_OVERHEAD_BYTES
        } else {
            0
        };
        let text: usize = match &self.body {
            Body::Lines(lines) if indexes.len() == lines.len() => lines.message_bytes,
            Body::Lines(lines) => lines.lines[indexes.clone()]
                .iter()
                .map(|line| line.text.len())
                .sum(),
            Body::State(change) => change.reason.as_ref().map_or(0, String::len),
            Body::Step(record) => record.text_len(),
        };
        batch + EVENT_OVERHEAD_BYTES * indexes.len() + text
    }

    /// What holding every event costs against `buffer_bytes`.
    pub fn total_cost(&self) -> usize {
        self.cost_of_range(0..self.len())
    }

    /// The lines, when this batch holds the lines of one read, for writers that go through
    /// every line without an [`EventView`] for each: the one text their messages are slices
    /// of (a writer can scan it once for bytes to escape, `byte_scan::NextFlagged`), and each
    /// line's view, in order.
    pub fn log_views(&self) -> Option<(&str, impl Iterator<Item = LogView<'_>> + '_)> {
        match &self.body {
            Body::Lines(lines) => {
                let views = lines.lines.iter().enumerate().map(move |(index, line)| {
                    self.line_view(lines, self.first_seq + index as Seq, line)
                });
                Some((lines.text.as_str(), views))
            }
            Body::State(_) | Body::Step(_) => None,
        }
    }

    /// The lines' text and, for each line, its metadata and where its message lies in that
    /// text: for a formatter's loop over a batch of lines, which needs no view per line.
    pub fn line_parts(
        &self,
    ) -> Option<(
        &str,
        impl ExactSizeIterator<Item = (&LineMeta, Range<usize>)> + '_,
    )> {
        let (text, records) = self.log_records()?;
        let parts = records
            .iter()
            .map(|record| (&record.meta, record.text.clone()));
        Some((text, parts))
    }

    /// The lines' text and records, for the JSON writer's loop, which needs neither a view
    /// nor a `str` per line.
    pub(crate) fn log_records(&self) -> Option<(&str, &[LineRecord])> {
        match &self.body {
            Body::Lines(lines) => Some((lines.text.as_str(), lines.lines.as_slice())),
            Body::State(_) | Body::Step(_) => None,
        }
    }

    #[inline]
    fn line_view<'a>(&self, lines: &'a LineBatch, seq: Seq, line: &LineRecord) -> LogView<'a> {
        LogView {
            seq,
            run: self.run,
            at: line.meta.at,
            source: line.meta.source,
            severity: line.meta.severity,
            stream: line.meta.stream,
            message: &lines.text[line.text.clone()],
            truncated: line.meta.truncated,
        }
    }
}

/// A cheap handle to one event inside a shared batch. Serialises as the event.
#[derive(Debug, Clone)]
pub struct EventRef {
    batch: Arc<Batch>,
    index: usize,
}

impl EventRef {
    /// A handle to the event at `index` of `batch`, or `None` past its end.
    pub fn new(batch: Arc<Batch>, index: usize) -> Option<Self> {
        (index < batch.len()).then_some(Self { batch, index })
    }

    /// The event's position in the stream.
    pub fn seq(&self) -> Seq {
        self.batch.first_seq + self.index as Seq
    }

    /// The event.
    pub fn view(&self) -> EventView<'_> {
        match self.batch.get(self.index) {
            Some(view) => view,
            // `new` checked the index and batches never shrink.
            None => unreachable!("an EventRef always points inside its batch"),
        }
    }

    /// The batch that holds it.
    pub fn batch(&self) -> &Arc<Batch> {
        &self.batch
    }
}

impl PartialEq for EventRef {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl serde::Serialize for EventRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

/// `bytes` without a trailing incomplete UTF-8 sequence (the start of a character whose other
/// bytes are missing).
/// Appends a framed line's text, decoding it: invalid UTF-8 becomes U+FFFD, and a cut line
/// still fits in the bytes it kept.
pub(crate) fn push_decoded(text: &mut String, line: FramedLine<'_>) {
    // A cut line may end inside a character: that tail is part of what was cut.
    let bytes = if line.truncated {
        without_incomplete_tail(line.bytes)
    } else {
        line.bytes
    };
    match std::str::from_utf8(bytes) {
        Ok(valid) => text.push_str(valid),
        Err(_) => {
            let lossy = String::from_utf8_lossy(bytes);
            // U+FFFD takes three bytes: a cut line must still fit in the bytes it kept.
            let lossy = if line.truncated {
                prefix_within(&lossy, line.bytes.len())
            } else {
                &lossy
            };
            text.push_str(lossy);
        }
    }
}

fn without_incomplete_tail(bytes: &[u8]) -> &[u8] {
    // A character takes at most four bytes: its start is among the last four.
    let last_start = bytes
        .iter()
        .enumerate()
        .rev()
        .take(4)
        .find(|(_, byte)| (**byte & 0xC0) != 0x80)
        .map(|(index, _)| index);
    match last_start {
        Some(index) => match std::str::from_utf8(&bytes[index..]) {
            // `error_len() == None`: the input ended in the middle of a character.
            Err(error) if error.error_len().is_none() => &bytes[..index + error.valid_up_to()],
            _ => bytes,
        },
        None => bytes,
    }
}

/// The longest prefix of `text` of at most `max` bytes that ends at a character boundary.
fn prefix_within(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn meta(source: Source, stream: Option<Stream>) -> LineMeta {
        LineMeta {
            at: Timestamp::from_unix_nanos(1),
            source,
            severity: Severity::Info,
            stream,
            truncated: false,
        }
    }

    fn stdout() -> LineMeta {
        meta(Source::Runtime, Some(Stream::Stdout))
    }

    fn messages(batch: &LineBatch) -> Vec<&str> {
        batch.iter().map(|(_, message)| message).collect()
    }

    #[rstest]
    #[case::plain("plain line", "plain line")]
    #[case::inner_newline("two\nlines", "two lines")]
    #[case::trailing_newline("ends\n", "ends ")]
    #[case::only_newlines("\n\n", "  ")]
    #[case::carriage_return_stays("a\r\nb\r", "a\r b\r")]
    #[case::multibyte("é\nü", "é ü")]
    #[case::empty("", "")]
    fn push_keeps_one_event_on_one_line(#[case] message: &str, #[case] stored: &str) {
        let mut batch = LineBatch::new();
        batch.push(stdout(), "before");
        batch.push(stdout(), message);
        batch.push(stdout(), "after");
        assert_eq!(messages(&batch), ["before", stored, "after"]);
        assert_eq!(batch.text_len(), "beforeafter".len() + stored.len());
    }

    #[test]
    fn push_lossy_replaces_invalid_utf8() {
        let mut batch = LineBatch::new();
        batch.push_lossy(stdout(), b"ok \xff\xfe end");
        batch.push_lossy(stdout(), "valid é".as_bytes());
        assert_eq!(messages(&batch), ["ok \u{FFFD}\u{FFFD} end", "valid é"]);
    }

    fn framed(bytes: &[u8], truncated: bool) -> (String, bool) {
        let mut batch = LineBatch::new();
        let line = FramedLine {
            bytes,
            truncated,
            chunk_offset: None,
        };
        batch.push_framed(Timestamp::EPOCH, Source::Build, Stream::Stdout, line);
        let (meta, message) = batch.iter().next().expect("one line");
        (message.to_owned(), meta.truncated)
    }

    #[rstest]
    // max_line 8 cut `bad \xff\xfe utf8` to `bad \xff\xfe u`; two U+FFFD would make 12 bytes.
    #[case::replacements_grow(b"bad \xff\xfe u", "bad \u{FFFD}")]
    #[case::cut_inside_a_character(b"ab\xc3\xa9\xc3", "ab\u{e9}")]
    #[case::cut_after_three_bytes_of_four(b"\xf0\x9f\x98\x80\xf0\x9f\x98", "\u{1F600}")]
    #[case::only_an_incomplete_character(b"\xe2\x82", "")]
    #[case::replacement_pushes_text_out(b"\xffabcdef", "\u{FFFD}abcd")]
    #[case::replacement_that_fits(b"\xf0\x9f\x98x", "\u{FFFD}x")]
    #[case::valid(b"abc\xc3\xa9", "abc\u{e9}")]
    fn a_cut_line_keeps_at_most_its_bytes(#[case] bytes: &[u8], #[case] expected: &str) {
        let (message, truncated) = framed(bytes, true);
        assert_eq!(message, expected);
        assert!(truncated);
        assert!(message.len() <= bytes.len());
    }

    #[test]
    fn a_whole_line_keeps_every_replacement() {
        let (message, truncated) = framed(b"bad \xff\xfe u", false);
        assert_eq!(message, "bad \u{FFFD}\u{FFFD} u");
        assert!(!truncated);
        // An incomplete character at the end of a whole line is invalid input, not a cut.
        assert_eq!(framed(b"ab\xc3", false).0, "ab\u{FFFD}");
    }

    #[test]
    fn session_lines_have_no_stream_and_are_never_truncated() {
        let at = Timestamp::from_unix_nanos(42);
        let batch = LineBatch::session_line(at, Severity::Warn, "SIGKILL sent");
        let lines: Vec<(LineMeta, &str)> = batch.iter().map(|(m, text)| (*m, text)).collect();
        assert_eq!(
            lines,
            [(
                LineMeta {
                    at,
                    source: Source::Session,
                    severity: Severity::Warn,
                    stream: None,
                    truncated: false,
                },
                "SIGKILL sent"
            )]
        );
    }

    #[test]
    fn append_moves_lines_with_their_offsets_and_metadata() {
        let mut first = LineBatch::new();
        first.push(stdout(), "one");
        first.push(stdout(), "two\nlines");
        let mut second = LineBatch::with_capacity(16, 2);
        let stderr = LineMeta {
            severity: Severity::Error,
            truncated: true,
            ..meta(Source::Build, Some(Stream::Stderr))
        };
        second.push(stderr, "three");
        second.push(stderr, "");
        second.push(stderr, "fouré");
        first.append(second);
        assert_eq!(messages(&first), ["one", "two lines", "three", "", "fouré"]);
        assert_eq!(first.len(), 5);
        assert_eq!(first.text_len(), 3 + 9 + 5 + 6);
        let metas: Vec<LineMeta> = first.iter().map(|(m, _)| *m).collect();
        assert_eq!(metas, [stdout(), stdout(), stderr, stderr, stderr]);

        // Appending into an empty batch, and appending an empty one, change nothing else.
        let mut empty = LineBatch::new();
        assert!(empty.is_empty());
        empty.append(first.clone());
        empty.append(LineBatch::new());
        assert_eq!(empty, first);
    }

    #[test]
    fn sealed_lines_are_numbered_from_their_first_seq() {
        let mut lines = LineBatch::new();
        lines.push(stdout(), "a");
        lines.push(stdout(), "b");
        let batch = Batch::lines(7, 2, lines);
        assert_eq!(
            (batch.first_seq(), batch.last_seq(), batch.len()),
            (7, 8, 2)
        );
        assert!(!batch.is_empty());
        assert_eq!(batch.state_change(), None);
        let views: Vec<(Seq, RunNumber, &str)> = batch
            .iter()
            .map(|view| match view {
                EventView::Log(line) => (line.seq, line.run, line.message),
                EventView::State(_) | EventView::Step(_) => (0, 0, "not a line"),
            })
            .collect();
        assert_eq!(views, [(7, 2, "a"), (8, 2, "b")]);
        assert_eq!(batch.get(2), None);
        let batch = Arc::new(batch);
        assert!(EventRef::new(Arc::clone(&batch), 1).is_some());
        assert!(EventRef::new(batch, 2).is_none());
    }

    #[test]
    fn a_sealed_state_change_is_one_event() {
        let change = StateChange {
            at: Timestamp::EPOCH,
            from: SessionState::Running,
            to: SessionState::Stopped,
            reason: Some("done".to_owned()),
            failure: None,
        };
        let batch = Batch::state(12, 3, change.clone());
        assert_eq!(
            (batch.first_seq(), batch.last_seq(), batch.len()),
            (12, 12, 1)
        );
        assert_eq!(batch.state_change(), Some(&change));
        let Some(EventView::State(view)) = batch.get(0) else {
            panic!("a state batch holds a state event");
        };
        assert_eq!(
            (view.seq, view.run, view.from, view.to, view.reason),
            (
                12,
                3,
                SessionState::Running,
                SessionState::Stopped,
                Some("done")
            )
        );
        assert_eq!(batch.get(1), None);
    }

    #[test]
    fn lines_cost_a_record_and_their_message_bytes_and_the_first_its_batch() {
        let mut lines = LineBatch::new();
        lines.push(stdout(), "");
        lines.push(stdout(), "0123456789");
        lines.push(stdout(), "é");
        let batch = Batch::lines(1, 1, lines);
        let costs: Vec<usize> = (0..batch.len()).map(|i| batch.cost_of(i)).collect();
        let record = EVENT_OVERHEAD_BYTES;
        assert_eq!(
            costs,
            [BATCH_OVERHEAD_BYTES + record, record + 10, record + 2]
        );
        assert_eq!(batch.total_cost(), costs.iter().sum::<usize>());
        assert_eq!(batch.cost_of_range(1..3), costs[1] + costs[2]);
        assert_eq!(batch.cost_of(3), 0, "no event, no cost");
    }

    #[rstest]
    #[case::no_reason(None, 0)]
    #[case::reason(Some("SIGINT received"), 15)]
    #[case::multibyte_reason(Some("arrêt"), 6)]
    fn a_state_change_costs_a_batch_a_record_and_its_reason(
        #[case] reason: Option<&str>,
        #[case] expected: usize,
    ) {
        let batch = Batch::state(
            1,
            1,
            StateChange {
                at: Timestamp::EPOCH,
                from: SessionState::Stopping,
                to: SessionState::Stopped,
                reason: reason.map(str::to_owned),
                failure: None,
            },
        );
        let expected = BATCH_OVERHEAD_BYTES + EVENT_OVERHEAD_BYTES + expected;
        assert_eq!(batch.cost_of(0), expected);
        assert_eq!(batch.total_cost(), expected);
    }
}
