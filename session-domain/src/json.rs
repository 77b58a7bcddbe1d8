//! The canonical JSON lines of docs/events.md, written fast, for every output: stdout, the log
//! file, and the server's streams.
//!
//! No intermediate `String` and no `fmt` for digits. The lines of one read share their run,
//! time, source, stream and mostly their severity, so a `log` line is the last line's text up
//! to its message with the `seq` counted up in place (`json_cache.rs`), then the message: one
//! scan of a batch's text, sixteen bytes at a time, tells which messages hold bytes to escape,
//! and the others are copied whole (`short_copy.rs`). The tests check every kind of item
//! against serde byte for byte, so the two forms cannot drift apart.

use crate::batch::LineRecord;
use crate::byte_class::{ByteClass, find_in_class};
use crate::byte_scan::NextFlagged;
use crate::json_cache::{AtText, BatchPrefix, LogPrefix, PREFIX_COPY};
use crate::short_copy::append_with_fixed_copy;
use crate::{
    AbnormalExit, Batch, EventView, Failure, LineMeta, LogView, StateView, StepPhase, StepView,
    Timestamp,
};

/// Writes canonical JSON lines, remembering what the next line probably shares with the last.
#[derive(Debug, Default)]
pub struct JsonWriter {
    at: AtText,
    log_prefix: LogPrefix,
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

    /// Appends every event of `batch`, each as its canonical JSON line: the same bytes as
    /// [`write_line`](Self::write_line) for each, without building an `EventView` per line.
    pub fn write_batch(&mut self, batch: &Batch, out: &mut Vec<u8>) {
        let Some((text, records)) = batch.log_records() else {
            for event in batch.iter() {
                self.write_line(&event, out);
            }
            return;
        };
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            return unsafe { self.write_records_avx2(batch, text, records, out) };
        }
        self.write_records(batch, text, records, out);
    }

    /// [`write_records`](Self::write_records) compiled for AVX2: its copies of a fixed size
    /// (the prefix, a short message, the line's end) move 32 bytes per instruction, not 16:
    /// about 19 instructions per line fewer (BENCHMARKS.md).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn write_records_avx2(
        &mut self,
        batch: &Batch,
        text: &str,
        records: &[LineRecord],
        out: &mut Vec<u8>,
    ) {
        self.write_records(batch, text, records, out);
    }

    /// The `log` lines of `batch`, whose messages are `text` and whose records are `records`.
    #[inline(always)]
    fn write_records(
        &mut self,
        batch: &Batch,
        text: &str,
        records: &[LineRecord],
        out: &mut Vec<u8>,
    ) {
        // One scan of the batch's text tells which messages need escaping: most need none, and
        // are copied as they are, short ones with a copy of a fixed size that reads on into
        // the text after them. The messages are read as bytes: their ranges are known to lie
        // on character boundaries, and nothing here needs a `str`.
        let bytes = text.as_bytes();
        let mut escapes = message_escapes(text);
        let mut seq = batch.first_seq();
        // The text before the message, kept while the lines share it (the lines of one read
        // mostly do), their `seq`s following one another within a batch.
        let mut shared: Option<(LineMeta, BatchPrefix)> = None;
        for record in records {
            let kept = match &mut shared {
                Some((meta, prefix)) if *meta == record.meta => match prefix.count_up() {
                    true => Some(prefix),
                    false => None,
                },
                _ => None,
            };
            let range = record.text.clone();
            let clean = !escapes.holds_flagged_in(range.clone());
            let short = bytes[range.start..]
                .first_chunk::<MESSAGE_COPY>()
                .filter(|_| range.len() <= MESSAGE_COPY);
            match (kept, clean, short) {
                // The common line: its prefix shared, a short message with nothing to escape.
                (Some(prefix), true, Some(message)) => {
                    let end = log_end(record.meta.truncated);
                    prefix.append_line_to(out, (message, range.len()), end);
                    seq = seq.wrapping_add(1);
                    continue;
                }
                (Some(prefix), ..) => prefix.append_to(out),
                (None, ..) => {
                    let (prefix, len) =
                        self.log_prefix
                            .padded_for(seq, batch.run(), &record.meta, &mut self.at);
                    append_with_fixed_copy::<PREFIX_COPY>(out, prefix, len);
                    shared = BatchPrefix::of(&self.log_prefix).map(|prefix| (record.meta, prefix));
                }
            }
            if !clean {
                write_escaped_bytes(&bytes[range], out);
            } else {
                append_with_fixed_copy::<MESSAGE_COPY>(out, &bytes[range.start..], range.len());
            }
            let (end, len) = log_end(record.meta.truncated);
            append_with_fixed_copy::<END_COPY>(out, end, len);
            seq = seq.wrapping_add(1);
        }
    }

    fn write_log(&mut self, log: &LogView<'_>, out: &mut Vec<u8>) {
        let (prefix, len) = self.log_prefix.padded_text(log, &mut self.at);
        out.extend_from_slice(&prefix[..len]);
        write_escaped(log.message, out);
        let (end, len) = log_end(log.truncated);
        out.extend_from_slice(&end[..len - 1]);
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
        out.extend_from_slice(b",\"at\":");
        self.at.write(at, out);
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

pub(crate) fn write_u64(mut value: u64, out: &mut Vec<u8>) {
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
    write_escaped_bytes(text.as_bytes(), out);
}

/// [`write_escaped`] of a text's bytes: every byte it escapes is ASCII, so it never splits a
/// character.
fn write_escaped_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    let mut start = 0;
    while let Some(index) = find_in_class::<Escape>(bytes, start) {
        out.extend_from_slice(&bytes[start..index]);
        write_escape(bytes[index], out);
        start = index + 1;
    }
    out.extend_from_slice(&bytes[start..]);
}

/// How many bytes of a short clean message are copied at once.
const MESSAGE_COPY: usize = 64;

/// The end of a `log` line with its newline, `"}` or with `"truncated":true` for a cut line,
/// padded to [`END_COPY`] bytes, and its length.
#[inline]
fn log_end(truncated: bool) -> (&'static [u8; END_COPY], usize) {
    if truncated {
        (TRUNCATED_END, TRUNCATED_END.len())
    } else {
        (&PLAIN_END, 3)
    }
}

const TRUNCATED_END: &[u8; 20] = b"\",\"truncated\":true}\n";
/// How many bytes of a line's end are copied at once: the longer end, which the shorter is
/// padded to.
const END_COPY: usize = TRUNCATED_END.len();
const PLAIN_END: [u8; END_COPY] = {
    let mut end = [b' '; END_COPY];
    (end[0], end[1], end[2]) = (b'"', b'}', b'\n');
    end
};

/// A cursor over the bytes to escape in the messages of a batch of lines, which are slices of
/// `text`: one scan of it for the whole batch.
fn message_escapes(text: &str) -> NextFlagged<'_, impl Fn(&[u8], usize) -> Option<usize>> {
    NextFlagged::new(text.as_bytes(), find_in_class::<EscapeButNewlines>)
}

/// The bytes JSON strings must escape: the controls below 0x20, `"` and `\\`.
struct Escape;
impl ByteClass for Escape {
    const BELOW: u8 = 0x20;
    const BUT: &'static [u8] = b"";
    const ALSO: &'static [u8] = b"\"\\";
}

/// [`Escape`] in the text of a batch of lines, but its newlines: they lie between the
/// messages, never in one (the framer ends a line at a `\n`, `LineBatch::push` replaces any),
/// and flagging them would stop the scan at every line.
struct EscapeButNewlines;
impl ByteClass for EscapeButNewlines {
    const BELOW: u8 = 0x20;
    const BUT: &'static [u8] = b"\n";
    const ALSO: &'static [u8] = Escape::ALSO;
}

fn write_escape(byte: u8, out: &mut Vec<u8>) {
    let short: &[u8] = match byte {
        b'"' => b"\\\"",
        b'\\' => b"\\\\",
        b'\n' => b"\\n",
        b'\r' => b"\\r",
        b'\t' => b"\\t",
        0x08 => b"\\b",
        0x0c => b"\\f",
        _ => {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(byte >> 4)],
                HEX[usize::from(byte & 0xf)],
            ]);
            return;
        }
    };
    out.extend_from_slice(short);
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
