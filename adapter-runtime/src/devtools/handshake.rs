//! Validating the runtime's first message, the handshake (protocol version 1).

use std::num::NonZeroUsize;

use serde_json::{Map, Value};
use session_domain::{CartridgeInfo, counted};

use super::HandshakeError;

/// The message the client answers a valid handshake with.
pub(crate) const START: &[u8] = b"{\"type\":\"start\"}\n";

/// The protocol major version this client speaks.
const SUPPORTED_MAJOR: u64 = 1;

/// How much of a bad first message a failure quotes.
const QUOTE_BYTES: usize = 200;

/// What a valid handshake told us; every part but the version is optional.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Handshake {
    /// `runtime_version`.
    pub(crate) runtime_version: Option<String>,
    /// `cartridge`.
    pub(crate) cartridge: Option<CartridgeInfo>,
}

/// Validates the first line the runtime sent. `truncated` means it was longer than `max_line`.
pub(crate) fn parse_handshake(
    line: &[u8],
    truncated: bool,
    max_line: NonZeroUsize,
) -> Result<Handshake, HandshakeError> {
    let bad = |problem: String| HandshakeError::BadHandshake {
        problem,
        quote: quote(line, truncated),
    };
    if truncated {
        return Err(bad(format!(
            "the first message is longer than {}",
            counted(max_line.get() as u64, "byte", "bytes")
        )));
    }
    let value: Value = serde_json::from_slice(line)
        .map_err(|_| bad("the first message is not JSON".to_owned()))?;
    let Value::Object(message) = value else {
        return Err(bad("the first message is not a JSON object".to_owned()));
    };
    match message.get("type") {
        Some(Value::String(kind)) if kind == "handshake" => {}
        Some(Value::String(kind)) => {
            return Err(bad(format!(
                "the first message has type {kind:?}, not \"handshake\""
            )));
        }
        _ => return Err(bad("the first message has no string \"type\"".to_owned())),
    }
    let version = message
        .get("protocol_version")
        .ok_or_else(|| bad("the handshake has no \"protocol_version\"".to_owned()))?;
    let major = major_version(version).ok_or_else(|| {
        bad(format!(
            "\"protocol_version\" {version} is not a version number"
        ))
    })?;
    if major != SUPPORTED_MAJOR {
        let found = match version {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        };
        return Err(HandshakeError::VersionMismatch { found });
    }
    Ok(Handshake {
        runtime_version: message.get("runtime_version").and_then(scalar_text),
        cartridge: message
            .get("cartridge")
            .and_then(Value::as_object)
            .map(cartridge),
    })
}

/// The major version of `1`, `"1"` or `"1.x"`. Tolerant of what later runtimes may send: a
/// whole float, and anything after the first dot of a string.
fn major_version(version: &Value) -> Option<u64> {
    match version {
        Value::Number(number) => number.as_u64().or_else(|| {
            let float = number.as_f64()?;
            (float.is_finite() && float >= 0.0 && float.fract() == 0.0).then_some(float as u64)
        }),
        Value::String(text) => {
            let major = text.split('.').next()?.trim();
            if major.is_empty() || !major.bytes().all(|byte| byte.is_ascii_digit()) {
                return None;
            }
            major.parse().ok()
        }
        _ => None,
    }
}

fn cartridge(fields: &Map<String, Value>) -> CartridgeInfo {
    CartridgeInfo {
        app_id: fields.get("app_id").and_then(|id| match id {
            Value::Number(number) => number.as_u64(),
            Value::String(text) => text.trim().parse().ok(),
            _ => None,
        }),
        title: fields.get("title").and_then(scalar_text),
        app_version: fields.get("app_version").and_then(scalar_text),
        app_mode: fields.get("app_mode").and_then(scalar_text),
    }
}

/// A string as it is, a number as written; anything else is unknown.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The first 200 bytes of `line`, cut back to a character boundary, invalid UTF-8 replaced,
/// with `…` when anything was left out.
pub(crate) fn quote(line: &[u8], truncated: bool) -> String {
    if line.len() <= QUOTE_BYTES {
        let text = String::from_utf8_lossy(line);
        return if truncated {
            format!("{text}…")
        } else {
            text.into_owned()
        };
    }
    // A continuation byte at the cut means a character straddles it: back off to its lead byte
    // (at most three steps, so that garbage made of continuation bytes is still cut).
    let mut end = QUOTE_BYTES;
    while end > QUOTE_BYTES - 3 && line[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    format!("{}…", String::from_utf8_lossy(&line[..end]))
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    const MAX: NonZeroUsize = NonZeroUsize::new(65_536).expect("positive");

    fn parse(line: &str) -> Result<Handshake, HandshakeError> {
        parse_handshake(line.as_bytes(), false, MAX)
    }

    #[test]
    fn reads_the_full_handshake() {
        let handshake = parse(
            r#"{"type":"handshake","protocol_version":1,"runtime_version":"0.1.0","cartridge":{"app_id":1,"title":"ColorSquare","app_version":"1.0.0","app_mode":"Debug"}}"#,
        )
        .expect("valid");
        assert_eq!(handshake.runtime_version.as_deref(), Some("0.1.0"));
        assert_eq!(
            handshake.cartridge,
            Some(CartridgeInfo {
                app_id: Some(1),
                title: Some("ColorSquare".into()),
                app_version: Some("1.0.0".into()),
                app_mode: Some("Debug".into()),
            })
        );
    }

    #[rstest]
    #[case(r#"{"type":"handshake","protocol_version":1}"#)]
    #[case(r#"{"type":"handshake","protocol_version":"1"}"#)]
    #[case(r#"{"type":"handshake","protocol_version":"1.3"}"#)]
    #[case(r#"{"type":"handshake","protocol_version":"1.x"}"#)]
    #[case(r#"{"type":"handshake","protocol_version":1.0,"extra":[1,2]}"#)]
    #[case(r#"{"protocol_version":1,"type":"handshake","cartridge":"odd"}"#)]
    fn accepts_version_one(#[case] line: &str) {
        assert!(parse(line).is_ok(), "{line}");
    }

    #[test]
    fn reports_unknowns() {
        let handshake =
            parse(r#"{"type":"handshake","protocol_version":1,"cartridge":{}}"#).expect("valid");
        assert_eq!(handshake.runtime_version, None);
        assert_eq!(handshake.cartridge, Some(CartridgeInfo::default()));
    }

    #[rstest]
    #[case(r#"{"type":"handshake","protocol_version":2}"#, "2")]
    #[case(r#"{"type":"handshake","protocol_version":"2.0"}"#, "2.0")]
    #[case(r#"{"type":"handshake","protocol_version":0}"#, "0")]
    fn names_both_versions_on_mismatch(#[case] line: &str, #[case] found: &str) {
        let error = parse(line).expect_err("mismatch");
        assert_eq!(
            error,
            HandshakeError::VersionMismatch {
                found: found.to_owned()
            }
        );
        let message = error.to_string();
        assert!(message.contains(&format!("version {found}")), "{message}");
        assert!(message.contains("version 1"), "{message}");
    }

    #[rstest]
    #[case("this is not json", "not JSON")]
    #[case("[1,2]", "not a JSON object")]
    #[case(r#"{"type":"hello","protocol_version":1}"#, "type \"hello\"")]
    #[case(r#"{"protocol_version":1}"#, "no string \"type\"")]
    #[case(r#"{"type":"handshake"}"#, "no \"protocol_version\"")]
    #[case(r#"{"type":"handshake","protocol_version":"one"}"#, "not a version")]
    #[case(r#"{"type":"handshake","protocol_version":-1}"#, "not a version")]
    #[case(r#"{"type":"handshake","protocol_version":null}"#, "not a version")]
    fn rejects_what_is_not_a_handshake(#[case] line: &str, #[case] problem: &str) {
        match parse(line) {
            Err(HandshakeError::BadHandshake {
                problem: found,
                quote,
            }) => {
                assert!(found.contains(problem), "{found}");
                assert_eq!(quote, line);
            }
            other => panic!("expected a bad handshake, got {other:?}"),
        }
    }

    #[test]
    fn an_over_long_first_message_is_bad() {
        let error = parse_handshake(b"{\"type\":\"handshake\"", true, MAX).expect_err("bad");
        assert_eq!(
            error.failure(),
            session_domain::HandshakeFailure::BadHandshake
        );
        assert!(error.to_string().contains("longer than 65536 bytes"));
    }

    #[test]
    fn quotes_two_hundred_bytes_at_a_character_boundary() {
        // 199 ASCII bytes then a 3-byte character straddling the cut at 200.
        let mut line = "a".repeat(199).into_bytes();
        line.extend_from_slice("€ and more".as_bytes());
        assert_eq!(quote(&line, false), format!("{}…", "a".repeat(199)));
        // Invalid UTF-8 is replaced, never fatal.
        assert_eq!(quote(b"\xff\xfe ok", false), "\u{fffd}\u{fffd} ok");
        // Only continuation bytes: still cut, near 200.
        let garbage = vec![0x80_u8; 400];
        assert!(quote(&garbage, false).ends_with('…'));
    }
}
