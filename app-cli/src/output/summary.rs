//! The closing line of the human format, built from the typed `step` events: the outcome, the
//! exit status, how each step and the runtime ended and how long they took, and the total.

use std::time::Duration;

use session_domain::{
    EventView, SessionState, StepEnd, StepName, StepOutcome, StepPhase, Timestamp, human_duration,
};

/// What the summary needs from the stream, gathered event by event.
#[derive(Debug, Default)]
pub(crate) struct RunSummary {
    /// Each step's end, in the order they ended.
    ended: Vec<(StepName, StepEnd)>,
    first_at: Option<Timestamp>,
    last_at: Option<Timestamp>,
}

impl RunSummary {
    /// Notes what the summary needs from one event, shown or filtered out.
    pub(crate) fn observe(&mut self, event: &EventView<'_>) {
        match event {
            // A new run starts a new summary.
            EventView::State(state) if state.to == SessionState::Preparing => {
                *self = Self::default();
            }
            EventView::Step(step) => {
                if let StepPhase::Ended(end) = step.phase {
                    self.ended.retain(|(known, _)| *known != step.step);
                    self.ended.push((step.step, *end));
                }
            }
            _ => {}
        }
        self.first_at.get_or_insert(event.at());
        self.last_at = Some(event.at());
    }

    /// The summary's text, without colour or fill: `stopped · exit status 0 · build 506 ms ·
    /// … · total 1.72 s`.
    pub(crate) fn text(&self, state: SessionState, exit_code: i32) -> String {
        let mut parts = vec![state.to_string(), format!("exit status {exit_code}")];
        for (step, end) in &self.ended {
            parts.push(describe(*step, end));
        }
        if let (Some(first), Some(last)) = (self.first_at, self.last_at) {
            let total = Duration::from_nanos(last.nanos_since(first));
            parts.push(format!("total {}", human_duration(total)));
        }
        parts.join(" · ")
    }
}

/// `build 506 ms`, or with how it failed or that it was stopped: `build 300 ms (exit 2)`.
fn describe(step: StepName, end: &StepEnd) -> String {
    let duration = human_duration(Duration::from_millis(end.duration_ms));
    let how = match (end.outcome, end.exit_code(), end.signal()) {
        (StepOutcome::Succeeded, ..) => None,
        (StepOutcome::Stopped, ..) => Some("stopped".to_owned()),
        (StepOutcome::Failed, Some(code), _) => Some(format!("exit {code}")),
        (StepOutcome::Failed, None, Some(signal)) => Some(signal.to_string()),
        (StepOutcome::Failed, None, None) if step == StepName::Manifest => {
            Some("failed".to_owned())
        }
        (StepOutcome::Failed, None, None) => Some("not started".to_owned()),
    };
    match how {
        Some(how) => format!("{step} {duration} ({how})"),
        None => format!("{step} {duration}"),
    }
}

#[cfg(test)]
mod tests {
    use session_domain::{
        Event, LogEvent, Severity, Signal, Source, StateEvent, StepEvent, Termination,
    };

    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_nanos(1_775_469_600_000_000_000 + millis * 1_000_000)
    }

    fn state(millis: i64, from: SessionState, to: SessionState) -> Event {
        Event::State(StateEvent {
            seq: 1,
            run: 1,
            at: at(millis),
            from,
            to,
            reason: None,
            failure: None,
        })
    }

    fn ended(
        millis: i64,
        step: StepName,
        duration_ms: u64,
        outcome: StepOutcome,
        exit: Option<Termination>,
    ) -> Event {
        Event::Step(StepEvent {
            seq: 2,
            run: 1,
            at: at(millis),
            step,
            phase: StepPhase::Ended(StepEnd {
                duration_ms,
                outcome,
                exit,
            }),
        })
    }

    /// `session` lines in any words: the summary never reads them.
    fn session_line(millis: i64, message: &str) -> Event {
        Event::Log(LogEvent {
            seq: 3,
            run: 1,
            at: at(millis),
            source: Source::Session,
            severity: Severity::Info,
            stream: None,
            message: message.to_owned(),
            truncated: false,
        })
    }

    fn summary_of(events: &[Event]) -> RunSummary {
        let mut summary = RunSummary::default();
        for event in events {
            summary.observe(&event.view());
        }
        summary
    }

    #[test]
    fn built_from_step_events_whatever_the_session_lines_say() {
        let events = [
            state(0, SessionState::Idle, SessionState::Preparing),
            session_line(1, "la compilation a fini: exit 0 in 9.99 s"),
            ended(
                506,
                StepName::Build,
                506,
                StepOutcome::Succeeded,
                Some(Termination::Success),
            ),
            session_line(507, "build finished: exit 0 in 1.00 s"),
            ended(
                610,
                StepName::PackValidation,
                104,
                StepOutcome::Succeeded,
                Some(Termination::Success),
            ),
            ended(
                712,
                StepName::Pack,
                102,
                StepOutcome::Succeeded,
                Some(Termination::Success),
            ),
            ended(713, StepName::Manifest, 0, StepOutcome::Succeeded, None),
            ended(
                1_720,
                StepName::Runtime,
                1_000,
                StepOutcome::Stopped,
                Some(Termination::Success),
            ),
        ];
        assert_eq!(
            summary_of(&events).text(SessionState::Stopped, 0),
            "stopped · exit status 0 · build 506 ms · pack-validation 104 ms · pack 102 ms · \
             manifest 0 ms · runtime 1.00 s (stopped) · total 1.72 s"
        );
    }

    #[test]
    fn says_how_a_step_failed() {
        let segv = Signal::from_number(11).expect("a signal");
        let cases = [
            (
                ended(
                    300,
                    StepName::Build,
                    300,
                    StepOutcome::Failed,
                    Some(Termination::from_code(2)),
                ),
                "build 300 ms (exit 2)",
            ),
            (
                ended(
                    300,
                    StepName::Pack,
                    300,
                    StepOutcome::Failed,
                    Some(Termination::from_signal(segv)),
                ),
                "pack 300 ms (SIGSEGV)",
            ),
            (
                ended(300, StepName::Build, 0, StepOutcome::Failed, None),
                "build 0 ms (not started)",
            ),
            (
                ended(300, StepName::Manifest, 1, StepOutcome::Failed, None),
                "manifest 1 ms (failed)",
            ),
        ];
        for (event, expected) in cases {
            let text = summary_of(&[state(0, SessionState::Idle, SessionState::Preparing), event])
                .text(SessionState::PrepareFailed, 3);
            assert!(text.contains(&format!(" · {expected} · ")), "{text}");
        }
    }

    #[test]
    fn a_new_run_starts_a_new_summary() {
        let events = [
            state(0, SessionState::Idle, SessionState::Preparing),
            ended(
                506,
                StepName::Build,
                506,
                StepOutcome::Failed,
                Some(Termination::from_code(1)),
            ),
            state(600, SessionState::PrepareFailed, SessionState::Preparing),
            ended(
                700,
                StepName::Build,
                100,
                StepOutcome::Succeeded,
                Some(Termination::Success),
            ),
        ];
        assert_eq!(
            summary_of(&events).text(SessionState::Prepared, 0),
            "prepared · exit status 0 · build 100 ms · total 100 ms"
        );
    }
}
