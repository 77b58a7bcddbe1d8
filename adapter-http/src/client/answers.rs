//! The answers of the API as a client reads them. Unknown fields are ignored, so that a newer
//! server's additions do not break an older client.

use serde::{Deserialize, Serialize};
use session_domain::{Failure, RunNumber, Seq, SessionState};

/// `GET /v1/session`: the session's snapshot, and who answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// The session id (16 hex digits), new at every server start.
    pub session: String,
    /// The project root the server runs.
    pub project: String,
    /// The server's version.
    pub version: String,
    /// The session's state.
    pub state: SessionState,
    /// The current (or last) run's number; 0 before the first.
    pub run: RunNumber,
    /// The `seq` of the current run's first event; 0 before the first run.
    pub run_first_seq: Seq,
    /// The newest event's `seq`; 0 before the first.
    pub last_seq: Seq,
    /// The oldest event still held.
    pub oldest_held_seq: Seq,
    /// How many events were evicted from the server's buffer so far.
    pub evicted_total: u64,
    /// The runtime, while one runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeStatus>,
    /// Why the last run failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_failure: Option<Failure>,
}

/// The running runtime, in the snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuntimeStatus {
    /// Its process id.
    pub pid: u32,
    /// Its version, from the DevTools handshake (debug mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The cartridge it reported in the handshake.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cartridge: Option<CartridgeStatus>,
}

/// The cartridge a runtime reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[expect(missing_docs, reason = "the fields are those of the manifest")]
pub struct CartridgeStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_mode: Option<String>,
}

/// `POST /v1/play`'s answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayAnswer {
    /// The run started; its events carry this run number.
    Started {
        /// The new run's number.
        run: RunNumber,
    },
    /// A run is active; nothing was read or changed.
    Ignored {
        /// The active run's state.
        state: SessionState,
    },
    /// The configuration is invalid (422): nothing ran.
    Refused {
        /// The configuration's one line.
        detail: String,
    },
}

/// The `{"outcome":...}` bodies, as sent.
#[derive(Debug, Deserialize)]
pub(crate) struct OutcomeBody {
    pub(crate) outcome: String,
    #[serde(default)]
    pub(crate) run: Option<RunNumber>,
    #[serde(default)]
    pub(crate) state: Option<SessionState>,
}
