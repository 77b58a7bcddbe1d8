//! `--format json` and the log file: the canonical event lines of BRIEF section 4.
//!
//! `log` events, millions of them, are written by hand: no intermediate `String`, the date and
//! time of day formatted once per second, digits without `fmt`. Everything else (state events
//! are rare) goes through serde. The tests check both against serde byte for byte.

use session_domain::{EventView, LogView, Timestamp};

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Writes canonical JSON lines, caching the formatted second of the last timestamp.
#[derive(Debug, Default)]
pub(crate) struct JsonWriter {
    /// The second the cached prefix belongs to, and `"YYYY-MM-DDTHH:MM:SS."`.
    cached_second: Option<i64>,
    second_prefix: Vec<u8>,
}

impl JsonWriter {
    /// Appends one event as its canonical JSON line.
    pub(crate) fn write_line(&mut self, event: &EventView<'_>, out: &mut Vec<u8>) {
        match event {
            EventView::Log(log) => self.write_log(log, out),
            EventView::State(_) => {
                // Serialising our own types into a Vec cannot fail: every field is a plain value.
                if serde_json::to_writer(&mut *out, event).is_ok() {
                    out.push(b'\n');
                }
            }
        }
    }

    fn write_log(&mut self, log: &LogView<'_>, out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"kind\":\"log\",\"seq\":");
        write_u64(log.seq, out);
        out.extend_from_slice(b",\"run\":");
        write_u64(log.run, out);
        out.extend_from_slice(b",\"at\":\"");
        self.write_at(log.at, out);
        out.extend_from_slice(b"\",\"source\":\"");
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
            out.extend_from_slice(b"\",\"truncated\":true}\n");
        } else {
            out.extend_from_slice(b"\"}\n");
        }
    }

    fn write_at(&mut self, at: Timestamp, out: &mut Vec<u8>) {
        let nanos = at.unix_nanos();
        let second = nanos.div_euclid(NANOS_PER_SECOND);
        if self.cached_second != Some(second) {
            self.second_prefix.clear();
            let whole = Timestamp::from_unix_nanos(second * NANOS_PER_SECOND).to_string();
            // "YYYY-MM-DDTHH:MM:SS." of "YYYY-MM-DDTHH:MM:SS.000000000Z".
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
mod tests {
    use session_domain::{LogView, Severity, Source, Stream, Timestamp};

    use super::*;

    fn serde_line(view: &EventView<'_>) -> Vec<u8> {
        let mut expected = serde_json::to_vec(view).expect("serialises");
        expected.push(b'\n');
        expected
    }

    #[test]
    fn log_lines_match_serde_byte_for_byte() {
        let messages = [
            "",
            "plain",
            "quote \" backslash \\ slash /",
            "tab\tcr\rnewline\nbell\u{7}esc\u{1b}[31mred\u{1b}[0m nul\u{0} del\u{7f}",
            "\u{8}\u{c}\u{1f}",
            "unicode: ação ✓ 🎮 \u{fffd}",
            "\u{2028}\u{2029}",
        ];
        let times = [
            0,
            1,
            999_999_999,
            1_000_000_000,
            1_775_469_600_120_000_000,
            -1,
            4_102_444_799_999_999_999,
        ];
        let mut writer = JsonWriter::default();
        let mut seq = 1;
        for message in messages {
            for at in times {
                for stream in [
                    None,
                    Some(Stream::Stdout),
                    Some(Stream::Stderr),
                    Some(Stream::Devtools),
                ] {
                    for truncated in [false, true] {
                        for (source, severity) in [
                            (Source::Build, Severity::Warn),
                            (Source::PackValidation, Severity::Trace),
                            (Source::Session, Severity::Error),
                        ] {
                            let view = EventView::Log(LogView {
                                seq,
                                run: seq / 3 + 1,
                                at: Timestamp::from_unix_nanos(at),
                                source,
                                severity,
                                stream,
                                message,
                                truncated,
                            });
                            seq = seq.wrapping_mul(7).wrapping_add(1) % (u64::MAX / 2) + 1;
                            let mut written = Vec::new();
                            writer.write_line(&view, &mut written);
                            assert_eq!(
                                String::from_utf8_lossy(&written),
                                String::from_utf8_lossy(&serde_line(&view))
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn every_control_character_is_escaped_like_serde() {
        let mut writer = JsonWriter::default();
        for byte in 0_u8..=0x7f {
            let message = String::from(char::from(byte));
            let view = EventView::Log(LogView {
                seq: u64::MAX,
                run: 1,
                at: Timestamp::EPOCH,
                source: Source::Runtime,
                severity: Severity::Info,
                stream: Some(Stream::Stdout),
                message: &message,
                truncated: false,
            });
            let mut written = Vec::new();
            writer.write_line(&view, &mut written);
            assert_eq!(written, serde_line(&view), "byte {byte:#x}");
        }
    }
}
