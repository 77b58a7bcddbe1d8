//! Following a server's stream across dropped connections: each new connection reads the
//! session id first and opens the stream on the same connection (so both answers come from
//! one server process), resuming with `Last-Event-ID` after the last event read; a new session
//! id (a restarted server) is followed from its start.

use std::path::PathBuf;

use adapter_http::ServerFile;
use adapter_http::client::{
    Connection, Endpoint, EventStream, EventsRequest, RequestError, SessionInfo, StreamError,
    StreamItem,
};
use session_domain::Seq;

use super::backoff::backoff_delay;
use super::discover::find_server;

/// What following gave next.
#[derive(Debug)]
pub(crate) enum Followed {
    /// An item of the stream.
    Item(StreamItem),
    /// The server was replaced; its stream is followed from its start from now on.
    NewSession {
        /// The id of the session that is gone.
        old: String,
        /// The new one's.
        new: String,
    },
    /// An attempt to reach the server again failed; the next call tries again.
    Lost(Lost),
    /// The stream ended as asked (`follow=false`).
    Ended,
}

/// Why the server could not be reached again.
#[derive(Debug)]
pub(crate) enum Lost {
    /// No live server holds the project.
    NoServer,
    /// A server holds it but did not answer.
    Unreachable(String),
}

/// Why following could not start.
#[derive(Debug, thiserror::Error)]
pub(crate) enum FollowError {
    /// `server.json` names no usable address.
    #[error(transparent)]
    Endpoint(#[from] adapter_http::client::EndpointError),
    /// The server did not answer as expected.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

/// One client's reading of a server's stream.
#[derive(Debug)]
pub(crate) struct Follower {
    project_root: PathBuf,
    session: String,
    last_seq: Option<Seq>,
    request: EventsRequest,
    stream: Option<EventStream>,
    attempt: u32,
}

impl Follower {
    /// Connects to `server`, reads its snapshot, and opens the stream that `start` asks for
    /// given it (on the same connection).
    pub(crate) async fn open(
        project_root: PathBuf,
        server: &ServerFile,
        start: impl FnOnce(&SessionInfo) -> EventsRequest,
    ) -> Result<(Self, SessionInfo), FollowError> {
        let endpoint = Endpoint::of(server)?;
        let mut connection = Connection::open(&endpoint)
            .await
            .map_err(|error| StreamError::from(RequestError::from(error)))?;
        let info = connection.session().await.map_err(StreamError::from)?;
        let request = start(&info);
        let stream = connection.events(&request).await?;
        let follower = Self {
            project_root,
            session: info.session.clone(),
            last_seq: None,
            request,
            stream: Some(stream),
            attempt: 0,
        };
        Ok((follower, info))
    }

    /// The next item, or what happened instead. Cancel-safe: a cancelled reconnection starts
    /// again at the next call.
    pub(crate) async fn next(&mut self) -> Followed {
        loop {
            if let Some(stream) = &mut self.stream {
                match stream.next().await {
                    Ok(Some(item)) => {
                        self.note(&item);
                        return Followed::Item(item);
                    }
                    Ok(None) if self.request.no_follow => {
                        self.stream = None;
                        return Followed::Ended;
                    }
                    // The server ended the stream: it is shutting down.
                    Ok(None) => self.stream = None,
                    Err(error) => {
                        tracing::debug!(%error, "the event stream broke; resuming");
                        self.stream = None;
                    }
                }
            }
            let delay = backoff_delay(self.attempt);
            self.attempt = self.attempt.saturating_add(1);
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match self.reconnect().await {
                Ok(Some((old, new))) => return Followed::NewSession { old, new },
                Ok(None) => {}
                Err(lost) => return Followed::Lost(lost),
            }
        }
    }

    /// `--no-follow`: the stream ends at what the server held when it was opened.
    pub(crate) fn is_one_shot(&self) -> bool {
        self.request.no_follow
    }

    /// An item already read from the connection, if there is one; never waits.
    pub(crate) fn try_next(&mut self) -> Option<StreamItem> {
        let stream = self.stream.as_mut()?;
        match stream.try_next() {
            Ok(item) => {
                if let Some(item) = &item {
                    self.note(item);
                }
                item
            }
            Err(error) => {
                tracing::debug!(%error, "the event stream broke; resuming");
                self.stream = None;
                None
            }
        }
    }

    /// Where to resume after `item`; reading again resets the back-off.
    fn note(&mut self, item: &StreamItem) {
        if let StreamItem::Event(event) = item {
            self.last_seq = Some(event.seq());
        }
        self.attempt = 0;
    }

    /// Finds the server again (it may have moved), and resumes its stream; `Some` names the
    /// old and new session ids when the server was replaced.
    async fn reconnect(&mut self) -> Result<Option<(String, String)>, Lost> {
        let unreachable = |error: &dyn std::fmt::Display| Lost::Unreachable(error.to_string());
        let server = match find_server(&self.project_root) {
            Ok(Some(server)) => server,
            Ok(None) => return Err(Lost::NoServer),
            Err(error) => return Err(unreachable(&error)),
        };
        let endpoint = Endpoint::of(&server).map_err(|error| unreachable(&error))?;
        let mut connection = Connection::open(&endpoint)
            .await
            .map_err(|error| unreachable(&error))?;
        let info = connection
            .session()
            .await
            .map_err(|error| unreachable(&error))?;
        let mut request = self.request.clone();
        let replaced = if info.session == self.session {
            if let Some(seq) = self.last_seq {
                request.last_event_id = Some((self.session.clone(), seq));
            }
            None
        } else {
            // Every seq we held belongs to a server that is gone: start over from the oldest
            // event the new one holds.
            let old = std::mem::replace(&mut self.session, info.session.clone());
            self.last_seq = None;
            self.request.after = None;
            request.after = None;
            Some((old, info.session))
        };
        self.stream = Some(
            connection
                .events(&request)
                .await
                .map_err(|error| unreachable(&error))?,
        );
        Ok(replaced)
    }
}
