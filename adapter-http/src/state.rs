//! What every request handler shares: the session, who this server is, and how to ask it to
//! shut down.

use std::sync::Arc;

use session_ports::ExecutionSession;
use tokio::sync::watch;

use crate::{SessionId, Token, Transport, WebLogin};

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
    /// The web workspace's login, when this server serves the workspace.
    web: Option<WebLogin>,
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
            web: None,
            shutdown: watch::Sender::new(false),
        }
    }

    /// This context, with the web workspace's login (its code and cookie secret).
    #[must_use]
    pub fn with_web_login(mut self, login: WebLogin) -> Self {
        self.web = Some(login);
        self
    }

    /// The web workspace's login, if any.
    pub fn web_login(&self) -> Option<&WebLogin> {
        self.web.as_ref()
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
