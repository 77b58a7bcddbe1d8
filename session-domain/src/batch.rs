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
    StateView, Stream, Timestamp, severity_of,
};

/// What a consumer is charged for holding one event, on top of its text (BRIEF section 4).
pub const EVENT_OVERHEAD_BYTES: usize = 64;

/// Lines that one read produced, not yet numbered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineBatch {
    text: String,
    lines: Vec<LineRecord>,
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
struct LineRecord {
    meta: LineMeta,
    text: Range<usize>,
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
    /// U+FFFD) and classifying its severity by the rule of BRIEF section 4.
    pub fn push_framed(
        &mut self,
        at: Timestamp,
        source: Source,
        stream: Stream,
        line: FramedLine<'_>,
    ) {
        let start = self.text.len();
        match std::str::from_utf8(line.bytes) {
            Ok(text) => self.text.push_str(text),
            Err(_) => self.text.push_str(&String::from_utf8_lossy(line.bytes)),
        }
        let severity = severity_of(source, stream, &self.text[start..]);
        let meta = LineMeta {
            at,
            source,
            severity,
            stream: Some(stream),
            truncated: line.truncated,
        };
        self.lines.push(LineRecord {
            meta,
            text: start..self.text.len(),
        });
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

/// Numbered events sharing one allocation: the lines of one read, or one state change.
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
            Body::State(_) => 1,
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
            Body::Lines(_) => None,
        }
    }

    /// The event at `index` (0-based within the batch), if there is one.
    pub fn get(&self, index: usize) -> Option<EventView<'_>> {
        let seq = self.first_seq + index as Seq;
        match &self.body {
            Body::Lines(lines) => {
                let line = lines.lines.get(index)?;
                Some(EventView::Log(LogView {
                    seq,
                    run: self.run,
                    at: line.meta.at,
                    source: line.meta.source,
                    severity: line.meta.severity,
                    stream: line.meta.stream,
                    message: &lines.text[line.text.clone()],
                    truncated: line.meta.truncated,
                }))
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
            Body::State(_) => None,
        }
    }

    /// Every event, in order.
    pub fn iter(&self) -> impl Iterator<Item = EventView<'_>> + '_ {
        (0..self.len()).filter_map(|index| self.get(index))
    }

    /// What holding the event at `index` costs against `buffer_bytes`.
    pub fn cost_of(&self, index: usize) -> usize {
        EVENT_OVERHEAD_BYTES
            + match &self.body {
                Body::Lines(lines) => lines.lines.get(index).map_or(0, |line| line.text.len()),
                Body::State(change) => change.reason.as_ref().map_or(0, String::len),
            }
    }

    /// What holding every event costs against `buffer_bytes`.
    pub fn total_cost(&self) -> usize {
        match &self.body {
            Body::Lines(lines) => EVENT_OVERHEAD_BYTES * lines.len() + lines.text.len(),
            Body::State(_) => self.cost_of(0),
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
