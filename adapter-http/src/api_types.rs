//! The JSON bodies of the API, as the OpenAPI document describes them.

use serde::{Deserialize, Serialize};
use session_domain::{Failure, RunGoal, RunMode, Snapshot};

/// `GET /v1/session`: the snapshot, plus who answers.
#[derive(Debug, Serialize)]
pub(crate) struct SessionView {
    pub(crate) session: String,
    pub(crate) project: String,
    pub(crate) version: &'static str,
    pub(crate) state: &'static str,
    pub(crate) run: u64,
    pub(crate) run_first_seq: u64,
    pub(crate) last_seq: u64,
    pub(crate) oldest_held_seq: u64,
    pub(crate) evicted_total: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) runtime: Option<RuntimeView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) last_failure: Option<Failure>,
}

/// The running runtime, in the snapshot.
#[derive(Debug, Serialize)]
pub(crate) struct RuntimeView {
    pub(crate) pid: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cartridge: Option<CartridgeView>,
}

/// The cartridge a runtime reported in its handshake.
#[derive(Debug, Serialize)]
pub(crate) struct CartridgeView {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app_id: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) app_mode: Option<String>,
}

impl SessionView {
    pub(crate) fn new(snapshot: Snapshot, session: String, project: String) -> Self {
        Self {
            session,
            project,
            version: env!("CARGO_PKG_VERSION"),
            state: snapshot.state.as_str(),
            run: snapshot.run,
            run_first_seq: snapshot.run_first_seq,
            last_seq: snapshot.last_seq,
            oldest_held_seq: snapshot.oldest_held_seq,
            evicted_total: snapshot.evicted_total,
            runtime: snapshot.runtime.map(|runtime| RuntimeView {
                pid: runtime.pid,
                version: runtime.version,
                cartridge: runtime.cartridge.map(|cartridge| CartridgeView {
                    app_id: cartridge.app_id,
                    title: cartridge.title,
                    app_version: cartridge.app_version,
                    app_mode: cartridge.app_mode,
                }),
            }),
            last_failure: snapshot.last_failure,
        }
    }
}

/// `POST /v1/play`'s body; both fields optional, nothing else allowed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PlayBody {
    #[serde(default)]
    pub(crate) goal: Option<GoalName>,
    #[serde(default)]
    pub(crate) mode: Option<ModeName>,
}

/// `POST /v1/stop`'s optional body: why, for the lifecycle line (a client's Ctrl-C says
/// `SIGINT received`, as a standalone run does).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StopBody {
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum GoalName {
    Play,
    Prepare,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ModeName {
    Run,
    Debug,
}

impl From<GoalName> for RunGoal {
    fn from(goal: GoalName) -> Self {
        match goal {
            GoalName::Play => Self::Play,
            GoalName::Prepare => Self::Prepare,
        }
    }
}

impl From<ModeName> for RunMode {
    fn from(mode: ModeName) -> Self {
        match mode {
            ModeName::Run => Self::Run,
            ModeName::Debug => Self::Debug,
        }
    }
}

/// The answers of the control endpoints: `{"outcome": "..."}` plus what goes with it.
#[derive(Debug, Serialize)]
pub(crate) struct Outcome {
    pub(crate) outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) run: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<&'static str>,
}

impl Outcome {
    pub(crate) fn just(outcome: &'static str) -> Self {
        Self {
            outcome,
            run: None,
            state: None,
        }
    }
}
