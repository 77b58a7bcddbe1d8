//! The canonical JSON lines of docs/events.md, written fast, for every output: stdout, the log
//! file, and the server's streams.
//!
//! No intermediate `String`, no `fmt` for digits, the date and time of day formatted once per
//! second. The tests check every kind of item against serde byte for byte, so the two forms
//! cannot drift apart.

use crate::{AbnormalExit, EventView, Failure, LogView, StateView, StepPhase, StepView, Timestamp};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Writes canonical JSON lines, caching the formatted second of the last timestamp.
#[derive(Debug, Default)]
pub struct JsonWriter {
    /// The second the cached prefix belongs to, and `"YYYY-MM-DDTHH:MM:SS."`.
    cached_second: Option<i64>,
    second_prefix: Vec<u8>,
}

/// Appends the `missed` item (`{"kind":"missed","count":n}`) as one line.
pub fn write_missed_line(count: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"kind\":\"missed\",\"count\":");
    write_u64(count, out);
    out.extend_from_slice(b"}\n");
}

impl JsonWriter {
    /// Appends one event as its canonical JSON line.
    pub fn write_line(&mut self, event: &EventView<'_>, out: &mut Vec<u8>) {
        match event {
            EventView::Log(log) => self.write_log(log, out),
            EventView::State(state) => self.write_state(state, out),
            EventView::Step(step) => self.write_step(step, out),
        }
        out.push(b'\n');
    }

    fn write_log(&mut self, log: &LogView<'_>, out: &mut Vec<u8>) {
        self.write_head(b"log", log.seq, log.run, log.at, out);
        out.extend_from_slice(b",\"source\":\"");
        out.extend_from_slice(log.source.as_str().as_bytes());
        out.extend_from_slice(b"\",\"severity\":\"");
        out.extend_from_slice(log.severity.as_str().as_bytes());
        if let Some(stream) = log.stream {
            out.extend_from_slice(b"\",\"stream\":\"");
            out.extend_from_slice(stream.as_str().as_bytes());
        }
        out.extend_from_slice(b"\",\"message\":\"");
        write_escaped(log.message, out);
        if log.truncated {
            out.extend_from_slice(b"\",\"truncated\":true}");
        } else {
            out.extend_from_slice(b"\"}");
        }
    }

    fn write_state(&mut self, state: &StateView<'_>, out: &mut Vec<u8>) {
        self.write_head(b"state", state.seq, state.run, state.at, out);
        write_text_field(b"from", state.from.as_str(), out);
        write_text_field(b"to", state.to.as_str(), out);
        if let Some(reason) = state.reason {
            write_text_field(b"reason", reason, out);
        }
        if let Some(failure) = &state.failure {
            out.extend_from_slice(b",\"failure\":");
            write_failure(failure, out);
        }
        out.push(b'}');
    }

    fn write_step(&mut self, step: &StepView<'_>, out: &mut Vec<u8>) {
        self.write_head(b"step", step.seq, step.run, step.at, out);
        write_text_field(b"step", step.step.as_str(), out);
        write_text_field(b"phase", crate::step_wire::phase_name(step.phase), out);
        match step.phase {
            StepPhase::Started { command, pid } => {
                if let Some(command) = command {
                    out.extend_from_slice(b",\"command\":[");
                    for (index, word) in command.iter().enumerate() {
                        if index > 0 {
                            out.push(b',');
                        }
                        out.push(b'"');
                        write_escaped(word, out);
                        out.push(b'"');
                    }
                    out.push(b']');
                }
                if let Some(pid) = pid {
                    out.extend_from_slice(b",\"pid\":");
                    write_u64(u64::from(*pid), out);
                }
            }
            StepPhase::Ended(end) => {
                out.extend_from_slice(b",\"duration_ms\":");
                write_u64(end.duration_ms, out);
                write_text_field(b"outcome", end.outcome.as_str(), out);
                if let Some(code) = end.exit_code() {
                    out.extend_from_slice(b",\"exit_code\":");
                    write_i64(i64::from(code), out);
                } else if let Some(signal) = end.signal() {
                    write_signal(signal, out);
                }
            }
        }
        out.push(b'}');
    }

    /// `{"kind":"…","seq":…,"run":…,"at":"…"`, the fields every event starts with.
    fn write_head(&mut self, kind: &[u8], seq: u64, run: u64, at: Timestamp, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"kind\":\"");
        out.extend_from_slice(kind);
        out.extend_from_slice(b"\",\"seq\":");
        write_u64(seq, out);
        out.extend_from_slice(b",\"run\":");
        write_u64(run, out);
        out.extend_from_slice(b",\"at\":\"");
        self.write_at(at, out);
        out.push(b'"');
    }

    fn write_at(&mut self, at: Timestamp, out: &mut Vec<u8>) {
        let nanos = at.unix_nanos();
        let second = nanos.div_euclid(NANOS_PER_SECOND);
        if self.cached_second != Some(second) {
            self.second_prefix.clear();
            // `second * NANOS_PER_SECOND` overflows below -9223372036 s: format `at` itself.
            let whole = at.to_string();
            // "YYYY-MM-DDTHH:MM:SS." of "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ".
            self.second_prefix
                .extend_from_slice(&whole.as_bytes()[..whole.len() - 10]);
            self.cached_second = Some(second);
        }
        out.extend_from_slice(&self.second_prefix);
        let mut fraction = nanos.rem_euclid(NANOS_PER_SECOND) as u32;
        let mut digits = [b'0'; 9];
        for digit in digits.iter_mut().rev() {
            *digit = b'0' + (fraction % 10) as u8;
            fraction /= 10;
        }
        out.extend_from_slice(&digits);
        out.push(b'Z');
    }
}

fn write_failure(failure: &Failure, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"stage\":\"");
    out.extend_from_slice(failure.stage().as_bytes());
    out.push(b'"');
    if let Some(cause) = failure.cause() {
        write_text_field(b"cause", cause, out);
    }
    match failure.exit() {
        Some(AbnormalExit::Code(code)) => {
            out.extend_from_slice(b",\"exit_code\":");
            write_i64(i64::from(code.get()), out);
        }
        Some(AbnormalExit::Signal(signal)) => write_signal(signal, out),
        None => {}
    }
    out.push(b'}');
}

fn write_signal(signal: crate::Signal, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"signal\":\"");
    match signal.standard_name() {
        Some(name) => out.extend_from_slice(name.as_bytes()),
        None => {
            out.extend_from_slice(b"SIG");
            write_i64(i64::from(signal.number()), out);
        }
    }
    out.push(b'"');
}

/// `,"name":"value"` with the value escaped.
fn write_text_field(name: &[u8], value: &str, out: &mut Vec<u8>) {
    out.extend_from_slice(b",\"");
    out.extend_from_slice(name);
    out.extend_from_slice(b"\":\"");
    write_escaped(value, out);
    out.push(b'"');
}

fn write_i64(value: i64, out: &mut Vec<u8>) {
    if value < 0 {
        out.push(b'-');
    }
    write_u64(value.unsigned_abs(), out);
}

fn write_u64(mut value: u64, out: &mut Vec<u8>) {
    let mut digits = [0_u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        digits[start] = b'0' + (value % 10) as u8;
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[start..]);
}

/// Escapes as serde_json does: `"`, `\` and the control characters below 0x20 (short forms for
/// `\b \f \n \r \t`, `\u00XX` with lowercase hex otherwise); everything else as is.
fn write_escaped(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (index, &byte) in bytes.iter().enumerate() {
        let escape: &[u8] = match byte {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..index]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(byte >> 4)]);
            out.push(HEX[usize::from(byte & 0xf)]);
        } else {
            out.extend_from_slice(escape);
        }
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
