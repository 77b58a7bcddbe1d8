//! What every request handler shares: the session, who this server is, and how to ask it to
//! shut down.

use std::sync::Arc;

use session_ports::ExecutionSession;
use tokio::sync::watch;

use crate::{SessionId, Token, Transport};

/// The server's identity and its session; one per `serve` process.
#[derive(Debug)]
pub struct ApiContext {
    /// The session every request drives.
    pub session: ExecutionSession,
    /// This server's session id.
    pub id: SessionId,
    /// The project root, as the snapshot shows it.
    pub project: String,
    /// The secret a TCP client must present.
    pub token: Token,
    shutdown: watch::Sender<bool>,
}

impl ApiContext {
    /// The context of a server for `session`.
    pub fn new(session: ExecutionSession, id: SessionId, project: String, token: Token) -> Self {
        Self {
            session,
            id,
            project,
            token,
            shutdown: watch::Sender::new(false),
        }
    }

    /// Asks the server's owner to shut down (`POST /v1/shutdown`).
    pub fn request_shutdown(&self) {
        self.shutdown.send_replace(true);
    }

    /// Resolves once a shutdown was asked through the API.
    pub async fn shutdown_requested(&self) {
        let mut asked = self.shutdown.subscribe();
        // An error means the sender is gone, which cannot happen while `self` lives.
        let _ = asked.wait_for(|asked| *asked).await;
    }
}

/// The state each listener's router carries: the shared context and how requests arrive.
#[derive(Debug, Clone)]
pub(crate) struct ApiState {
    pub(crate) context: Arc<ApiContext>,
    pub(crate) transport: Transport,
}
