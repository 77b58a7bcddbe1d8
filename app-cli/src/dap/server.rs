//! The project's live server, for a launch (its run is the server's, played through the API)
//! or an attach (its current run, followed). The server keeps its run when the adapter ends;
//! the adapter only asks it to stop or kill when the client says so.

use std::path::{Path, PathBuf};

use adapter_dap::PlayFailed;
use adapter_http::ServerFile;
use adapter_http::client::{Client, Endpoint, EventsRequest, PlayAnswer, SessionInfo};
use session_domain::{RunGoal, RunMode, RunNumber};

use crate::client::follow::Follower;

/// A server of the project, reached through its `server.json`.
#[derive(Debug)]
pub(super) struct Server {
    root: PathBuf,
    file: ServerFile,
    client: Client,
}

impl Server {
    pub(super) fn new(root: &Path, file: ServerFile) -> Result<Self, PlayFailed> {
        let endpoint = Endpoint::of(&file).map_err(|error| PlayFailed::new(error.to_string()))?;
        Ok(Self {
            root: root.to_owned(),
            file,
            client: Client::new(endpoint),
        })
    }

    /// Follows the server's events from its newest one on, then asks it to play: the run's
    /// first event is then in the stream, as `play` through a server does it.
    pub(super) async fn play(
        &self,
        mode: Option<RunMode>,
    ) -> (Result<RunNumber, PlayFailed>, Option<Follower>) {
        let follower = match self
            .follow(|info| EventsRequest {
                after: Some(info.last_seq),
                ..EventsRequest::default()
            })
            .await
        {
            Ok((follower, _)) => follower,
            Err(failed) => return (Err(failed), None),
        };
        match self.client.play(RunGoal::Play, mode).await {
            Ok(PlayAnswer::Started { run }) => (Ok(run), Some(follower)),
            Ok(PlayAnswer::Ignored { state }) => (
                Err(PlayFailed::new(format!(
                    "the server of {} is already in a run ({state}); this play was ignored and that run left alone; follow it with an attach configuration",
                    self.root.display()
                ))),
                None,
            ),
            Ok(PlayAnswer::Refused { detail }) => (Err(PlayFailed::new(detail)), None),
            Err(error) => (Err(PlayFailed::new(error.to_string())), None),
        }
    }

    /// Follows the server's current run from its first event (the next run, when it has had
    /// none yet).
    pub(super) async fn attach(&self) -> (Result<Option<RunNumber>, PlayFailed>, Option<Follower>) {
        let started = self
            .follow(|info| EventsRequest {
                after: Some(if info.run == 0 {
                    info.last_seq
                } else {
                    info.run_first_seq.saturating_sub(1)
                }),
                ..EventsRequest::default()
            })
            .await;
        match started {
            Ok((follower, info)) => (Ok((info.run != 0).then_some(info.run)), Some(follower)),
            Err(failed) => (Err(failed), None),
        }
    }

    pub(super) async fn stop(&self) {
        if let Err(error) = self
            .client
            .stop(Some("stop requested by the debug client"))
            .await
        {
            tracing::warn!(%error, "cannot ask the server to stop");
        }
    }

    pub(super) async fn kill(&self) {
        if let Err(error) = self.client.kill().await {
            tracing::warn!(%error, "cannot ask the server to kill the run");
        }
    }

    async fn follow(
        &self,
        start: impl FnOnce(&SessionInfo) -> EventsRequest,
    ) -> Result<(Follower, SessionInfo), PlayFailed> {
        Follower::open(self.root.clone(), &self.file, start)
            .await
            .map_err(|error| PlayFailed::new(error.to_string()))
    }
}
