//! Session events as owned values, and the borrowed views that every writer serialises.
//!
//! serde's form of every event is [`EventView`]'s `Serialize`: owned events and events held in
//! batches both go through it. The fast writer every output uses, [`JsonWriter`](crate::JsonWriter),
//! is checked against it byte for byte.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use crate::{
    Failure, RunNumber, Seq, SessionState, Severity, Source, StepName, StepPhase, Stream, Timestamp,
};

/// One session event, owned. Used for serde round trips and tests; the hot path uses
/// [`EventRef`](crate::EventRef).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// A line of output or a session message.
    Log(LogEvent),
    /// A state change.
    State(StateEvent),
    /// A step's or the runtime's start or end.
    Step(StepEvent),
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

/// A `step` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "crate::step_wire::StepWire")]
pub struct StepEvent {
    /// Position in the session's stream.
    pub seq: Seq,
    /// The run it belongs to.
    pub run: RunNumber,
    /// When it happened.
    pub at: Timestamp,
    /// Whose life.
    pub step: StepName,
    /// Which moment, with its facts.
    pub phase: StepPhase,
}

/// A borrowed view of one event, wherever it is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventView<'a> {
    /// A `log` event.
    Log(LogView<'a>),
    /// A `state` event.
    State(StateView<'a>),
    /// A `step` event.
    Step(StepView<'a>),
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

/// A borrowed `step` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(missing_docs, reason = "the fields are those of StepEvent")]
pub struct StepView<'a> {
    pub seq: Seq,
    pub run: RunNumber,
    pub at: Timestamp,
    pub step: StepName,
    pub phase: &'a StepPhase,
}

impl EventView<'_> {
    /// The event's position in the stream.
    pub fn seq(&self) -> Seq {
        match self {
            Self::Log(log) => log.seq,
            Self::State(state) => state.seq,
            Self::Step(step) => step.seq,
        }
    }

    /// The run it belongs to.
    pub fn run(&self) -> RunNumber {
        match self {
            Self::Log(log) => log.run,
            Self::State(state) => state.run,
            Self::Step(step) => step.run,
        }
    }

    /// When it happened.
    pub fn at(&self) -> Timestamp {
        match self {
            Self::Log(log) => log.at,
            Self::State(state) => state.at,
            Self::Step(step) => step.at,
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
            Self::Step(step) => Event::Step(StepEvent {
                seq: step.seq,
                run: step.run,
                at: step.at,
                step: step.step,
                phase: step.phase.clone(),
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
            Self::Step(step) => EventView::Step(StepView {
                seq: step.seq,
                run: step.run,
                at: step.at,
                step: step.step,
                phase: &step.phase,
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
            Self::Step(step) => crate::step_wire::serialize_step(step, serializer),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use rstest::rstest;

    use super::*;
    use crate::{Batch, EventRef, LineBatch, LineMeta, Signal, StateChange};

    /// 2026-04-06T10:00:00Z.
    const TEN_O_CLOCK: i64 = 1_775_469_600_000_000_000;

    fn at_millis(millis: i64) -> Timestamp {
        Timestamp::from_unix_nanos(TEN_O_CLOCK + millis * 1_000_000)
    }

    fn log(
        seq: Seq,
        millis: i64,
        source: Source,
        severity: Severity,
        stream: Option<Stream>,
        message: &str,
    ) -> Event {
        Event::Log(LogEvent {
            seq,
            run: 1,
            at: at_millis(millis),
            source,
            severity,
            stream,
            message: message.to_owned(),
            truncated: false,
        })
    }

    fn state(
        seq: Seq,
        from: SessionState,
        to: SessionState,
        reason: Option<&str>,
        failure: Option<Failure>,
    ) -> Event {
        Event::State(StateEvent {
            seq,
            run: 1,
            at: at_millis(5_000),
            from,
            to,
            reason: reason.map(str::to_owned),
            failure,
        })
    }

    fn segv() -> Failure {
        Failure::Running(crate::AbnormalExit::Signal(
            Signal::from_number(11).expect("11 is a signal"),
        ))
    }

    fn truncated_line() -> Event {
        Event::Log(LogEvent {
            seq: 9,
            run: 2,
            at: at_millis(140),
            source: Source::Runtime,
            severity: Severity::Info,
            stream: Some(Stream::Stdout),
            message: "xxxx".to_owned(),
            truncated: true,
        })
    }

    /// The same event, sealed in a batch the way the log stores it.
    fn sealed(event: &Event) -> EventRef {
        let batch = match event {
            Event::Log(log) => {
                let mut lines = LineBatch::new();
                lines.push(
                    LineMeta {
                        at: log.at,
                        source: log.source,
                        severity: log.severity,
                        stream: log.stream,
                        truncated: log.truncated,
                    },
                    &log.message,
                );
                Batch::lines(log.seq, log.run, lines)
            }
            Event::State(state) => Batch::state(
                state.seq,
                state.run,
                StateChange {
                    at: state.at,
                    from: state.from,
                    to: state.to,
                    reason: state.reason.clone(),
                    failure: state.failure,
                },
            ),
            Event::Step(step) => Batch::step(
                step.seq,
                step.run,
                crate::StepRecord {
                    at: step.at,
                    step: step.step,
                    phase: step.phase.clone(),
                },
            ),
        };
        EventRef::new(Arc::new(batch), 0).expect("a sealed batch holds its event")
    }

    /// The brief's example lines (section 4) and the optional fields' edge cases, byte for byte.
    #[rstest]
    #[case::log_with_stream(
        log(7, 120, Source::Build, Severity::Warn, Some(Stream::Stderr), "warning: unused import"),
        r#"{"kind":"log","seq":7,"run":1,"at":"2026-04-06T10:00:00.120000000Z","source":"build","severity":"warn","stream":"stderr","message":"warning: unused import"}"#
    )]
    #[case::session_log_without_stream(
        log(8, 130, Source::Session, Severity::Info, None, "build finished: exit 0 in 1.21 s"),
        r#"{"kind":"log","seq":8,"run":1,"at":"2026-04-06T10:00:00.130000000Z","source":"session","severity":"info","message":"build finished: exit 0 in 1.21 s"}"#
    )]
    #[case::runtime_failed_with_failure(
        state(42, SessionState::Running, SessionState::RuntimeFailed, Some("runtime killed by SIGSEGV"), Some(segv())),
        r#"{"kind":"state","seq":42,"run":1,"at":"2026-04-06T10:00:05.000000000Z","from":"running","to":"runtime_failed","reason":"runtime killed by SIGSEGV","failure":{"stage":"running","signal":"SIGSEGV"}}"#
    )]
    #[case::truncated_last(
        truncated_line(),
        r#"{"kind":"log","seq":9,"run":2,"at":"2026-04-06T10:00:00.140000000Z","source":"runtime","severity":"info","stream":"stdout","message":"xxxx","truncated":true}"#
    )]
    #[case::state_without_reason(
        state(3, SessionState::Connecting, SessionState::Running, None, None),
        r#"{"kind":"state","seq":3,"run":1,"at":"2026-04-06T10:00:05.000000000Z","from":"connecting","to":"running"}"#
    )]
    #[case::state_with_reason_only(
        state(4, SessionState::Running, SessionState::Stopping, Some("SIGINT received"), None),
        r#"{"kind":"state","seq":4,"run":1,"at":"2026-04-06T10:00:05.000000000Z","from":"running","to":"stopping","reason":"SIGINT received"}"#
    )]
    #[case::devtools_message_escaped(
        log(10, 0, Source::Runtime, Severity::Debug, Some(Stream::Devtools), "{\"a\":\"\u{1b}[1m\"}\t"),
        r#"{"kind":"log","seq":10,"run":1,"at":"2026-04-06T10:00:00.000000000Z","source":"runtime","severity":"debug","stream":"devtools","message":"{\"a\":\"\u001b[1m\"}\t"}"#
    )]
    #[case::pack_validation_source(
        log(11, 1, Source::PackValidation, Severity::Error, Some(Stream::Stdout), "bad"),
        r#"{"kind":"log","seq":11,"run":1,"at":"2026-04-06T10:00:00.001000000Z","source":"pack-validation","severity":"error","stream":"stdout","message":"bad"}"#
    )]
    #[case::step_started(
        Event::Step(StepEvent {
            seq: 12,
            run: 1,
            at: at_millis(2),
            step: StepName::Build,
            phase: StepPhase::Started { command: Some(vec!["prometeuc".into(), "build".into(), ".".into()]), pid: Some(77) },
        }),
        r#"{"kind":"step","seq":12,"run":1,"at":"2026-04-06T10:00:00.002000000Z","step":"build","phase":"started","command":["prometeuc","build","."],"pid":77}"#
    )]
    #[case::step_ended_by_code(
        Event::Step(StepEvent {
            seq: 13,
            run: 1,
            at: at_millis(3),
            step: StepName::Pack,
            phase: StepPhase::Ended(crate::StepEnd { duration_ms: 506, outcome: crate::StepOutcome::Succeeded, exit: Some(crate::Termination::Success) }),
        }),
        r#"{"kind":"step","seq":13,"run":1,"at":"2026-04-06T10:00:00.003000000Z","step":"pack","phase":"ended","duration_ms":506,"outcome":"succeeded","exit_code":0}"#
    )]
    #[case::manifest_without_process(
        Event::Step(StepEvent {
            seq: 14,
            run: 1,
            at: at_millis(4),
            step: StepName::Manifest,
            phase: StepPhase::Ended(crate::StepEnd { duration_ms: 0, outcome: crate::StepOutcome::Failed, exit: None }),
        }),
        r#"{"kind":"step","seq":14,"run":1,"at":"2026-04-06T10:00:00.004000000Z","step":"manifest","phase":"ended","duration_ms":0,"outcome":"failed"}"#
    )]
    fn canonical_json(#[case] event: Event, #[case] json: &str) {
        let owned = serde_json::to_string(&event).expect("an event serialises");
        assert_eq!(owned, json);
        // Every writer serialises the batch-held form: it must be the very same bytes.
        let held = sealed(&event);
        assert_eq!(
            serde_json::to_string(&held).expect("an event ref serialises"),
            json
        );
        assert_eq!(
            serde_json::to_string(&held.view()).expect("a view serialises"),
            json
        );
        assert_eq!(held.view(), event.view());
        assert_eq!(held.seq(), event.seq());
        // The fast writer every output uses writes the same bytes, plus the line's end.
        let mut written = Vec::new();
        crate::JsonWriter::default().write_line(&held.view(), &mut written);
        assert_eq!(String::from_utf8_lossy(&written), format!("{json}\n"));
        // Round trip: the canonical bytes parse back into the same owned event.
        let parsed: Event = serde_json::from_str(json).expect("canonical JSON parses");
        assert_eq!(parsed, event);
        assert_eq!(held.view().to_owned_event(), event);
    }

    #[test]
    fn events_of_a_multi_line_batch_serialise_like_their_owned_copies() {
        let mut lines = LineBatch::new();
        let meta = |stream, severity| LineMeta {
            at: at_millis(1),
            source: Source::Pack,
            severity,
            stream: Some(stream),
            truncated: false,
        };
        lines.push(meta(Stream::Stdout, Severity::Info), "packing");
        lines.push(meta(Stream::Stderr, Severity::Warn), "");
        lines.push(meta(Stream::Stdout, Severity::Error), "é \"quoted\"");
        let batch = Arc::new(Batch::lines(20, 3, lines));
        let seqs: Vec<Seq> = batch.iter().map(|view| view.seq()).collect();
        assert_eq!(seqs, [20, 21, 22]);
        for index in 0..batch.len() {
            let held = EventRef::new(Arc::clone(&batch), index).expect("inside the batch");
            let owned = held.view().to_owned_event();
            assert_eq!(owned.seq(), 20 + index as Seq);
            assert_eq!(held.view().run(), 3);
            assert_eq!(held.view().at(), at_millis(1));
            let bytes = serde_json::to_string(&held).expect("an event ref serialises");
            assert_eq!(
                bytes,
                serde_json::to_string(&owned).expect("an event serialises")
            );
            assert_eq!(
                serde_json::from_str::<Event>(&bytes).expect("parses back"),
                owned
            );
        }
    }

    #[rstest]
    #[case::every_state_change_field(state(
        1,
        SessionState::Preparing,
        SessionState::PrepareFailed,
        Some("build exited with code 2"),
        Some(Failure::Step {
            step: crate::Step::Build,
            cause: crate::StepFailure::Exit(crate::AbnormalExit::Code(
                std::num::NonZeroI32::new(2).expect("not zero"),
            )),
        }),
    ))]
    #[case::prepared(state(2, SessionState::Preparing, SessionState::Prepared, None, None))]
    #[case::unicode_message(log(3, -1, Source::Manifest, Severity::Trace, None, "ünïcødé \u{FFFD}"))]
    #[case::truncated(truncated_line())]
    fn owned_events_round_trip(#[case] event: Event) {
        let json = serde_json::to_string(&event).expect("an event serialises");
        let parsed: Event = serde_json::from_str(&json).expect("its own JSON parses");
        assert_eq!(parsed, event);
        assert_eq!(
            serde_json::to_string(&parsed).expect("serialises again"),
            json
        );
    }

    #[test]
    fn optional_fields_are_absent_never_null() {
        let json = serde_json::to_value(state(
            1,
            SessionState::Idle,
            SessionState::Preparing,
            None,
            None,
        ))
        .expect("an event serialises");
        let object = json.as_object().expect("an event is an object");
        assert!(!object.contains_key("reason"));
        assert!(!object.contains_key("failure"));
        assert!(object.values().all(|value| !value.is_null()));

        let json = serde_json::to_value(log(1, 0, Source::Session, Severity::Info, None, "hi"))
            .expect("an event serialises");
        let object = json.as_object().expect("an event is an object");
        assert!(!object.contains_key("stream"));
        assert!(!object.contains_key("truncated"));
    }

    #[rstest]
    #[case::unknown_kind(
        r#"{"kind":"note","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z","message":"x"}"#
    )]
    #[case::unknown_log_field(
        r#"{"kind":"log","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z","source":"build","severity":"info","message":"x","colour":true}"#
    )]
    #[case::unknown_source(
        r#"{"kind":"log","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z","source":"linker","severity":"info","message":"x"}"#
    )]
    #[case::unknown_state(
        r#"{"kind":"state","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z","from":"idle","to":"paused"}"#
    )]
    #[case::local_time(
        r#"{"kind":"state","seq":1,"run":1,"at":"2026-04-06T10:00:00+02:00","from":"idle","to":"preparing"}"#
    )]
    #[case::malformed_failure(
        r#"{"kind":"state","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z","from":"running","to":"runtime_failed","failure":{"stage":"running","exit_code":0}}"#
    )]
    #[case::missing_message(
        r#"{"kind":"log","seq":1,"run":1,"at":"2026-04-06T10:00:00.000000000Z","source":"build","severity":"info"}"#
    )]
    fn malformed_events_are_rejected(#[case] json: &str) {
        assert!(serde_json::from_str::<Event>(json).is_err(), "{json}");
    }
}
