//! `GET /v1/events`: the resumable event stream, in SSE or NDJSON.
//!
//! The connection reads its subscription at the pace the client reads the socket: nothing is
//! queued for a slow client beyond one chunk, so it never slows the run or another client, and
//! what it fell behind by reaches it as a `missed` item.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use session_domain::Seq;
use session_ports::{Subscription, SubscriptionItem};
use tokio::time::{Instant, Interval, MissedTickBehavior, interval_at};

use crate::problem::Problem;
use crate::state::ApiState;
use crate::{StreamEncoder, StreamFormat, parse_stream_query, start_after};

/// How often an idle stream says it is alive.
const HEARTBEAT: Duration = Duration::from_secs(15);

/// A chunk is written once it holds this much; a client holds at most about this much of
/// ours in flight, on top of what its socket buffers.
const CHUNK_BYTES: usize = 64 * 1024;

pub(crate) async fn events(
    State(state): State<ApiState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, Problem> {
    let query = query.unwrap_or_default();
    let pairs = form_urlencoded::parse(query.as_bytes()).into_owned();
    let query =
        parse_stream_query(pairs).map_err(|error| Problem::bad_request(error.to_string()))?;
    let last_event_id = match headers.get("last-event-id") {
        None => None,
        Some(value) => Some(value.to_str().map_err(|_| {
            Problem::bad_request("Last-Event-ID is not text; send back an id this server gave")
        })?),
    };
    let context = &state.context;
    let after = start_after(last_event_id, query.after.as_deref(), context.id)
        .map_err(|error| Problem::bad_request(error.to_string()))?;
    let format = StreamFormat::from_accept(
        headers
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok()),
    );
    let end = (!query.follow).then(|| context.session.snapshot().last_seq);
    let stream = EventStream {
        subscription: context.session.subscribe(after),
        encoder: StreamEncoder::new(format, context.id, query.filter),
        end,
        heartbeat: heartbeat(),
        started: false,
        done: end.is_some_and(|end| after >= end),
    };
    let mut response = Body::from_stream(stream.into_stream()).into_response();
    let response_headers = response.headers_mut();
    response_headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    response_headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // Proxies that buffer would hold events back; we send none through one, but say it.
    response_headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

fn heartbeat() -> Interval {
    let mut interval = interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    interval
}

/// One connection's reading of the session.
struct EventStream {
    subscription: Subscription,
    encoder: StreamEncoder,
    /// `follow=false`: the newest `seq` when the request came; nothing after it is sent.
    end: Option<Seq>,
    heartbeat: Interval,
    started: bool,
    done: bool,
}

impl EventStream {
    fn into_stream(
        self,
    ) -> impl futures::Stream<Item = Result<Bytes, std::convert::Infallible>> + Send + 'static {
        futures::stream::unfold(self, |mut stream| async move {
            let chunk = stream.next_chunk().await?;
            Some((Ok(Bytes::from(chunk)), stream))
        })
    }

    /// The next bytes to write: everything available now (up to a chunk), or, when nothing
    /// is, the next item or a heartbeat, whichever comes first. `None` ends the stream.
    async fn next_chunk(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        if !self.started {
            self.started = true;
            self.encoder.preamble(&mut out);
        }
        self.take_available(&mut out);
        if !out.is_empty() {
            return Some(out);
        }
        if self.done {
            return None;
        }
        tokio::select! {
            item = self.subscription.next() => match item {
                Some(item) => {
                    self.encode(&item, &mut out);
                    self.take_available(&mut out);
                }
                None => self.done = true,
            },
            _ = self.heartbeat.tick() => self.encoder.heartbeat(&mut out),
        }
        if out.is_empty() && self.done {
            None
        } else {
            Some(out)
        }
    }

    fn take_available(&mut self, out: &mut Vec<u8>) {
        while !self.done && out.len() < CHUNK_BYTES {
            let Some(item) = self.subscription.try_next() else {
                return;
            };
            self.encode(&item, out);
        }
    }

    fn encode(&mut self, item: &SubscriptionItem, out: &mut Vec<u8>) {
        if let (Some(end), SubscriptionItem::Event(event)) = (self.end, item) {
            if event.seq() > end {
                self.done = true;
                return;
            }
        }
        self.encoder.item(item, out);
        if self
            .end
            .is_some_and(|end| self.subscription.position() >= end)
        {
            self.done = true;
        }
        // Anything written restarts the idle clock.
        self.heartbeat.reset();
    }
}
