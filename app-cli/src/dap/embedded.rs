//! A session of the adapter's own, for a project no server holds: on a thread of its own like
//! `serve`'s (the runtime's `PR_SET_PDEATHSIG` follows the spawning thread), holding the
//! project lock for as long as the adapter runs.

use std::path::Path;

use adapter_dap::PlayFailed;
use session_domain::{RunGoal, RunMode, RunNumber};
use session_ports::{ExecutionSession, PlayOutcome, PlayRequest, Subscription};

use crate::config::load;
use crate::plan::project_paths;
use crate::serve::session_thread::SessionThread;
use crate::state_folder::{self, ProjectLock};

/// The embedded session and what keeps the project ours.
#[derive(Debug)]
pub(super) struct Embedded {
    thread: SessionThread,
    session: ExecutionSession,
    _lock: ProjectLock,
}

impl Embedded {
    /// Checks the project as `serve` does (its configuration, its state folder, its lock),
    /// then starts the session. Every failure is the one line the command line would print.
    pub(super) fn open(project: &Path) -> Result<Self, PlayFailed> {
        let paths =
            project_paths(Some(project), None).map_err(|fatal| PlayFailed::new(fatal.message))?;
        let config =
            load(&paths.config_path).map_err(|error| PlayFailed::new(error.to_string()))?;
        let folder = state_folder::open(&paths.project_root)
            .map_err(|error| PlayFailed::new(error.to_string()))?;
        let lock = folder
            .lock()
            .map_err(|error| PlayFailed::new(error.to_string()))?;
        let thread = SessionThread::for_project(&paths, &config)
            .map_err(|fatal| PlayFailed::new(fatal.message))?;
        let session = thread.session();
        Ok(Self {
            thread,
            session,
            _lock: lock,
        })
    }

    /// The session.
    pub(super) fn session(&self) -> &ExecutionSession {
        &self.session
    }

    /// Stops the run if one is active, waits until every process is reaped, and ends the
    /// session's thread.
    pub(super) async fn shut_down(self) {
        self.session.shutdown().await;
        self.thread.finish();
    }
}

/// Follows the session from now on and plays; the subscription starts before the play, so
/// that the run's first event is in it.
pub(super) async fn play(
    session: &ExecutionSession,
    mode: Option<RunMode>,
) -> (Result<RunNumber, PlayFailed>, Option<Subscription>) {
    let subscription = session.subscribe(session.snapshot().last_seq);
    let request = PlayRequest {
        goal: RunGoal::Play,
        mode,
    };
    match session.play(request).await {
        Ok(PlayOutcome::Started { run }) => (Ok(run), Some(subscription)),
        Ok(PlayOutcome::Ignored { state }) => (
            Err(PlayFailed::new(format!(
                "the project's run is already active ({state}); the play was ignored: stop it first"
            ))),
            None,
        ),
        Ok(PlayOutcome::Refused { reason }) => (Err(PlayFailed::new(reason.message())), None),
        Err(closed) => (Err(PlayFailed::new(closed.to_string())), None),
    }
}
