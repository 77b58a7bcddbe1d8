//! `--format human`: a time, the source in a 15-character column, the message; state changes
//! as full-width lifecycle lines; one summary line at the end. It reads any stream of items
//! (a run's sink, a resumed subscription): `step` events feed the summary and show nothing of
//! their own (the `session` lines tell the same story in words), and a gap shows as a marker.

use session_domain::{EventView, LogView, SessionState, Severity, Source, StateView, counted};
use session_ports::SubscriptionItem;

use super::color::{BLUE, BOLD, CYAN, DIM, GREEN, MAGENTA, RED, RESET, YELLOW};
use super::escapes::sanitize_into;
use super::local_time::LocalClock;
use super::summary::RunSummary;

const SOURCE_COLUMN: usize = 15;
const TRUNCATED_MARK: &str = "…[truncated]";
/// The shortest rule that ends a lifecycle line, however long its reason.
const MIN_RULE: usize = 2;

/// Formats events for people.
#[derive(Debug)]
pub struct HumanFormat {
    color: bool,
    width: usize,
    clock: LocalClock,
    summary: RunSummary,
}

impl HumanFormat {
    /// A formatter for a terminal `width` columns wide, with or without colour.
    pub fn new(color: bool, width: usize) -> Self {
        Self {
            color,
            width: width.clamp(40, 240),
            clock: LocalClock::default(),
            summary: RunSummary::default(),
        }
    }

    /// Notes what the summary needs from every event, shown or filtered out.
    pub fn observe(&mut self, event: &EventView<'_>) {
        self.summary.observe(event);
    }

    /// Appends one event's lines (none for a `step` event).
    pub fn write_event(&mut self, event: &EventView<'_>, out: &mut Vec<u8>) {
        match event {
            EventView::Log(log) => self.write_log(log, out),
            EventView::State(state) => self.write_state(state, out),
            EventView::Step(_) => {}
        }
    }

    /// Notes and appends one item of a subscription: an event, or the marker of a gap.
    pub fn write_item(&mut self, item: &SubscriptionItem, out: &mut Vec<u8>) {
        match item {
            SubscriptionItem::Missed { count } => self.write_missed(*count, out),
            SubscriptionItem::Event(event) => {
                let view = event.view();
                self.observe(&view);
                self.write_event(&view, out);
            }
        }
    }

    /// A marker where `count` events were evicted before this reader got them.
    pub fn write_missed(&mut self, count: u64, out: &mut Vec<u8>) {
        let text = format!(
            "             ⋯ {} missed (evicted before they were read)",
            counted(count, "event", "events")
        );
        self.paint(YELLOW, out, |_, out| out.extend_from_slice(text.as_bytes()));
        out.push(b'\n');
    }

    fn write_log(&mut self, log: &LogView<'_>, out: &mut Vec<u8>) {
        self.paint(DIM, out, |this, out| this.clock.write_hms(log.at, out));
        out.push(b' ');
        let source = log.source.as_str();
        self.paint(source_color(log.source), out, |_, out| {
            out.extend_from_slice(source.as_bytes())
        });
        out.extend(std::iter::repeat_n(
            b' ',
            SOURCE_COLUMN.saturating_sub(source.len()) + 1,
        ));
        let (marker, color) = match log.severity {
            Severity::Error => ("E ", Some(RED)),
            Severity::Warn => ("W ", Some(YELLOW)),
            Severity::Info => ("  ", None),
            Severity::Debug | Severity::Trace => ("  ", Some(DIM)),
        };
        if self.color {
            let color = color.filter(|_| !has_own_colors(log.message));
            if let Some(color) = color {
                out.extend_from_slice(color.as_bytes());
            }
            let kept = sanitize_into(log.message, true, out);
            if color.is_some() || kept {
                out.extend_from_slice(RESET.as_bytes());
            }
        } else {
            out.extend_from_slice(marker.as_bytes());
            sanitize_into(log.message, false, out);
        }
        if log.truncated {
            self.paint(DIM, out, |_, out| {
                out.extend_from_slice(TRUNCATED_MARK.as_bytes())
            });
        }
        out.push(b'\n');
    }

    fn write_state(&mut self, state: &StateView<'_>, out: &mut Vec<u8>) {
        self.paint(DIM, out, |this, out| this.clock.write_hms(state.at, out));
        out.push(b' ');
        let mut text = format!("── {}", state.to);
        if let Some(reason) = state.reason {
            let mut clean = Vec::new();
            sanitize_into(reason, false, &mut clean);
            text.push_str(" ─ ");
            // Spaces around the reason would double the ones around it.
            text.push_str(String::from_utf8_lossy(&clean).trim());
        }
        // The rule fills the line after a space; a reason too long for the width still gets a
        // short one, so that the line never ends in a bare space and always reads as a rule.
        let used = 13 + text.chars().count() + 1;
        text.push(' ');
        text.extend(std::iter::repeat_n(
            '─',
            self.width.saturating_sub(used).max(MIN_RULE),
        ));
        let color = match state.to {
            SessionState::PrepareFailed | SessionState::RuntimeFailed => RED,
            SessionState::Prepared | SessionState::Stopped => GREEN,
            SessionState::Stopping => YELLOW,
            _ => CYAN,
        };
        if self.color {
            out.extend_from_slice(BOLD.as_bytes());
            out.extend_from_slice(color.as_bytes());
            out.extend_from_slice(text.as_bytes());
            out.extend_from_slice(RESET.as_bytes());
        } else {
            out.extend_from_slice(text.as_bytes());
        }
        out.push(b'\n');
    }

    /// The closing line: outcome, exit status, and how long each step and the whole run took.
    pub fn summary(&self, state: SessionState, exit_code: i32) -> String {
        let text = format!("══ {}", self.summary.text(state, exit_code));
        // A space and at least two fill characters, or none when the text is too wide.
        let fill = self.width.saturating_sub(text.chars().count() + 1);
        let line = if fill >= 2 {
            format!("{text} {}", "═".repeat(fill))
        } else {
            text
        };
        if self.color {
            let color = match state {
                SessionState::PrepareFailed | SessionState::RuntimeFailed => RED,
                _ if exit_code != 0 => YELLOW,
                _ => GREEN,
            };
            format!("{BOLD}{color}{line}{RESET}\n")
        } else {
            format!("{line}\n")
        }
    }

    fn paint(
        &mut self,
        color: &str,
        out: &mut Vec<u8>,
        write: impl FnOnce(&mut Self, &mut Vec<u8>),
    ) {
        if self.color {
            out.extend_from_slice(color.as_bytes());
            write(self, out);
            out.extend_from_slice(RESET.as_bytes());
        } else {
            write(self, out);
        }
    }
}

fn has_own_colors(message: &str) -> bool {
    message.contains("\x1b[")
}

fn source_color(source: Source) -> &'static str {
    match source {
        Source::Build => BLUE,
        Source::PackValidation => MAGENTA,
        Source::Pack => BLUE,
        Source::Manifest => MAGENTA,
        Source::Runtime => GREEN,
        Source::Session => CYAN,
    }
}

#[cfg(test)]
mod tests {
    use session_domain::Timestamp;

    use super::*;

    fn state_line(width: usize, reason: &str) -> String {
        let mut format = HumanFormat::new(false, width);
        let view = StateView {
            seq: 1,
            run: 1,
            at: Timestamp::from_unix_nanos(0),
            from: SessionState::Running,
            to: SessionState::Stopping,
            reason: Some(reason),
            failure: None,
        };
        let mut out = Vec::new();
        format.write_state(&view, &mut out);
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn a_lifecycle_line_fills_the_width_and_always_ends_in_a_rule() {
        let short = state_line(80, "SIGINT received");
        let short = short.trim_end_matches('\n');
        assert_eq!(short.chars().count(), 80, "{short:?}");
        assert!(
            short[13..].starts_with("── stopping ─ SIGINT received ──"),
            "{short:?}"
        );
        let long = state_line(80, &"a very long reason ".repeat(10));
        let long = long.trim_end_matches('\n');
        assert!(long.ends_with("reason ──"), "{long:?}");
        assert!(!long.ends_with(' '), "{long:?}");
        assert!(
            long.chars().count() > 80,
            "the reason is never cut: {long:?}"
        );
    }
}
