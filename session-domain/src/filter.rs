//! Which events a reader wants: by kind, and for `log` events by source and severity. Used by
//! the CLI's stdout and by the server's streams alike.

use crate::{EventView, Severity, Source};

/// The kinds of event in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// `log` events.
    Log,
    /// `state` events.
    State,
    /// `step` events.
    Step,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Log, Self::State, Self::Step];

    /// The `kind` value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Log => "log",
            Self::State => "state",
            Self::Step => "step",
        }
    }

    /// Parses a wire name (any case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str().eq_ignore_ascii_case(name))
    }

    /// The kind of `event`.
    pub fn of(event: &EventView<'_>) -> Self {
        match event {
            EventView::Log(_) => Self::Log,
            EventView::State(_) => Self::State,
            EventView::Step(_) => Self::Step,
        }
    }
}

/// A filter over events. The default passes everything.
///
/// `sources` and `min_severity` apply to `log` events only: a state change or a step's facts
/// always pass them. `kinds` applies to every event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only `log` events from these sources, when set.
    pub sources: Option<Vec<Source>>,
    /// Only `log` events at this severity or above, when set.
    pub min_severity: Option<Severity>,
    /// Only these kinds of event, when set.
    pub kinds: Option<Vec<EventKind>>,
}

impl EventFilter {
    /// `true` when `event` passes.
    pub fn passes(&self, event: &EventView<'_>) -> bool {
        if let Some(kinds) = &self.kinds {
            if !kinds.contains(&EventKind::of(event)) {
                return false;
            }
        }
        let EventView::Log(log) = event else {
            return true;
        };
        self.sources
            .as_ref()
            .is_none_or(|sources| sources.contains(&log.source))
            && self.min_severity.is_none_or(|min| log.severity >= min)
    }

    /// `true` when it passes everything.
    pub fn is_open(&self) -> bool {
        self.sources.is_none() && self.min_severity.is_none() && self.kinds.is_none()
    }
}

crate::display_as_wire_name!(EventKind);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, LogEvent, SessionState, StateEvent, Stream, Timestamp};

    fn log(source: Source, severity: Severity) -> Event {
        Event::Log(LogEvent {
            seq: 1,
            run: 1,
            at: Timestamp::EPOCH,
            source,
            severity,
            stream: Some(Stream::Stdout),
            message: "x".to_owned(),
            truncated: false,
        })
    }

    fn state() -> Event {
        Event::State(StateEvent {
            seq: 2,
            run: 1,
            at: Timestamp::EPOCH,
            from: SessionState::Idle,
            to: SessionState::Preparing,
            reason: None,
            failure: None,
        })
    }

    #[test]
    fn sources_and_severity_filter_log_events_only_and_kinds_filter_all() {
        let runtime_warn = log(Source::Runtime, Severity::Warn);
        let build_info = log(Source::Build, Severity::Info);
        let change = state();
        let cases = [
            (EventFilter::default(), [true, true, true]),
            (
                EventFilter {
                    sources: Some(vec![Source::Runtime]),
                    ..EventFilter::default()
                },
                [true, false, true],
            ),
            (
                EventFilter {
                    min_severity: Some(Severity::Warn),
                    ..EventFilter::default()
                },
                [true, false, true],
            ),
            (
                EventFilter {
                    kinds: Some(vec![EventKind::State, EventKind::Step]),
                    ..EventFilter::default()
                },
                [false, false, true],
            ),
            (
                EventFilter {
                    sources: Some(vec![Source::Build]),
                    kinds: Some(vec![EventKind::Log]),
                    ..EventFilter::default()
                },
                [false, true, false],
            ),
        ];
        for (filter, expected) in cases {
            let passed =
                [&runtime_warn, &build_info, &change].map(|event| filter.passes(&event.view()));
            assert_eq!(passed, expected, "{filter:?}");
        }
        assert!(EventFilter::default().is_open());
    }

    #[test]
    fn kinds_parse_in_any_case() {
        assert_eq!(EventKind::from_name("STEP"), Some(EventKind::Step));
        assert_eq!(EventKind::from_name("missed"), None);
    }
}
