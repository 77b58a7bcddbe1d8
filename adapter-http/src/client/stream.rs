//! `GET /v1/events` as NDJSON: opened on a connection that knows which session it reads, read
//! item by item, remembering the last `seq` so that a new connection resumes after it.

use axum::body::{Body, BodyDataStream};
use axum::http::{Method, StatusCode, header};
use futures::StreamExt;
use session_domain::{EventFilter, Seq};

use super::connection::{Connection, RequestError, problem_detail};
use super::ndjson::{DecodeError, NdjsonDecoder, StreamItem};

/// Where a stream starts and what it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsRequest {
    /// `Last-Event-ID: <session>:<seq>`: resume after an event this session sent; an id of
    /// another session starts from 0.
    pub last_event_id: Option<(String, Seq)>,
    /// `after=SEQ` (when there is no `Last-Event-ID`); none is 0, the oldest event held.
    pub after: Option<Seq>,
    /// `follow=false` ends the stream at the newest event of the moment.
    pub no_follow: bool,
    /// `source`, `min_severity` and `kind`, applied by the server.
    pub filter: EventFilter,
}

/// Why the stream could not be opened, or broke.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// The request got no usable answer.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The connection broke mid-stream.
    #[error("the event stream broke: {source}")]
    Broken {
        /// Why.
        #[source]
        source: axum::Error,
    },
    /// The server sent something that is not an item.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}

/// An open event stream.
#[derive(Debug)]
pub struct EventStream {
    body: BodyDataStream,
    decoder: NdjsonDecoder,
}

impl EventsRequest {
    /// The path and query of the request.
    fn path(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(after) = self.after {
            query.append_pair("after", &after.to_string());
        }
        if self.no_follow {
            query.append_pair("follow", "false");
        }
        let join = |names: Vec<&str>| names.join(",");
        if let Some(sources) = &self.filter.sources {
            query.append_pair(
                "source",
                &join(sources.iter().map(|source| source.as_str()).collect()),
            );
        }
        if let Some(min) = self.filter.min_severity {
            query.append_pair("min_severity", min.as_str());
        }
        if let Some(kinds) = &self.filter.kinds {
            query.append_pair(
                "kind",
                &join(kinds.iter().map(|kind| kind.as_str()).collect()),
            );
        }
        let query = query.finish();
        if query.is_empty() {
            "/v1/events".to_owned()
        } else {
            format!("/v1/events?{query}")
        }
    }
}

impl Connection {
    /// Opens the event stream on this connection (which it then belongs to).
    pub async fn events(mut self, request: &EventsRequest) -> Result<EventStream, StreamError> {
        let mut headers = vec![(header::ACCEPT, "application/x-ndjson".to_owned())];
        if let Some((session, seq)) = &request.last_event_id {
            headers.push((
                header::HeaderName::from_static("last-event-id"),
                format!("{session}:{seq}"),
            ));
        }
        let response = self
            .send(Method::GET, &request.path(), &headers, None)
            .await?;
        let status = response.status();
        if status != StatusCode::OK {
            let bytes = axum::body::to_bytes(Body::new(response.into_body()), 64 * 1024)
                .await
                .unwrap_or_default();
            return Err(RequestError::Unexpected {
                status: status.as_u16(),
                detail: problem_detail(&bytes),
            }
            .into());
        }
        Ok(EventStream {
            body: Body::new(response.into_body()).into_data_stream(),
            decoder: NdjsonDecoder::default(),
        })
    }
}

impl EventStream {
    /// The next item; `None` once the server ended the stream (`follow=false`, or it shut
    /// down). Cancel-safe: bytes already read stay in the decoder.
    pub async fn next(&mut self) -> Result<Option<StreamItem>, StreamError> {
        loop {
            if let Some(item) = self.decoder.next_item()? {
                return Ok(Some(item));
            }
            match self.body.next().await {
                Some(Ok(bytes)) => self.decoder.push(&bytes),
                Some(Err(source)) => return Err(StreamError::Broken { source }),
                None => return Ok(None),
            }
        }
    }

    /// An item whose bytes have already arrived, if there is one; never waits.
    pub fn try_next(&mut self) -> Result<Option<StreamItem>, DecodeError> {
        self.decoder.next_item()
    }

    /// The `seq` of the last event read, to resume after it.
    pub fn last_seq(&self) -> Option<Seq> {
        self.decoder.last_seq()
    }
}

#[cfg(test)]
mod tests {
    use session_domain::{EventKind, Severity, Source};

    use super::*;

    #[test]
    fn the_query_carries_what_was_asked_and_nothing_else() {
        assert_eq!(EventsRequest::default().path(), "/v1/events");
        let request = EventsRequest {
            last_event_id: None,
            after: Some(12),
            no_follow: true,
            filter: EventFilter {
                sources: Some(vec![Source::Runtime, Source::PackValidation]),
                min_severity: Some(Severity::Warn),
                kinds: Some(vec![EventKind::State, EventKind::Step]),
            },
        };
        assert_eq!(
            request.path(),
            "/v1/events?after=12&follow=false&source=runtime%2Cpack-validation&min_severity=warn&kind=state%2Cstep"
        );
    }
}
