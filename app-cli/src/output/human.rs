//! `--format human`: a time, the source in a 15-character column, the message; state changes
//! as full-width lifecycle lines; one summary line at the end. It reads any stream of items
//! (a run's sink, a resumed subscription): `step` events feed the summary and show nothing of
//! their own (the `session` lines tell the same story in words), and a gap shows as a marker.

use std::ops::Range;

use session_domain::byte_scan::NextFlagged;
use session_domain::{
    Batch, EventFilter, EventView, LineMeta, LogView, SessionState, Severity, Source, StateView,
    Timestamp, append_with_fixed_copy, counted,
};
use session_ports::SubscriptionItem;

use super::color::{BLUE, BOLD, CYAN, DIM, GREEN, MAGENTA, RED, RESET, YELLOW};
use super::escapes::{find_control_start_but_newlines, has_control_sequence, sanitize_into};
use super::local_time::LocalClock;
use super::summary::RunSummary;

const SOURCE_COLUMN: usize = 15;
/// How many bytes of a plain log line's prefix (time, source column, severity marker; about 31
/// bytes) are copied at once. Coloured lines never take that copy.
const PREFIX_COPY: usize = 64;
/// How many bytes of a short message are copied at once.
const MESSAGE_COPY: usize = 64;
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
    /// The text before the last log line's message (time, source column, severity marker),
    /// and what it depends on: the lines of one read share it.
    /// Padded with zeros to at least [`PREFIX_COPY`] bytes.
    prefix: Vec<u8>,
    prefix_len: usize,
    prefix_for: Option<(Timestamp, Source, Severity)>,
}

impl HumanFormat {
    /// A formatter for a terminal `width` columns wide, with or without colour.
    pub fn new(color: bool, width: usize) -> Self {
        Self {
            color,
            width: width.clamp(40, 240),
            clock: LocalClock::default(),
            summary: RunSummary::default(),
            prefix: Vec::new(),
            prefix_len: 0,
            prefix_for: None,
        }
    }

    /// Notes every event of `batch` and appends the lines of those `filter` passes.
    pub fn write_batch(&mut self, batch: &Batch, filter: &EventFilter, out: &mut Vec<u8>) {
        let Some((text, lines)) = batch.log_views() else {
            for event in batch.iter() {
                self.observe(&event);
                if filter.passes(&event) {
                    self.write_event(&event, out);
                }
            }
            return;
        };
        // The summary takes nothing from a log line but its time, and keeps the first and the
        // last it saw: the batch's first and last lines tell it everything the others would.
        for index in [0, batch.len() - 1] {
            if let Some(event) = batch.get(index) {
                self.observe(&event);
            }
        }
        let everything = filter.is_open();
        if let Some((text, parts)) = batch.line_parts().filter(|_| everything) {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2, checked just above.
                return unsafe { self.write_every_line_avx2(batch, text, parts, out) };
            }
            return self.write_every_line(batch, text, parts, out);
        }
        // One scan of the batch's text tells which messages hold controls: most hold none,
        // and are copied as they are.
        let mut controls = message_controls(text);
        for log in lines {
            if everything || filter.passes(&EventView::Log(log)) {
                let controls = controls.holds_flagged(log.message.as_bytes());
                self.write_log(&log, controls, out);
            }
        }
    }

    /// [`write_every_line`](Self::write_every_line) compiled for AVX2: its copies of a fixed
    /// size (the prefix, a short message) move 32 bytes per instruction, not 16.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn write_every_line_avx2<'a>(
        &mut self,
        batch: &Batch,
        text: &str,
        parts: impl Iterator<Item = (&'a LineMeta, Range<usize>)>,
        out: &mut Vec<u8>,
    ) {
        self.write_every_line(batch, text, parts, out);
    }

    /// Every log line of `batch`, whose messages are `text` and whose lines are `parts`. The
    /// common line (its prefix the last line's, no colour, nothing to sanitize, not cut) is
    /// written here with copies of a fixed size that read on into the prefix's padding and
    /// into the text after the message; any other through its view.
    #[inline(always)]
    fn write_every_line<'a>(
        &mut self,
        batch: &Batch,
        text: &str,
        parts: impl Iterator<Item = (&'a LineMeta, Range<usize>)>,
        out: &mut Vec<u8>,
    ) {
        let bytes = text.as_bytes();
        // One scan of the batch's text tells which messages hold controls: most hold none.
        let mut controls = message_controls(text);
        for (index, (meta, range)) in parts.enumerate() {
            let may_hold_controls = controls.holds_flagged_in(range.clone());
            let plain = !(self.color || may_hold_controls || meta.truncated);
            if plain && self.prefix_for == Some((meta.at, meta.source, meta.severity)) {
                append_with_fixed_copy::<PREFIX_COPY>(out, &self.prefix, self.prefix_len);
                append_with_fixed_copy::<MESSAGE_COPY>(out, &bytes[range.start..], range.len());
                out.push(b'\n');
            } else if let Some(EventView::Log(log)) = batch.get(index) {
                self.write_log(&log, may_hold_controls, out);
            }
        }
    }

    /// Notes what the summary needs from every event, shown or filtered out.
    pub fn observe(&mut self, event: &EventView<'_>) {
        self.summary.observe(event);
    }

    /// Appends one event's lines (none for a `step` event).
    pub fn write_event(&mut self, event: &EventView<'_>, out: &mut Vec<u8>) {
        match event {
            EventView::Log(log) => self.write_log(log, true, out),
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

    /// One log line; `may_hold_controls` is `false` for a message known to hold none.
    fn write_log(&mut self, log: &LogView<'_>, may_hold_controls: bool, out: &mut Vec<u8>) {
        let prefix_for = (log.at, log.source, log.severity);
        if self.prefix_for != Some(prefix_for) {
            let mut prefix = std::mem::take(&mut self.prefix);
            prefix.clear();
            self.write_prefix(log, &mut prefix);
            self.prefix_len = prefix.len();
            // Zeros after the text, for the copies of a fixed size of `write_every_line`.
            prefix.resize(prefix.len().max(PREFIX_COPY), 0);
            self.prefix = prefix;
            self.prefix_for = Some(prefix_for);
        }
        out.extend_from_slice(&self.prefix[..self.prefix_len]);
        let message = log.message;
        if self.color {
            let own_colors = may_hold_controls && has_control_sequence(message);
            let color = severity_color(log.severity).filter(|_| !own_colors);
            if let Some(color) = color {
                out.extend_from_slice(color.as_bytes());
            }
            let kept = may_hold_controls && sanitize_into(message, true, out);
            if !may_hold_controls {
                out.extend_from_slice(message.as_bytes());
            }
            if color.is_some() || kept {
                out.extend_from_slice(RESET.as_bytes());
            }
        } else if may_hold_controls {
            sanitize_into(message, false, out);
        } else {
            out.extend_from_slice(message.as_bytes());
        }
        if log.truncated {
            self.paint(DIM, out, |_, out| {
                out.extend_from_slice(TRUNCATED_MARK.as_bytes())
            });
        }
        out.push(b'\n');
    }

    /// The time, the source in its column, and without colour the severity's marker.
    fn write_prefix(&mut self, log: &LogView<'_>, out: &mut Vec<u8>) {
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
        if !self.color {
            out.extend_from_slice(severity_marker(log.severity).as_bytes());
        }
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

/// Without colour, a line's severity shows as a marker before its message.
fn severity_marker(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "E ",
        Severity::Warn => "W ",
        Severity::Info | Severity::Debug | Severity::Trace => "  ",
    }
}

/// With colour, as the message's colour, unless the message brings its own.
fn severity_color(severity: Severity) -> Option<&'static str> {
    match severity {
        Severity::Error => Some(RED),
        Severity::Warn => Some(YELLOW),
        Severity::Info => None,
        Severity::Debug | Severity::Trace => Some(DIM),
    }
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

/// A cursor over the controls in the messages of a batch of lines, which are slices of `text`:
/// one scan of it for the whole batch.
fn message_controls(text: &str) -> NextFlagged<'_, impl Fn(&[u8], usize) -> Option<usize>> {
    NextFlagged::new(text.as_bytes(), find_control_start_but_newlines)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use session_domain::{
        EventKind, EventLog, LineBatch, LineMeta, LogLimits, StateChange, StepEnd, StepName,
        StepOutcome, StepPhase, StepRecord, Stream,
    };

    use super::*;

    fn at(millis: i64) -> Timestamp {
        Timestamp::from_unix_nanos(1_775_469_600_000_000_000 + millis * 1_000_000)
    }

    /// A run's batches: lines whose time, source and severity change midway and back, with
    /// colours and controls in their messages, between a state change and a step's end.
    fn batches() -> Vec<Arc<Batch>> {
        let mut log = EventLog::new(LogLimits::default());
        let state = |millis, from, to| StateChange {
            at: at(millis),
            from,
            to,
            reason: None,
            failure: None,
        };
        let mut batches =
            vec![log.append_state(1, state(0, SessionState::Idle, SessionState::Preparing))];
        let meta = |millis, source, severity| LineMeta {
            at: at(millis),
            source,
            severity,
            stream: Some(Stream::Stdout),
            truncated: false,
        };
        let mut lines = LineBatch::new();
        let changes = [
            meta(1, Source::Build, Severity::Info),
            meta(1, Source::Build, Severity::Info),
            meta(1, Source::Build, Severity::Error),
            meta(1, Source::Build, Severity::Info),
            meta(2, Source::Build, Severity::Info),
            meta(1_002, Source::Build, Severity::Warn),
            meta(1_002, Source::Runtime, Severity::Debug),
            meta(1_002, Source::Session, Severity::Trace),
            LineMeta {
                truncated: true,
                ..meta(1_002, Source::Session, Severity::Trace)
            },
            meta(3_600_002, Source::Build, Severity::Info),
        ];
        let messages = [
            "plain",
            "\x1b[31mred\x1b[0m",
            "bell\u{7} °",
            "tab\tcsi \u{9b}2J",
        ];
        for (index, meta) in changes.into_iter().enumerate() {
            lines.push(meta, messages[index % messages.len()]);
        }
        batches.extend(log.append_lines(1, lines));
        batches.push(log.append_step(
            1,
            StepRecord {
                at: at(3_600_010),
                step: StepName::Build,
                phase: StepPhase::Ended(StepEnd {
                    duration_ms: 5,
                    outcome: StepOutcome::Succeeded,
                    exit: None,
                }),
            },
        ));
        let mut last = LineBatch::new();
        last.push(meta(3_600_020, Source::Runtime, Severity::Info), "last");
        batches.extend(log.append_lines(1, last));
        batches
    }

    /// A formatter remembers the text before a line's message from the last line: every line of
    /// a batch must read as it would alone, through a new formatter, whatever changes midway.
    #[test]
    fn a_batch_reads_as_each_of_its_events_alone() {
        let filters = [
            EventFilter::default(),
            EventFilter {
                min_severity: Some(Severity::Warn),
                ..EventFilter::default()
            },
            EventFilter {
                sources: Some(vec![Source::Build]),
                kinds: Some(vec![EventKind::Log]),
                ..EventFilter::default()
            },
        ];
        for color in [false, true] {
            for filter in &filters {
                let mut batched = HumanFormat::new(color, 80);
                let mut alone = HumanFormat::new(color, 80);
                let (mut written, mut expected) = (Vec::new(), Vec::new());
                for batch in batches() {
                    batched.write_batch(&batch, filter, &mut written);
                    for event in batch.iter() {
                        alone.observe(&event);
                        if filter.passes(&event) {
                            HumanFormat::new(color, 80).write_event(&event, &mut expected);
                        }
                    }
                }
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&expected)
                );
                // The summary saw the first and last lines of each batch only, and tells the same.
                assert_eq!(
                    batched.summary(SessionState::Stopped, 0),
                    alone.summary(SessionState::Stopped, 0)
                );
            }
        }
    }

    /// The lines of a read, as the read framer makes them: the batch's text holds the read's
    /// newlines (and `\r`s) between the messages.
    fn framed(read: &[u8]) -> Arc<Batch> {
        let origin = session_domain::ReadOrigin {
            source: Source::Runtime,
            stream: Stream::Stdout,
        };
        let mut framer = session_domain::ReadFramer::new(
            origin,
            std::num::NonZeroUsize::new(64).expect("64 is not zero"),
        );
        let mut lines = framer.frame(read, at(1));
        lines.append(framer.finish(at(2)));
        EventLog::new(LogLimits::default())
            .append_lines(1, lines)
            .expect("a batch of lines")
    }

    #[test]
    fn framed_batches_with_newlines_between_messages_read_as_each_line_alone() {
        for read in [
            &b"clean\nlines\nonly\n"[..],
            b"crlf\r\nlines\r\nwith a lone\rreturn inside\r\n",
            b"\x1b[31mred\x1b[0m\n\ttab first\nbell\x07 inside\nc1 \xc2\x9b here\nlast",
            b"\n\n\r\n\r\r\n",
        ] {
            let batch = framed(read);
            for color in [false, true] {
                let mut written = Vec::new();
                HumanFormat::new(color, 80).write_batch(
                    &batch,
                    &EventFilter::default(),
                    &mut written,
                );
                let mut expected = Vec::new();
                for event in batch.iter() {
                    HumanFormat::new(color, 80).write_event(&event, &mut expected);
                }
                assert_eq!(
                    String::from_utf8_lossy(&written),
                    String::from_utf8_lossy(&expected),
                    "{read:?}"
                );
            }
        }
    }

    /// A plain message is copied with one copy of a fixed size when it is short and the text
    /// goes on far enough after it: messages of every length around that size, the last ones
    /// with nothing after them, must read as each line alone, with the loop compiled for AVX2
    /// or without it.
    #[test]
    fn plain_messages_of_every_length_read_as_each_line_alone_whichever_copy_takes_them() {
        let meta = LineMeta {
            at: at(1),
            source: Source::Runtime,
            severity: Severity::Info,
            stream: Some(Stream::Stdout),
            truncated: false,
        };
        for last in 0..=MESSAGE_COPY + 2 {
            let mut lines = LineBatch::new();
            for length in (0..=MESSAGE_COPY + 2).chain([last]) {
                lines.push(meta, &"m".repeat(length));
            }
            let batch = EventLog::new(LogLimits::default())
                .append_lines(1, lines)
                .expect("a batch of lines");
            let mut expected = Vec::new();
            for event in batch.iter() {
                HumanFormat::new(false, 80).write_event(&event, &mut expected);
            }
            let filter = EventFilter::default();
            let mut written = Vec::new();
            HumanFormat::new(false, 80).write_batch(&batch, &filter, &mut written);
            assert_eq!(written, expected);
            let (text, parts) = batch.line_parts().expect("a batch of lines");
            let mut without_avx2 = Vec::new();
            HumanFormat::new(false, 80).write_every_line(&batch, text, parts, &mut without_avx2);
            assert_eq!(without_avx2, expected);
        }
    }

    #[test]
    fn the_newlines_between_clean_messages_cost_no_search_of_their_own() {
        let read: String = (0..500)
            .map(|index| format!("clean line {index}\n"))
            .collect();
        let batch = framed(read.as_bytes());
        let (text, views) = batch.log_views().expect("a batch of lines");
        let mut controls = message_controls(text);
        let mut count = 0;
        for view in views {
            assert!(!controls.holds_flagged(view.message.as_bytes()));
            count += 1;
        }
        assert_eq!(count, 500);
        assert_eq!(controls.searches(), 1, "one scan of the whole text");
    }

    fn state_line(width: usize, reason: &str) -> String {
        let mut format = HumanFormat::new(false, width);
        let view = StateView {
            seq: 1,
            run: 1,
            at: at(0),
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
