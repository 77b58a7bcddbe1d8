//! One HTTP/1.1 connection to the server, and the raw exchange of a request and its answer.
//!
//! Requests on one connection reach one server process: the stream is opened on the connection
//! that just read the session id, so the id it resumes with is the id of the server it reads.

use std::io;

use axum::body::Body;
use axum::http::{Method, Request, Response, StatusCode, header};
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpStream, UnixStream};

use super::endpoint::Endpoint;

/// Control answers are small; anything bigger is not from our server.
const ANSWER_LIMIT: usize = 1024 * 1024;

/// Why no connection to the server could be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Nothing listens there: the server has just stopped (or was killed).
    #[error("nothing answers at {endpoint}; the server may have just stopped: {source}")]
    NotListening {
        /// Where we tried.
        endpoint: String,
        /// The refusal (`ECONNREFUSED`, or no socket file).
        #[source]
        source: io::Error,
    },
    /// The connection could not be opened for another reason.
    #[error("cannot connect to the server at {endpoint}: {source}")]
    Io {
        /// Where we tried.
        endpoint: String,
        /// Why.
        #[source]
        source: io::Error,
    },
    /// The connection opened but HTTP could not start on it.
    #[error("cannot speak HTTP with the server at {endpoint}: {source}")]
    Handshake {
        /// Where we tried.
        endpoint: String,
        /// Why.
        #[source]
        source: hyper::Error,
    },
}

/// Why a request got no answer this client can use.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No connection could be made.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The connection broke before the whole answer arrived.
    #[error("the connection to the server broke: {source}")]
    Broken {
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The server answered, but not with what the request expects.
    #[error("the server answered {status}: {detail}")]
    Unexpected {
        /// The HTTP status.
        status: u16,
        /// The problem's `detail`, or the start of the body.
        detail: String,
    },
}

/// One open connection.
#[derive(Debug)]
pub struct Connection {
    endpoint: Endpoint,
    sender: SendRequest<Body>,
}

impl Connection {
    /// Opens a connection (inside a tokio runtime, which runs its I/O).
    pub async fn open(endpoint: &Endpoint) -> Result<Self, ConnectError> {
        let name = endpoint.to_string();
        let failed = |source: io::Error| {
            let not_listening = matches!(
                source.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
            );
            if not_listening {
                ConnectError::NotListening {
                    endpoint: name.clone(),
                    source,
                }
            } else {
                ConnectError::Io {
                    endpoint: name.clone(),
                    source,
                }
            }
        };
        let handshake_failed = |source| ConnectError::Handshake {
            endpoint: name.clone(),
            source,
        };
        let sender = match endpoint {
            Endpoint::Unix { path } => {
                let stream = UnixStream::connect(path).await.map_err(failed)?;
                start_http(stream).await.map_err(handshake_failed)?
            }
            Endpoint::Tcp { address, .. } => {
                let stream = TcpStream::connect(address).await.map_err(failed)?;
                let _ = stream.set_nodelay(true);
                start_http(stream).await.map_err(handshake_failed)?
            }
        };
        Ok(Self {
            endpoint: endpoint.clone(),
            sender,
        })
    }

    /// Where this connection goes.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Sends one request and returns the answer's head and body, unread.
    pub(crate) async fn send(
        &mut self,
        method: Method,
        path_and_query: &str,
        headers: &[(header::HeaderName, String)],
        body: Option<String>,
    ) -> Result<Response<Incoming>, RequestError> {
        let mut request = Request::builder()
            .method(method)
            .uri(path_and_query)
            .header(header::HOST, self.endpoint.host());
        if let Some(authorization) = self.endpoint.authorization() {
            request = request.header(header::AUTHORIZATION, authorization);
        }
        for (name, value) in headers {
            request = request.header(name, value);
        }
        let request = match body {
            Some(body) => request
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(body)),
            None => request.body(Body::empty()),
        }
        .map_err(|error| RequestError::Broken {
            source: Box::new(error),
        })?;
        self.sender
            .ready()
            .await
            .map_err(|source| RequestError::Broken {
                source: Box::new(source),
            })?;
        self.sender
            .send_request(request)
            .await
            .map_err(|source| RequestError::Broken {
                source: Box::new(source),
            })
    }

    /// Sends one request and reads its whole answer: `(status, body)`.
    pub(crate) async fn exchange(
        &mut self,
        method: Method,
        path: &str,
        body: Option<String>,
    ) -> Result<(StatusCode, axum::body::Bytes), RequestError> {
        let response = self.send(method, path, &[], body).await?;
        let status = response.status();
        let bytes = axum::body::to_bytes(Body::new(response.into_body()), ANSWER_LIMIT)
            .await
            .map_err(|source| RequestError::Broken {
                source: Box::new(source),
            })?;
        Ok((status, bytes))
    }
}

/// Starts HTTP/1.1 on an open stream; the connection's I/O runs on a task of its own until
/// both sides are done with it.
async fn start_http<S>(stream: S) -> Result<SendRequest<Body>, hyper::Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "client connection ended with an error");
        }
    });
    Ok(sender)
}

/// An answer the request does not expect, with the problem's one line when there is one.
pub(crate) fn unexpected(status: StatusCode, body: &[u8]) -> RequestError {
    RequestError::Unexpected {
        status: status.as_u16(),
        detail: problem_detail(body),
    }
}

/// The `detail` of a problem+json body, else the body's first line (cut to a readable length).
pub(crate) fn problem_detail(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Problem {
        detail: String,
    }
    match serde_json::from_slice::<Problem>(body) {
        Ok(problem) => problem.detail,
        Err(_) => {
            let text = String::from_utf8_lossy(body);
            let line: String = text
                .lines()
                .next()
                .unwrap_or("")
                .chars()
                .take(200)
                .collect();
            if line.is_empty() {
                "(no detail)".to_owned()
            } else {
                line
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_gives_its_detail_anything_else_its_first_line() {
        assert_eq!(
            problem_detail(br#"{"type":"x","title":"t","status":422,"detail":"one line"}"#),
            "one line"
        );
        assert_eq!(problem_detail(b"oops\nmore"), "oops");
        assert_eq!(problem_detail(b""), "(no detail)");
    }
}
