//! The requests that answer at once: the snapshot, play, stop, kill and shutdown, each on a
//! connection of its own.

use axum::http::{Method, StatusCode};
use session_domain::{RunGoal, RunMode};
use session_ports::{KillOutcome, StopOutcome};

use super::answers::{OutcomeBody, PlayAnswer, SessionInfo};
use super::connection::{Connection, RequestError, problem_detail, unexpected};
use super::endpoint::Endpoint;

/// A client of one server.
#[derive(Debug, Clone)]
pub struct Client {
    endpoint: Endpoint,
}

impl Client {
    /// A client of the server at `endpoint`.
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint }
    }

    /// Where the server is.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Opens a connection, for requests that must reach the same server process (the
    /// snapshot, then the stream).
    pub async fn connect(&self) -> Result<Connection, super::ConnectError> {
        Connection::open(&self.endpoint).await
    }

    /// `GET /v1/session`.
    pub async fn session(&self) -> Result<SessionInfo, RequestError> {
        self.connect().await?.session().await
    }

    /// `POST /v1/play` with `{"goal":...,"mode":...}`; no `mode` keeps the server's setting.
    pub async fn play(
        &self,
        goal: RunGoal,
        mode: Option<RunMode>,
    ) -> Result<PlayAnswer, RequestError> {
        let goal = match goal {
            RunGoal::Play => "play",
            RunGoal::Prepare => "prepare",
        };
        let body = match mode {
            Some(mode) => format!(r#"{{"goal":"{goal}","mode":"{}"}}"#, mode.as_str()),
            None => format!(r#"{{"goal":"{goal}"}}"#),
        };
        let mut connection = self.connect().await?;
        let (status, bytes) = connection
            .exchange(Method::POST, "/v1/play", Some(body))
            .await?;
        if status == StatusCode::UNPROCESSABLE_ENTITY {
            return Ok(PlayAnswer::Refused {
                detail: problem_detail(&bytes),
            });
        }
        let answer = outcome(status, &bytes, &[StatusCode::ACCEPTED, StatusCode::OK])?;
        match (answer.outcome.as_str(), answer.run, answer.state) {
            ("started", Some(run), _) => Ok(PlayAnswer::Started { run }),
            ("ignored", _, Some(state)) => Ok(PlayAnswer::Ignored { state }),
            _ => Err(unexpected(status, &bytes)),
        }
    }

    /// `POST /v1/stop`, with the reason the lifecycle line shows (else the server's own).
    pub async fn stop(&self, reason: Option<&str>) -> Result<StopOutcome, RequestError> {
        let body = reason.map(|reason| serde_json::json!({ "reason": reason }).to_string());
        let mut connection = self.connect().await?;
        let (status, bytes) = connection.exchange(Method::POST, "/v1/stop", body).await?;
        match outcome(status, &bytes, &[StatusCode::OK])?.outcome.as_str() {
            "requested" => Ok(StopOutcome::Requested),
            "already_stopping" => Ok(StopOutcome::AlreadyStopping),
            "nothing_to_stop" => Ok(StopOutcome::NothingToStop),
            _ => Err(unexpected(status, &bytes)),
        }
    }

    /// `POST /v1/kill`.
    pub async fn kill(&self) -> Result<KillOutcome, RequestError> {
        let mut connection = self.connect().await?;
        let (status, bytes) = connection.exchange(Method::POST, "/v1/kill", None).await?;
        match outcome(status, &bytes, &[StatusCode::OK])?.outcome.as_str() {
            "killing" => Ok(KillOutcome::Killing),
            "nothing_to_kill" => Ok(KillOutcome::NothingToKill),
            _ => Err(unexpected(status, &bytes)),
        }
    }

    /// `POST /v1/shutdown`: the server stops its run, ends its streams and exits.
    pub async fn shutdown(&self) -> Result<(), RequestError> {
        let mut connection = self.connect().await?;
        let (status, bytes) = connection
            .exchange(Method::POST, "/v1/shutdown", None)
            .await?;
        if status == StatusCode::ACCEPTED {
            Ok(())
        } else {
            Err(unexpected(status, &bytes))
        }
    }
}

impl Connection {
    /// `GET /v1/session` on this connection.
    pub async fn session(&mut self) -> Result<SessionInfo, RequestError> {
        let (status, bytes) = self.exchange(Method::GET, "/v1/session", None).await?;
        if status != StatusCode::OK {
            return Err(unexpected(status, &bytes));
        }
        serde_json::from_slice(&bytes).map_err(|_| unexpected(status, &bytes))
    }
}

/// An `{"outcome":...}` body with one of the expected statuses.
fn outcome(
    status: StatusCode,
    bytes: &[u8],
    expected: &[StatusCode],
) -> Result<OutcomeBody, RequestError> {
    if !expected.contains(&status) {
        return Err(unexpected(status, bytes));
    }
    serde_json::from_slice(bytes).map_err(|_| unexpected(status, bytes))
}
