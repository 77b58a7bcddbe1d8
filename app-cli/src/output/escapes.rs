//! Terminal escape sequences in children's output: kept (colours only) or removed; and control
//! characters in the tool's own error lines, escaped.

use session_domain::byte_class::{ByteClass, find_in_class};

/// The bytes that may start something a terminal acts on: a C0 control but tab, DEL, and
/// 0xC2, the lead byte of the UTF-8 encoded C1 controls (U+0080 to U+009F are `C2 80` to
/// `C2 9F`), which also leads other characters (`°` is `C2 B0`).
struct ControlCandidates;
impl ByteClass for ControlCandidates {
    const BELOW: u8 = 0x20;
    const BUT: &'static [u8] = b"\t";
    const ALSO: &'static [u8] = b"\x7f\xc2";
}

/// [`ControlCandidates`] in the text of a batch of lines, but its newlines, which lie between
/// the messages and would stop the scan at every line.
struct ControlCandidatesButNewlines;
impl ByteClass for ControlCandidatesButNewlines {
    const BELOW: u8 = 0x20;
    const BUT: &'static [u8] = b"\t\n";
    const ALSO: &'static [u8] = ControlCandidates::ALSO;
}

/// The index of the first byte at or after `from` that starts something a terminal acts on:
/// a C0 control but tab, DEL, or the lead byte of a C1 control. Read many bytes at a time:
/// almost every line has none.
pub(crate) fn find_control_start(bytes: &[u8], from: usize) -> Option<usize> {
    find_control_start_by(bytes, from, find_in_class::<ControlCandidates>)
}

/// [`find_control_start`] in a batch's text, but its newlines.
pub(crate) fn find_control_start_but_newlines(bytes: &[u8], from: usize) -> Option<usize> {
    find_control_start_by(bytes, from, find_in_class::<ControlCandidatesButNewlines>)
}

fn find_control_start_by(
    bytes: &[u8],
    mut from: usize,
    find: impl Fn(&[u8], usize) -> Option<usize>,
) -> Option<usize> {
    loop {
        let candidate = find(bytes, from)?;
        if bytes[candidate] != 0xc2
            || bytes
                .get(candidate + 1)
                .is_some_and(|next| (0x80..=0x9f).contains(next))
        {
            return Some(candidate);
        }
        from = candidate + 1;
    }
}

/// Appends `message` to `out`, keeping SGR colour sequences (`ESC [ … m`) only when
/// `keep_colors`, removing every other escape sequence and control character but tab, the
/// 8-bit C1 controls (U+0080 to U+009F) included, with the sequences they introduce.
/// Returns `true` when a colour sequence was kept (the caller then resets after the line).
pub(crate) fn sanitize_into(message: &str, keep_colors: bool, out: &mut Vec<u8>) -> bool {
    let bytes = message.as_bytes();
    let mut kept_color = false;
    // Clean runs are copied whole; `index` is where the next one starts.
    let mut index = 0;
    while let Some(start) = find_control_start(bytes, index) {
        out.extend_from_slice(&bytes[index..start]);
        index = match bytes[start] {
            0x1b => {
                let end = escape_end(bytes, start + 1, bytes.get(start + 1).copied());
                let sequence = &bytes[start..end];
                if keep_colors
                    && sequence.len() >= 3
                    && sequence[1] == b'['
                    && sequence.last() == Some(&b'm')
                {
                    out.extend_from_slice(sequence);
                    kept_color = true;
                }
                end
            }
            0xc2 => {
                // An 8-bit C1 control: CSI (U+009B), OSC (U+009D) and the string introducers
                // start sequences as their ESC forms do; they are never kept, colour or not.
                let introducer = match bytes[start + 1] {
                    0x9b => Some(b'['),
                    0x9d => Some(b']'),
                    0x90 => Some(b'P'),
                    0x98 => Some(b'X'),
                    0x9e => Some(b'^'),
                    0x9f => Some(b'_'),
                    _ => None,
                };
                match introducer {
                    Some(introducer) => escape_end(bytes, start + 1, Some(introducer)),
                    None => start + 2,
                }
            }
            _ => start + 1,
        };
    }
    out.extend_from_slice(&bytes[index..]);
    kept_color
}

/// `true` when `message` holds a control sequence introducer (`ESC [`), a colour perhaps.
pub(crate) fn has_control_sequence(message: &str) -> bool {
    // Most lines have no control byte at all, which one scan tells.
    find_control_start(message.as_bytes(), 0).is_some() && message.contains("\x1b[")
}

/// The index just past an escape sequence whose introducer (`[`, `]`, …, as after ESC) is
/// `introducer`, at `at` (for an 8-bit introducer, its last byte). `None`: the text ended.
fn escape_end(bytes: &[u8], at: usize, introducer: Option<u8>) -> usize {
    match introducer {
        // CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
        Some(b'[') => bytes[(at + 1).min(bytes.len())..]
            .iter()
            .position(|byte| (0x40..=0x7e).contains(byte))
            .map_or(bytes.len(), |offset| at + 1 + offset + 1),
        // OSC, DCS, SOS, PM, APC: up to BEL, ESC \ or ST (U+009C).
        Some(b']' | b'P' | b'X' | b'^' | b'_') => {
            let mut index = at + 1;
            while index < bytes.len() {
                match bytes[index] {
                    0x07 => return index + 1,
                    0x1b if bytes.get(index + 1) == Some(&b'\\') => return index + 2,
                    0xc2 if bytes.get(index + 1) == Some(&0x9c) => return index + 2,
                    _ => index += 1,
                }
            }
            bytes.len()
        }
        // A two-byte escape (ESC and one character): skip that character whole, so that the
        // rest stays UTF-8.
        Some(_) => {
            let mut end = (at + 1).min(bytes.len());
            while end < bytes.len() && bytes[end] & 0xc0 == 0x80 {
                end += 1;
            }
            end
        }
        None => bytes.len(),
    }
}

/// `text` made safe for one line on a terminal: line breaks folded into spaces, and every other
/// control character (C0 but tab, DEL, C1) written as a `\u{…}` escape, so that a key or path
/// from a file or a flag can never drive the terminal from an error line.
pub(crate) fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '\n' | '\r' => out.push(' '),
            '\t' => out.push('\t'),
            control if control.is_control() => out.extend(control.escape_unicode()),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use session_domain::byte_block::Block;

    use super::*;

    fn clean(message: &str, keep: bool) -> String {
        let mut out = Vec::new();
        sanitize_into(message, keep, &mut out);
        String::from_utf8(out).expect("stays UTF-8")
    }

    #[test]
    fn keeps_colors_only_when_asked_and_drops_other_escapes() {
        let line = "\x1b[31merror\x1b[0m: \x1b]0;title\x07bad\x1b[2Jx\r";
        assert_eq!(clean(line, true), "\x1b[31merror\x1b[0m: badx");
        assert_eq!(clean(line, false), "error: badx");
        assert_eq!(clean("plain\ttext", false), "plain\ttext");
        assert_eq!(clean("cut \x1b[3", true), "cut ");
    }

    /// Every way a child's line may try to drive the terminal, with colour on and off.
    #[test]
    fn removes_the_8_bit_c1_controls_and_their_sequences() {
        let cases: [(&str, &str, &str); 10] = [
            // (line, with colour on, with colour off)
            ("a\u{9b}31mred\u{9b}0m b", "ared b", "ared b"),
            ("a\u{9b}2Jb", "ab", "ab"),
            ("t\u{9d}0;title\u{7}x", "tx", "tx"),
            ("t\u{9d}0;title\u{9c}x", "tx", "tx"),
            ("t\u{90}q\u{1b}\\x", "tx", "tx"),
            ("next\u{85}line\u{84}", "nextline", "nextline"),
            ("\u{80}\u{99}é ü €", "é ü €", "é ü €"),
            ("apc \u{9f}to the end", "apc ", "apc "),
            ("\x1b[32mok\x1b[0m\u{9b}1m", "\x1b[32mok\x1b[0m", "ok"),
            ("\x1bé kept", " kept", " kept"),
        ];
        for (line, on, off) in cases {
            assert_eq!(clean(line, true), on, "{line:?}");
            assert_eq!(clean(line, false), off, "{line:?}");
        }
    }

    /// The byte-at-a-time rule this file used before it read words, kept as the reference.
    fn reference(message: &str, keep_colors: bool) -> (String, bool) {
        let is_control_start = |bytes: &[u8], index: usize| {
            let byte = bytes[index];
            byte < 0x20 && byte != b'\t'
                || byte == 0x7f
                || byte == 0xc2
                    && bytes
                        .get(index + 1)
                        .is_some_and(|next| (0x80..=0x9f).contains(next))
        };
        let bytes = message.as_bytes();
        let mut out = Vec::new();
        let mut kept_color = false;
        let mut index = 0;
        while index < bytes.len() {
            let byte = bytes[index];
            if byte == 0x1b {
                let end = escape_end(bytes, index + 1, bytes.get(index + 1).copied());
                let sequence = &bytes[index..end];
                if keep_colors
                    && sequence.len() >= 3
                    && sequence[1] == b'['
                    && sequence.last() == Some(&b'm')
                {
                    out.extend_from_slice(sequence);
                    kept_color = true;
                }
                index = end;
            } else if byte == 0xc2 && is_control_start(bytes, index) {
                let introducer = match bytes[index + 1] {
                    0x9b => Some(b'['),
                    0x9d => Some(b']'),
                    0x90 => Some(b'P'),
                    0x98 => Some(b'X'),
                    0x9e => Some(b'^'),
                    0x9f => Some(b'_'),
                    _ => None,
                };
                index = match introducer {
                    Some(introducer) => escape_end(bytes, index + 1, Some(introducer)),
                    None => index + 2,
                };
            } else if is_control_start(bytes, index) {
                index += 1;
            } else {
                out.push(byte);
                index += 1;
            }
        }
        (String::from_utf8(out).expect("stays UTF-8"), kept_color)
    }

    /// The scan reads eight bytes at a time and the last one to seven on their own: every kind
    /// of control at every position of a word and of the tail, in clean text of every kind
    /// (tab, `°` whose lead byte is that of the C1 controls, other multi-byte characters),
    /// gives what the byte-at-a-time rule gives.
    #[test]
    fn controls_at_every_position_of_a_word_match_the_byte_rule() {
        let controls = [
            "",
            "\x1b[31m",
            "\x1b[2J",
            "\x1b]0;t\x07",
            "\x1b",
            "\u{0}",
            "\r",
            "\u{1f}",
            "\u{7f}",
            "\u{85}",
            "\u{9b}1m",
            "\u{9d}x\u{9c}",
            "\u{9f}",
        ];
        let fillers = ['a', '\t', ' ', '°', '\u{a0}', 'é', '🎮', '~'];
        for length in 0..=20 {
            for filler in fillers {
                let clean: String = std::iter::repeat_n(filler, length).collect();
                for control in controls {
                    for position in 0..=length {
                        let mut line: String = clean.chars().take(position).collect();
                        line.push_str(control);
                        line.extend(clean.chars().skip(position));
                        // And the same control again at the end, where the last word ends.
                        let twice = format!("{line}{control}");
                        for line in [line, twice] {
                            for keep in [true, false] {
                                let mut out = Vec::new();
                                let kept = sanitize_into(&line, keep, &mut out);
                                let out = String::from_utf8(out).expect("stays UTF-8");
                                assert_eq!((out, kept), reference(&line, keep), "{line:?}");
                            }
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn control_candidates_flags_exactly_the_bytes_that_may_start_a_control() {
        let candidate = |byte: u8| byte < 0x20 && byte != b'\t' || byte == 0x7f || byte == 0xc2;
        for fill in [0x00, 0x09, 0x20, 0x41, 0x7e, 0x7f, 0xc2, 0xff] {
            for at in 0..16 {
                for byte in 0..=u8::MAX {
                    let mut bytes = [fill; 16];
                    bytes[at] = byte;
                    let flags = ControlCandidates::test(Block::load(&bytes)).bits();
                    for (index, byte) in bytes.iter().enumerate() {
                        let flagged = flags & (1 << index) != 0;
                        assert_eq!(flagged, candidate(*byte), "{bytes:x?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_control_sequence_is_found_only_where_there_is_one() {
        assert!(!has_control_sequence("plain ° text\twith tab and more"));
        assert!(!has_control_sequence("a lone \x1b at the end\x1b"));
        assert!(has_control_sequence(
            "a colour \x1b[31m in a long enough line"
        ));
        assert!(has_control_sequence("\x1b[0m"));
    }

    #[test]
    fn error_lines_escape_every_control_character() {
        let cases = [
            ("plain key", "plain key"),
            ("key\x1b[31m", "key\\u{1b}[31m"),
            ("a\u{9b}2J", "a\\u{9b}2J"),
            ("two\nlines\r", "two lines "),
            ("tab\there \u{7f}", "tab\there \\u{7f}"),
            ("ünïcode ✓", "ünïcode ✓"),
        ];
        for (text, shown) in cases {
            assert_eq!(escape_controls(text), shown, "{text:?}");
        }
    }
}
