//! Session events as owned values, and the borrowed views that every writer serialises.
//!
//! The canonical JSON is produced in exactly one place, [`EventView`]'s `Serialize`: owned
//! events and events held in batches both go through it, so the bytes cannot drift apart.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::{Failure, RunNumber, Seq, SessionState, Severity, Source, Stream, Timestamp};

/// One session event, owned. Used for serde round trips and tests; the hot path uses
/// [`EventRef`](crate::EventRef).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A line of output or a session message.
    Log(LogEvent),
    /// A state change.
    State(StateEvent),
}

/// A `log` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogEvent {
    /// Position in the session's stream.
    pub seq: Seq,
    /// The run it belongs to.
    pub run: RunNumber,
    /// When its bytes were read.
    pub at: Timestamp,
    /// Where it comes from.
    pub source: Source,
    /// How severe it is.
    pub severity: Severity,
    /// The pipe or socket it was read from; absent for the session's own messages.
    #[serde(default)]
    pub stream: Option<Stream>,
    /// One line, without its terminator.
    pub message: String,
    /// The line was longer than `max_line` and was cut.
    #[serde(default)]
    pub truncated: bool,
}

/// A `state` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateEvent {
    /// Position in the session's stream.
    pub seq: Seq,
    /// The run it belongs to (a `-> preparing` event carries the new run's number).
    pub run: RunNumber,
    /// When the change happened.
    pub at: Timestamp,
    /// The state left.
    pub from: SessionState,
    /// The state entered.
    pub to: SessionState,
    /// Why; present on every failure and every stop.
    #[serde(default)]
    pub reason: Option<String>,
    /// The cause, present exactly on `prepare_failed` and `runtime_failed`.
    #[serde(default)]
    pub failure: Option<Failure>,
}

/// A borrowed view of one event, wherever it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventView<'a> {
    /// A `log` event.
    Log(LogView<'a>),
    /// A `state` event.
    State(StateView<'a>),
}

/// A borrowed `log` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(missing_docs, reason = "the fields are those of LogEvent")]
pub struct LogView<'a> {
    pub seq: Seq,
    pub run: RunNumber,
    pub at: Timestamp,
    pub source: Source,
    pub severity: Severity,
    pub stream: Option<Stream>,
    pub message: &'a str,
    pub truncated: bool,
}

/// A borrowed `state` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(missing_docs, reason = "the fields are those of StateEvent")]
pub struct StateView<'a> {
    pub seq: Seq,
    pub run: RunNumber,
    pub at: Timestamp,
    pub from: SessionState,
    pub to: SessionState,
    pub reason: Option<&'a str>,
    pub failure: Option<Failure>,
}

impl EventView<'_> {
    /// The event's position in the stream.
    pub fn seq(&self) -> Seq {
        match self {
            Self::Log(log) => log.seq,
            Self::State(state) => state.seq,
        }
    }

    /// The run it belongs to.
    pub fn run(&self) -> RunNumber {
        match self {
            Self::Log(log) => log.run,
            Self::State(state) => state.run,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Log(log) => log.at,
            Self::State(state) => state.at,
        }
    }

    /// An owned copy.
    pub fn to_owned_event(&self) -> Event {
        match *self {
            Self::Log(log) => Event::Log(LogEvent {
                seq: log.seq,
                run: log.run,
                at: log.at,
                source: log.source,
                severity: log.severity,
                stream: log.stream,
                message: log.message.to_owned(),
                truncated: log.truncated,
            }),
            Self::State(state) => Event::State(StateEvent {
                seq: state.seq,
                run: state.run,
                at: state.at,
                from: state.from,
                to: state.to,
                reason: state.reason.map(str::to_owned),
                failure: state.failure,
            }),
        }
    }
}

impl Event {
    /// A borrowed view, serialised exactly like the events held in batches.
    pub fn view(&self) -> EventView<'_> {
        match self {
            Self::Log(log) => EventView::Log(LogView {
                seq: log.seq,
                run: log.run,
                at: log.at,
                source: log.source,
                severity: log.severity,
                stream: log.stream,
                message: &log.message,
                truncated: log.truncated,
            }),
            Self::State(state) => EventView::State(StateView {
                seq: state.seq,
                run: state.run,
                at: state.at,
                from: state.from,
                to: state.to,
                reason: state.reason.as_deref(),
                failure: state.failure,
            }),
        }
    }

    /// The event's position in the stream.
    pub fn seq(&self) -> Seq {
        self.view().seq()
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

impl Serialize for EventView<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Log(log) => {
                let fields = 7 + usize::from(log.stream.is_some()) + usize::from(log.truncated);
                let mut out = serializer.serialize_struct("LogEvent", fields)?;
                out.serialize_field("kind", "log")?;
                out.serialize_field("seq", &log.seq)?;
                out.serialize_field("run", &log.run)?;
                out.serialize_field("at", &log.at)?;
                out.serialize_field("source", &log.source)?;
                out.serialize_field("severity", &log.severity)?;
                match log.stream {
                    Some(stream) => out.serialize_field("stream", &stream)?,
                    None => out.skip_field("stream")?,
                }
                out.serialize_field("message", log.message)?;
                if log.truncated {
                    out.serialize_field("truncated", &true)?;
                } else {
                    out.skip_field("truncated")?;
                }
                out.end()
            }
            Self::State(state) => {
                let fields =
                    6 + usize::from(state.reason.is_some()) + usize::from(state.failure.is_some());
                let mut out = serializer.serialize_struct("StateEvent", fields)?;
                out.serialize_field("kind", "state")?;
                out.serialize_field("seq", &state.seq)?;
                out.serialize_field("run", &state.run)?;
                out.serialize_field("at", &state.at)?;
                out.serialize_field("from", &state.from)?;
                out.serialize_field("to", &state.to)?;
                match state.reason {
                    Some(reason) => out.serialize_field("reason", reason)?,
                    None => out.skip_field("reason")?,
                }
                match &state.failure {
                    Some(failure) => out.serialize_field("failure", failure)?,
                    None => out.skip_field("failure")?,
                }
                out.end()
            }
        }
    }
}
