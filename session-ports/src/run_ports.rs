//! The port that gives each run its ports, built from settings read when that run is asked
//! for: a file changed between two plays is used by the second.

use std::sync::Arc;

use async_trait::async_trait;
use session_domain::{RunGoal, RunMode};

use crate::{RuntimeSource, ShipperSource};

/// What a frontend asks for when it presses Play.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlayRequest {
    /// Play (prepare, then run) or prepare only.
    pub goal: RunGoal,
    /// Overrides the configured runtime mode for this run only; `None` keeps the configured one.
    pub mode: Option<RunMode>,
}

impl From<RunGoal> for PlayRequest {
    /// A request for `goal` in the configured mode.
    fn from(goal: RunGoal) -> Self {
        Self { goal, mode: None }
    }
}

/// The ports one run is driven through.
#[derive(Clone)]
pub struct RunPorts {
    /// Preparation.
    pub shipper: Arc<dyn ShipperSource>,
    /// The runtime (a prepare-only run never launches it).
    pub runtime: Arc<dyn RuntimeSource>,
}

impl std::fmt::Debug for RunPorts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunPorts").finish_non_exhaustive()
    }
}

/// The settings a play would run with do not validate: nothing started.
///
/// Its text is the one line a command-line frontend prints for exit status 2 (without the
/// `prometeu-session: error: ` prefix), naming the file and key or the flag, what was found
/// and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct SettingsRejected {
    message: String,
}

impl SettingsRejected {
    /// A rejection saying `message` (one line).
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }

    /// The one line.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// Builds a run's ports from settings read now. Called once per play that starts a run, never
/// while a run is active (such a play is ignored without reading anything).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RunPortsFactory: Send + Sync {
    /// Reads and validates the settings for `request` and builds the run's ports, or says in
    /// one line why they cannot be used. Must not start anything: the run has not begun.
    async fn ports_for(&self, request: &PlayRequest) -> Result<RunPorts, SettingsRejected>;
}

/// A fixed set of ports serves every play unchanged, whatever its mode (for tests, and for
/// embedders whose settings never change).
#[async_trait]
impl RunPortsFactory for RunPorts {
    async fn ports_for(&self, _request: &PlayRequest) -> Result<RunPorts, SettingsRejected> {
        Ok(self.clone())
    }
}
