//! The NDJSON event stream, decoded: bytes in, items out. Pure, so that every framing case
//! (a line split across reads, heartbeats, a line too long) is a unit test.

use serde::Deserialize;
use session_domain::{Event, Seq};

/// The longest line accepted: a `log` message is at most `[log] max_line` bytes, and JSON
/// escaping can make it six times longer; anything past this is not from our server.
pub const MAX_LINE_BYTES: usize = 64 * 1024 * 1024;

/// One item of the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamItem {
    /// An event, in the canonical form of docs/events.md.
    Event(Event),
    /// `count` events were evicted before this reader got them.
    Missed {
        /// How many.
        count: u64,
    },
}

/// A line the decoder cannot read.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// A line is not an event or a `missed` item.
    #[error("the server sent a line that is not an event ({source}): {line}")]
    Malformed {
        /// The start of the line.
        line: String,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// A line grew past [`MAX_LINE_BYTES`] without ending.
    #[error("the server sent a line over {MAX_LINE_BYTES} bytes")]
    TooLong,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MissedWire {
    #[expect(dead_code, reason = "always \"missed\"; read to refuse other fields")]
    kind: String,
    count: u64,
}

/// Splits bytes into lines and lines into items; empty lines (heartbeats) are skipped.
#[derive(Debug, Default)]
pub struct NdjsonDecoder {
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    start: usize,
    last_seq: Option<Seq>,
}

impl NdjsonDecoder {
    /// Adds bytes as they arrived.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.start > 0 && self.start == self.buffer.len() {
            self.buffer.clear();
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The next complete item, if one has arrived.
    pub fn next_item(&mut self) -> Result<Option<StreamItem>, DecodeError> {
        loop {
            let rest = &self.buffer[self.start..];
            let Some(end) = rest.iter().position(|byte| *byte == b'\n') else {
                if rest.len() > MAX_LINE_BYTES {
                    return Err(DecodeError::TooLong);
                }
                self.compact();
                return Ok(None);
            };
            let line = &rest[..end];
            self.start += end + 1;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let item = decode_line(line)?;
            if let StreamItem::Event(event) = &item {
                self.last_seq = Some(event.seq());
            }
            return Ok(Some(item));
        }
    }

    /// The `seq` of the last event decoded, for resuming after it.
    pub fn last_seq(&self) -> Option<Seq> {
        self.last_seq
    }

    /// Bytes of an unfinished line are kept; those already read are dropped.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
    }
}

fn decode_line(line: &[u8]) -> Result<StreamItem, DecodeError> {
    let malformed = |source| DecodeError::Malformed {
        line: String::from_utf8_lossy(&line[..line.len().min(200)]).into_owned(),
        source,
    };
    // The canonical JSON always starts with its `kind`.
    if line.starts_with(br#"{"kind":"missed""#) {
        let missed: MissedWire = serde_json::from_slice(line).map_err(malformed)?;
        return Ok(StreamItem::Missed {
            count: missed.count,
        });
    }
    serde_json::from_slice(line)
        .map(StreamItem::Event)
        .map_err(malformed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = r#"{"kind":"log","seq":7,"run":1,"at":"1970-01-01T00:00:00.000000000Z","source":"session","severity":"info","message":"hi"}"#;

    fn drain(decoder: &mut NdjsonDecoder) -> Vec<StreamItem> {
        let mut items = Vec::new();
        while let Some(item) = decoder.next_item().expect("decodes") {
            items.push(item);
        }
        items
    }

    #[test]
    fn lines_split_anywhere_decode_the_same_and_heartbeats_are_skipped() {
        let text = format!("{{\"kind\":\"missed\",\"count\":3}}\n\n{LOG}\n\r\n");
        let whole = {
            let mut decoder = NdjsonDecoder::default();
            decoder.push(text.as_bytes());
            drain(&mut decoder)
        };
        assert_eq!(whole.len(), 2);
        assert_eq!(whole[0], StreamItem::Missed { count: 3 });
        assert!(matches!(&whole[1], StreamItem::Event(event) if event.seq() == 7));
        for split in 0..text.len() {
            let mut decoder = NdjsonDecoder::default();
            decoder.push(&text.as_bytes()[..split]);
            let mut items = drain(&mut decoder);
            decoder.push(&text.as_bytes()[split..]);
            items.extend(drain(&mut decoder));
            assert_eq!(items, whole, "split at {split}");
            assert_eq!(decoder.last_seq(), Some(7));
        }
    }

    #[test]
    fn an_unfinished_line_waits_and_a_missed_item_does_not_move_the_resume_point() {
        let mut decoder = NdjsonDecoder::default();
        decoder.push(b"{\"kind\":\"missed\",\"count\":1}\n{\"kind\":\"lo");
        assert_eq!(
            decoder.next_item().expect("decodes"),
            Some(StreamItem::Missed { count: 1 })
        );
        assert_eq!(decoder.next_item().expect("waits"), None);
        assert_eq!(decoder.last_seq(), None);
    }

    #[test]
    fn what_is_not_an_item_is_an_error() {
        for line in [
            "not json\n",
            "{\"kind\":\"missed\"}\n",
            "{\"kind\":\"missed\",\"count\":1,\"extra\":2}\n",
            "{\"kind\":\"other\"}\n",
        ] {
            let mut decoder = NdjsonDecoder::default();
            decoder.push(line.as_bytes());
            assert!(
                matches!(decoder.next_item(), Err(DecodeError::Malformed { .. })),
                "{line}"
            );
        }
    }
}
