//! How items are written on an event stream: Server-Sent Events or NDJSON, the canonical JSON
//! of every item either way. Bytes are produced per batch of items, never per event.

use session_domain::{EventFilter, JsonWriter};
use session_ports::SubscriptionItem;

use crate::SessionId;

/// The two wire formats of the event stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// `text/event-stream`: `id: <session>:<seq>` and `data: <json>` per event.
    ServerSentEvents,
    /// `application/x-ndjson`: one canonical JSON line per item.
    NdJson,
}

impl StreamFormat {
    /// The format a request's `Accept` header asks for: NDJSON when it names
    /// `application/x-ndjson`, else SSE.
    pub fn from_accept(accept: Option<&str>) -> Self {
        let wants_ndjson = accept.is_some_and(|accept| {
            accept
                .split(',')
                .any(|part| part.trim().starts_with("application/x-ndjson"))
        });
        if wants_ndjson {
            Self::NdJson
        } else {
            Self::ServerSentEvents
        }
    }

    /// The `Content-Type` of the response.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::ServerSentEvents => "text/event-stream",
            Self::NdJson => "application/x-ndjson",
        }
    }
}

/// Writes items of one stream: filtered, framed, their JSON written once.
#[derive(Debug)]
pub struct StreamEncoder {
    format: StreamFormat,
    session: String,
    filter: EventFilter,
    json: JsonWriter,
    line: Vec<u8>,
}

impl StreamEncoder {
    /// An encoder for one connection.
    pub fn new(format: StreamFormat, session: SessionId, filter: EventFilter) -> Self {
        Self {
            format,
            session: session.to_string(),
            filter,
            json: JsonWriter::default(),
            line: Vec::new(),
        }
    }

    /// What the stream starts with: SSE tells the client to retry after one second.
    pub fn preamble(&self, out: &mut Vec<u8>) {
        if self.format == StreamFormat::ServerSentEvents {
            out.extend_from_slice(b"retry: 1000\n\n");
        }
    }

    /// Appends one item, unless the filter hides it. A `missed` item is never hidden.
    pub fn item(&mut self, item: &SubscriptionItem, out: &mut Vec<u8>) {
        if let SubscriptionItem::Event(event) = item {
            if !self.filter.passes(&event.view()) {
                return;
            }
        }
        match self.format {
            StreamFormat::NdJson => item.write_json_line(&mut self.json, out),
            StreamFormat::ServerSentEvents => {
                self.line.clear();
                item.write_json_line(&mut self.json, &mut self.line);
                if let SubscriptionItem::Event(event) = item {
                    out.extend_from_slice(b"id: ");
                    out.extend_from_slice(self.session.as_bytes());
                    out.push(b':');
                    out.extend_from_slice(event.seq().to_string().as_bytes());
                    out.push(b'\n');
                }
                // The canonical JSON is one line: its `\n` ends the data line.
                out.extend_from_slice(b"data: ");
                out.extend_from_slice(&self.line);
                out.push(b'\n');
            }
        }
    }

    /// Keeps an idle connection open: an SSE comment, or an empty NDJSON line (readers skip
    /// empty lines).
    pub fn heartbeat(&self, out: &mut Vec<u8>) {
        match self.format {
            StreamFormat::ServerSentEvents => out.extend_from_slice(b": keep-alive\n\n"),
            StreamFormat::NdJson => out.push(b'\n'),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use session_domain::{
        EventKind, EventLog, EventRef, LineBatch, LogLimits, Severity, Timestamp,
    };

    use super::*;

    fn event() -> SubscriptionItem {
        let mut log = EventLog::new(LogLimits::default());
        let batch = log
            .append_lines(
                1,
                LineBatch::session_line(Timestamp::EPOCH, Severity::Info, "hi\nthere"),
            )
            .expect("stored");
        SubscriptionItem::Event(EventRef::new(Arc::clone(&batch), 0).expect("inside"))
    }

    fn encode(format: StreamFormat, filter: EventFilter, items: &[SubscriptionItem]) -> String {
        let mut encoder = StreamEncoder::new(format, SessionId::from_bits(0xab), filter);
        let mut out = Vec::new();
        encoder.preamble(&mut out);
        for item in items {
            encoder.item(item, &mut out);
        }
        encoder.heartbeat(&mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn server_sent_events_carry_ids_and_one_data_line() {
        let text = encode(
            StreamFormat::ServerSentEvents,
            EventFilter::default(),
            &[SubscriptionItem::Missed { count: 3 }, event()],
        );
        assert_eq!(
            text,
            concat!(
                "retry: 1000\n\n",
                "data: {\"kind\":\"missed\",\"count\":3}\n\n",
                "id: 00000000000000ab:1\n",
                "data: {\"kind\":\"log\",\"seq\":1,\"run\":1,\"at\":\"1970-01-01T00:00:00.000000000Z\",\"source\":\"session\",\"severity\":\"info\",\"message\":\"hi there\"}\n\n",
                ": keep-alive\n\n"
            )
        );
    }

    #[test]
    fn ndjson_is_the_canonical_lines() {
        let text = encode(
            StreamFormat::NdJson,
            EventFilter::default(),
            &[SubscriptionItem::Missed { count: 3 }, event()],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "{\"kind\":\"missed\",\"count\":3}");
        assert!(lines[1].starts_with("{\"kind\":\"log\",\"seq\":1,"));
        assert_eq!(lines[2], "", "the heartbeat is an empty line");
    }

    #[test]
    fn filters_hide_events_but_never_a_missed_item() {
        let only_states = EventFilter {
            kinds: Some(vec![EventKind::State]),
            ..EventFilter::default()
        };
        let text = encode(
            StreamFormat::NdJson,
            only_states,
            &[event(), SubscriptionItem::Missed { count: 1 }],
        );
        assert_eq!(text, "{\"kind\":\"missed\",\"count\":1}\n\n");
    }

    #[test]
    fn the_accept_header_chooses_the_format() {
        assert_eq!(
            StreamFormat::from_accept(None),
            StreamFormat::ServerSentEvents
        );
        assert_eq!(
            StreamFormat::from_accept(Some("text/event-stream")),
            StreamFormat::ServerSentEvents
        );
        assert_eq!(
            StreamFormat::from_accept(Some("text/plain, application/x-ndjson;q=0.9")),
            StreamFormat::NdJson
        );
    }
}
