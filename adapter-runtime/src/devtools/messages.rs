//! Turning messages received after the handshake into `runtime` log entries (stream
//! `devtools`), as the protocol digest's *ours* rules say.

use serde_json::{Map, Value};
use session_domain::{
    FramedLine, LineBatch, LineMeta, Severity, Source, Stream, Timestamp, classify_severity,
};

/// Appends the entries one received line becomes:
/// - an object with a string `message` (or `text`): that text, one entry per line, at the
///   severity its `level` (or `severity`) names through the word table (unknown: `info`);
/// - any other JSON object: the line as received, at `debug`;
/// - anything else (not JSON, not an object, or cut at `max_line`): the line verbatim at
///   `warn`, `truncated` when it was cut.
pub(crate) fn push_message(batch: &mut LineBatch, at: Timestamp, line: FramedLine<'_>) {
    let meta = |severity| LineMeta {
        at,
        source: Source::Runtime,
        severity,
        stream: Some(Stream::Devtools),
        truncated: line.truncated,
    };
    if line.truncated {
        batch.push_lossy(meta(Severity::Warn), line.bytes);
        return;
    }
    let Ok(Value::Object(message)) = serde_json::from_slice::<Value>(line.bytes) else {
        batch.push_lossy(meta(Severity::Warn), line.bytes);
        return;
    };
    match text_of(&message) {
        Some(text) => {
            let severity = severity_of(&message).unwrap_or(Severity::Info);
            for part in split_lines(text) {
                batch.push(meta(severity), part);
            }
        }
        None => batch.push_lossy(meta(Severity::Debug), line.bytes),
    }
}

fn text_of(message: &Map<String, Value>) -> Option<&str> {
    ["message", "text"]
        .into_iter()
        .find_map(|key| message.get(key).and_then(Value::as_str))
}

fn severity_of(message: &Map<String, Value>) -> Option<Severity> {
    ["level", "severity"]
        .into_iter()
        .find_map(|key| message.get(key).and_then(Value::as_str))
        .and_then(classify_severity)
}

/// The lines of a message's text: split on `\n`, a `\r` before it dropped; a final `\n` ends
/// the last line rather than starting an empty one. An empty text is one empty entry.
fn split_lines(text: &str) -> impl Iterator<Item = &str> {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.split('\n')
        .map(|part| part.strip_suffix('\r').unwrap_or(part))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn entries(line: &[u8], truncated: bool) -> Vec<(Severity, String, bool)> {
        let mut batch = LineBatch::new();
        push_message(
            &mut batch,
            Timestamp::from_unix_nanos(0),
            FramedLine {
                bytes: line,
                truncated,
                chunk_offset: None,
            },
        );
        batch
            .iter()
            .map(|(meta, text)| {
                assert_eq!(meta.source, Source::Runtime);
                assert_eq!(meta.stream, Some(Stream::Devtools));
                (meta.severity, text.to_owned(), meta.truncated)
            })
            .collect()
    }

    fn one(severity: Severity, text: &str) -> Vec<(Severity, String, bool)> {
        vec![(severity, text.to_owned(), false)]
    }

    #[rstest]
    #[case(
        r#"{"type":"log","level":"error","message":"boom"}"#,
        one(Severity::Error, "boom")
    )]
    #[case(
        r#"{"type":"log","level":"WARNING","message":"hot"}"#,
        one(Severity::Warn, "hot")
    )]
    #[case(
        r#"{"type":"log","severity":"debug","text":"t"}"#,
        one(Severity::Debug, "t")
    )]
    #[case(
        r#"{"type":"log","level":"fatal","message":"m"}"#,
        one(Severity::Info, "m")
    )]
    #[case(r#"{"type":"log","level":3,"message":"m"}"#, one(Severity::Info, "m"))]
    #[case(r#"{"type":"log","message":""}"#, one(Severity::Info, ""))]
    #[case(
        r#"{"type":"log","message":{"no":1},"text":"t"}"#,
        one(Severity::Info, "t")
    )]
    #[case(
        r#"{"type":"breakpoint","pc":12,"a":1}"#,
        one(Severity::Debug, r#"{"type":"breakpoint","pc":12,"a":1}"#)
    )]
    #[case(r#"{ "z": 1, "a": 2 }"#, one(Severity::Debug, r#"{ "z": 1, "a": 2 }"#))]
    #[case("not json at all", one(Severity::Warn, "not json at all"))]
    #[case("[1,2,3]", one(Severity::Warn, "[1,2,3]"))]
    fn maps_messages(#[case] line: &str, #[case] expected: Vec<(Severity, String, bool)>) {
        assert_eq!(entries(line.as_bytes(), false), expected);
    }

    #[test]
    fn splits_multi_line_messages() {
        assert_eq!(
            entries(
                br#"{"type":"log","level":"warn","message":"one\r\ntwo\n\nfour\n"}"#,
                false
            ),
            vec![
                (Severity::Warn, "one".to_owned(), false),
                (Severity::Warn, "two".to_owned(), false),
                (Severity::Warn, String::new(), false),
                (Severity::Warn, "four".to_owned(), false),
            ]
        );
    }

    #[test]
    fn keeps_cut_and_invalid_lines_verbatim() {
        assert_eq!(
            entries(br#"{"type":"log","message":"cut he"#, true),
            vec![(
                Severity::Warn,
                r#"{"type":"log","message":"cut he"#.to_owned(),
                true
            )]
        );
        assert_eq!(
            entries(b"\xff{}", false),
            vec![(Severity::Warn, "\u{fffd}{}".to_owned(), false)]
        );
    }
}
