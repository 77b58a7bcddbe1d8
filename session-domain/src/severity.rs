//! The severity rule (docs/events.md, "Severity").

use crate::{Severity, Source, Stream};

/// The escape byte that starts an ANSI control sequence.
const ESC: u8 = 0x1b;

/// The severity a line announces with a leading level word, if it has one.
///
/// Spaces, tabs and ANSI CSI sequences (`ESC [ … final`, colour codes among them) are ignored
/// wherever they occur before the word. Before the word there may be a `[`, then one token
/// starting with an ASCII digit (a timestamp), which ends at a space, a tab, `]` or an escape.
/// After the token, a `]` may close the `[` (`[10:00:00] INFO …`), and a `[` may open if none is
/// open (`2026-04-06T10:00:00Z [ERROR] …`): at most one bracket is open before the word. The
/// word is `error`, `err`, `warning`, `warn`, `info`, `debug` or `trace` in any ASCII case, and
/// must be followed by `:`, `[`, `]`, a space, a tab, an escape or the end of the line.
///
/// Only ASCII bytes are compared, so any line is safe, and nothing is allocated.
pub fn classify_severity(line: &str) -> Option<Severity> {
    classify_bytes(line.as_bytes())
}

/// [`classify_severity`] of a line's bytes: the rule reads only ASCII bytes, so any line is
/// told the same as its text would be.
fn classify_bytes(bytes: &[u8]) -> Option<Severity> {
    if bytes
        .first()
        .is_some_and(|&first| starts_with_no_level_word(first))
    {
        return None;
    }
    let mut at = skip_blanks(bytes, 0);
    let mut bracket_open = false;
    if bytes.get(at) == Some(&b'[') {
        bracket_open = true;
        at = skip_blanks(bytes, at + 1);
    }
    if bytes.get(at).is_some_and(u8::is_ascii_digit) {
        at += bytes[at..]
            .iter()
            .position(|&byte| matches!(byte, b' ' | b'\t' | b']' | ESC))
            .unwrap_or(bytes.len() - at);
        at = skip_blanks(bytes, at);
        if bracket_open && bytes.get(at) == Some(&b']') {
            bracket_open = false;
            at = skip_blanks(bytes, at + 1);
        }
        if !bracket_open && bytes.get(at) == Some(&b'[') {
            at = skip_blanks(bytes, at + 1);
        }
    }
    // Eight letters are enough to reject a word longer than `warning` without reading it all.
    // Most lines start with no level word at all: the first letter decides that at once.
    if !bytes
        .get(at)
        .is_some_and(|first| matches!(first.to_ascii_lowercase(), b'e' | b'w' | b'i' | b'd' | b't'))
    {
        return None;
    }
    let rest = &bytes[at..bytes.len().min(at + 8)];
    let word_len = rest
        .iter()
        .position(|byte| !byte.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let severity = level_word(&bytes[at..at + word_len])?;
    match bytes.get(at + word_len) {
        None | Some(b':' | b'[' | b']' | b' ' | b'\t' | &ESC) => Some(severity),
        Some(_) => None,
    }
}

/// The severity of a line that announces none.
pub fn default_severity(source: Source, stream: Stream) -> Severity {
    match (source, stream) {
        (Source::Runtime, Stream::Stderr) => Severity::Warn,
        _ => Severity::Info,
    }
}

/// The severity of a line read from `stream` of `source`.
#[inline]
pub fn severity_of(source: Source, stream: Stream, line: &str) -> Severity {
    severity_or(line.as_bytes(), default_severity(source, stream))
}

/// [`severity_of`] with its stream's default already known: what the read framer asks of every
/// line of a read.
#[inline]
pub(crate) fn severity_or(line: &[u8], default: Severity) -> Severity {
    if line
        .first()
        .is_some_and(|&first| starts_with_no_level_word(first))
    {
        return default;
    }
    classify_bytes(line).unwrap_or(default)
}

/// Most lines start with a letter that begins no level word: their first byte decides that,
/// inline, before the full rule is called.
#[inline]
pub(crate) fn starts_with_no_level_word(first: u8) -> bool {
    first.is_ascii_alphabetic() && !matches!(first | 0x20, b'e' | b'w' | b'i' | b'd' | b't')
}

/// The severity a level word names.
fn level_word(word: &[u8]) -> Option<Severity> {
    const WORDS: [(&[u8], Severity); 7] = [
        (b"error", Severity::Error),
        (b"err", Severity::Error),
        (b"warning", Severity::Warn),
        (b"warn", Severity::Warn),
        (b"info", Severity::Info),
        (b"debug", Severity::Debug),
        (b"trace", Severity::Trace),
    ];
    // Most lines start with some other word; the length check rejects them cheaply.
    if !(3..=7).contains(&word.len()) {
        return None;
    }
    WORDS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(word))
        .map(|&(_, severity)| severity)
}

/// The index of the first byte at or after `at` that is not a space, a tab or part of an ANSI
/// CSI sequence.
fn skip_blanks(bytes: &[u8], mut at: usize) -> usize {
    loop {
        match bytes.get(at) {
            Some(b' ' | b'\t') => at += 1,
            Some(&ESC) if bytes.get(at + 1) == Some(&b'[') => at = skip_csi(bytes, at + 2),
            _ => return at,
        }
    }
}

/// The index just past the CSI sequence whose parameters start at `at`: parameter bytes
/// (`0x30..=0x3F`) and intermediate bytes (`0x20..=0x2F`) up to a final byte (`0x40..=0x7E`).
/// A sequence broken off by another byte ends before it, one cut by the end of the line ends
/// there.
fn skip_csi(bytes: &[u8], at: usize) -> usize {
    match bytes[at..]
        .iter()
        .position(|byte| !matches!(byte, 0x20..=0x3F))
    {
        Some(offset) if matches!(bytes[at + offset], 0x40..=0x7E) => at + offset + 1,
        Some(offset) => at + offset,
        None => bytes.len(),
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    // rustc and cargo
    #[case::rustc_error_code("error[E0308]: mismatched types", Some(Severity::Error))]
    #[case::cargo_error(
        "error: could not compile `foo` (bin \"foo\") due to 1 previous error",
        Some(Severity::Error)
    )]
    #[case::rustc_warning("warning: unused import: `std::fmt`", Some(Severity::Warn))]
    #[case::cargo_warning_summary(
        "warning: `foo` (lib) generated 2 warnings",
        Some(Severity::Warn)
    )]
    #[case::rustc_lint_code(
        "warning[E0170]: pattern binding is named like a variant",
        Some(Severity::Warn)
    )]
    #[case::cargo_coloured_error("\x1b[1m\x1b[31merror\x1b[0m: x", Some(Severity::Error))]
    #[case::cargo_coloured_warning(
        "\x1b[0m\x1b[1m\x1b[33mwarning\x1b[0m\x1b[0m\x1b[1m: unused variable\x1b[0m",
        Some(Severity::Warn)
    )]
    #[case::cargo_compiling("   Compiling foo v0.1.0 (/work/foo)", None)]
    #[case::cargo_finished(
        "    Finished `dev` profile [unoptimized + debuginfo] target(s) in 1.21s",
        None
    )]
    #[case::cargo_finished_short("   Finished dev", None)]
    #[case::rustc_arrow("  --> src/main.rs:3:5", None)]
    #[case::rustc_note("  = note: `#[warn(unused_imports)]` on by default", None)]
    #[case::rustc_help("help: remove the unused import", None)]
    // env_logger
    #[case::env_logger_warn("[2026-04-06T10:00:00Z WARN  my_crate] x", Some(Severity::Warn))]
    #[case::env_logger_info(
        "[2026-04-06T10:00:00Z INFO  my_crate::server] listening",
        Some(Severity::Info)
    )]
    #[case::env_logger_error(
        "[2026-04-06T10:00:00.123Z ERROR my_crate] boom",
        Some(Severity::Error)
    )]
    #[case::env_logger_coloured(
        "[\x1b[2m2026-04-06T10:00:00Z\x1b[0m \x1b[33mWARN \x1b[0m \x1b[2mmy_crate\x1b[0m\x1b[2m]\x1b[0m x",
        Some(Severity::Warn)
    )]
    #[case::env_logger_no_time("[DEBUG my_crate] starting", Some(Severity::Debug))]
    // tracing-subscriber's default fmt
    #[case::tracing_info("2026-04-06T10:00:00.123456Z  INFO my_crate: x", Some(Severity::Info))]
    #[case::tracing_trace(
        "2026-04-06T10:00:00.123456Z TRACE my_crate::io: read 12 bytes",
        Some(Severity::Trace)
    )]
    #[case::tracing_error_span(
        "2026-04-06T10:00:00.123456Z ERROR request{id=7}: my_crate: failed",
        Some(Severity::Error)
    )]
    #[case::tracing_coloured(
        "\x1b[2m2026-04-06T10:00:00.123456Z\x1b[0m \x1b[32m INFO\x1b[0m \x1b[2mmy_crate\x1b[0m: x",
        Some(Severity::Info)
    )]
    #[case::tracing_coloured_warn(
        "\x1b[2m2026-04-06T10:00:00.123456Z\x1b[0m \x1b[33m WARN\x1b[0m \x1b[2mmy_crate\x1b[0m\x1b[2m:\x1b[0m slow",
        Some(Severity::Warn)
    )]
    #[case::tracing_uptime("  0.001234s DEBUG my_crate: x", Some(Severity::Debug))]
    // Bracketed, log4j-ish, short timestamps
    #[case::maven_info("[INFO] BUILD SUCCESS", Some(Severity::Info))]
    #[case::maven_error("[ERROR] Failed to execute goal", Some(Severity::Error))]
    #[case::maven_warning("[WARNING] Using platform encoding", Some(Severity::Warn))]
    #[case::bracket_error("[ERROR] boom", Some(Severity::Error))]
    #[case::bracket_with_target("[ERROR my_crate] boom", Some(Severity::Error))]
    #[case::bracket_spaced("[ warn ] low disk", Some(Severity::Warn))]
    #[case::short_time("10:00:00.123 WARN low disk", Some(Severity::Warn))]
    #[case::bracketed_time("[10:00:00.123] ERROR boom", Some(Severity::Error))]
    #[case::bracketed_time_bracketed_level("[10:00:00.123] [info] ready", Some(Severity::Info))]
    #[case::time_then_bracketed_level("2026-04-06T10:00:00Z [ERROR] x", Some(Severity::Error))]
    #[case::level_after_open_bracket_and_time_no_second_bracket("[10:00:00 [ERROR] x", None)]
    #[case::log4j_date_and_time("2026-04-06 10:00:00,123 INFO  [main] x", None)]
    #[case::python_logging("WARNING:root:disk almost full", Some(Severity::Warn))]
    #[case::python_logging_info("INFO:my_app:started", Some(Severity::Info))]
    #[case::npm_warn("npm WARN deprecated left-pad@1.0.0", None)]
    #[case::tab_before("\tERROR\tboom", Some(Severity::Error))]
    #[case::debug_bare("DEBUG x", Some(Severity::Debug))]
    #[case::trace_alone("trace", Some(Severity::Trace))]
    #[case::err_colon("  Err: x", Some(Severity::Error))]
    #[case::word_then_escape("ERROR\x1b[0m x", Some(Severity::Error))]
    #[case::csi_non_colour("\x1b[2K\x1b[1Gwarning: progress cleared", Some(Severity::Warn))]
    #[case::digit_token_counts("12 error: x", Some(Severity::Error))]
    // Not a level word, or not at the start
    #[case::plural("errors: 3", None)]
    #[case::long_word("errorsandmore", None)]
    #[case::eight_letters("warningx", None)]
    #[case::longer_word("information", None)]
    #[case::warnings("warnings", None)]
    #[case::not_first("the error: x", None)]
    #[case::count("12 errors", None)]
    #[case::empty("", None)]
    #[case::blank("  \t ", None)]
    #[case::digit_suffix("error2: x", None)]
    #[case::dash_follows("error-prone code", None)]
    #[case::dot_follows("info.txt written", None)]
    #[case::two_tokens("10:00 12 ERROR x", None)]
    #[case::lone_escape("\x1bERROR x", None)]
    #[case::unicode_word("érror: x", None)]
    #[case::unfinished_csi("\x1b[1", None)]
    #[case::word_then_multibyte("ERROR😀", None)]
    #[case::blanks_everywhere("[ \x1b[2m 1€\x1b[0m ] \x1b[32m [ WARN\x1b[0m", Some(Severity::Warn))]
    fn classifies(#[case] line: &str, #[case] expected: Option<Severity>) {
        assert_eq!(classify_severity(line), expected, "{line:?}");
    }

    #[rstest]
    #[case::runtime_stderr_default(Source::Runtime, Stream::Stderr, "boom", Severity::Warn)]
    #[case::runtime_stdout_default(Source::Runtime, Stream::Stdout, "boom", Severity::Info)]
    #[case::build_stderr_default(Source::Build, Stream::Stderr, "   Compiling foo", Severity::Info)]
    #[case::announced_wins(Source::Runtime, Stream::Stderr, "INFO ready", Severity::Info)]
    fn severity_of_falls_back(
        #[case] source: Source,
        #[case] stream: Stream,
        #[case] line: &str,
        #[case] expected: Severity,
    ) {
        assert_eq!(severity_of(source, stream, line), expected);
    }

    /// Every prefix (at every character boundary) of lines built to stop the scanner at awkward
    /// places: multi-byte characters right after `[`, the timestamp, an escape or the word.
    #[test]
    fn never_panics_on_any_prefix() {
        let tricky = [
            "[é",
            "[😀ERROR] x",
            "2026-04-06T10:00:00Zé ERROR",
            "2026-04-06T10:00:00Z😀",
            "10:00:00]😀",
            "[10:00:00]😀 [ERROR]",
            "[10:00:00] [€",
            "\x1b[😀m ERROR",
            "\x1b[31é",
            "\x1b",
            "\x1b[",
            "\x1b[1;31",
            "ERROR😀",
            "err€: x",
            "[ \x1b[2m 1€\x1b[0m ] \x1b[32m [ WARN\x1b[0m",
            "1\u{10FFFF}]\u{80}",
            "[[[[",
            "]]]]",
            "\t \t[\t1\t]\t[\twarn\t]",
        ];
        for line in tricky {
            for (end, _) in line.char_indices().chain([(line.len(), ' ')]) {
                let _ = classify_severity(&line[..end]);
            }
        }
    }
}
