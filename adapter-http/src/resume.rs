//! Where an event stream starts: pure, so that every case is one row of a table.
//!
//! The `Last-Event-ID` header wins over the `after` parameter, which wins over the default 0.
//! An id is `<session>:<seq>`; an id of another session starts from 0 (its `seq`s belong to a
//! server that is gone), and what is malformed is refused rather than guessed at.

use session_domain::Seq;

use crate::SessionId;

/// Why a stream's starting point was refused (an HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StartError {
    /// `Last-Event-ID` is not `<session id>:<seq>`.
    #[error(
        "Last-Event-ID {found:?} is not <session id>:<seq>; send back an id this server gave, or none"
    )]
    MalformedLastEventId {
        /// The header as sent (cut to a readable length).
        found: String,
    },
    /// `after` is not a non-negative integer.
    #[error("after={found:?} is not a seq; pass a non-negative integer, or 0 for everything held")]
    MalformedAfter {
        /// The parameter as sent.
        found: String,
    },
}

/// The `seq` to subscribe after, with `subscribe(after)`'s meaning: 0 from the oldest event
/// held; behind the window, `missed` first; at or past the newest, live events only.
pub fn start_after(
    last_event_id: Option<&str>,
    after: Option<&str>,
    session: SessionId,
) -> Result<Seq, StartError> {
    if let Some(id) = last_event_id {
        let malformed = || StartError::MalformedLastEventId {
            found: id.chars().take(80).collect(),
        };
        let (id_session, seq) = id.trim().split_once(':').ok_or_else(malformed)?;
        let id_session: SessionId = id_session.parse().map_err(|_| malformed())?;
        let seq = parse_seq(seq).ok_or_else(malformed)?;
        return Ok(if id_session == session { seq } else { 0 });
    }
    match after {
        None => Ok(0),
        Some(text) => parse_seq(text).ok_or_else(|| StartError::MalformedAfter {
            found: text.chars().take(80).collect(),
        }),
    }
}

/// Decimal digits only: no sign, no spaces, no hex.
fn parse_seq(text: &str) -> Option<Seq> {
    if text.is_empty() || !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn ours() -> SessionId {
        SessionId::from_bits(0xaa)
    }

    #[rstest]
    #[case::nothing(None, None, Ok(0))]
    #[case::after_only(None, Some("42"), Ok(42))]
    #[case::after_zero(None, Some("0"), Ok(0))]
    #[case::after_huge(None, Some("18446744073709551615"), Ok(u64::MAX))]
    #[case::our_id(Some("00000000000000aa:17"), None, Ok(17))]
    #[case::our_id_wins_over_after(Some("00000000000000aa:17"), Some("3"), Ok(17))]
    #[case::their_id_starts_over(Some("00000000000000bb:17"), Some("3"), Ok(0))]
    #[case::our_id_at_zero(Some("00000000000000aa:0"), None, Ok(0))]
    fn where_a_stream_starts(
        #[case] last_event_id: Option<&str>,
        #[case] after: Option<&str>,
        #[case] expected: Result<Seq, ()>,
    ) {
        assert_eq!(
            start_after(last_event_id, after, ours()).map_err(|_| ()),
            expected
        );
    }

    #[rstest]
    #[case::no_colon("00000000000000aa")]
    #[case::no_seq("00000000000000aa:")]
    #[case::negative("00000000000000aa:-1")]
    #[case::short_session("aa:1")]
    #[case::not_hex("zzzzzzzzzzzzzzzz:1")]
    #[case::spaces_inside("00000000000000aa: 1")]
    #[case::overflow("00000000000000aa:18446744073709551616")]
    #[case::empty("")]
    fn a_malformed_id_is_refused(#[case] id: &str) {
        assert!(matches!(
            start_after(Some(id), None, ours()),
            Err(StartError::MalformedLastEventId { .. })
        ));
    }

    #[rstest]
    #[case::empty("")]
    #[case::negative("-1")]
    #[case::plus("+1")]
    #[case::hex("0x10")]
    #[case::word("latest")]
    #[case::overflow("18446744073709551616")]
    fn a_malformed_after_is_refused(#[case] after: &str) {
        assert!(matches!(
            start_after(None, Some(after), ours()),
            Err(StartError::MalformedAfter { .. })
        ));
    }
}
