//! The values the adapter runs on, built by frontends from settings they already validated.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use adapter_process::ProcessTiming;
use session_domain::RunMode;

/// What the adapter needs to launch a runtime: validated values, ready to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// The project root: the runtime's working directory, and the base of a relative program
    /// path.
    pub project_root: PathBuf,
    /// The program as configured: a name without `/` is looked up on `PATH` at launch,
    /// anything else resolves against `project_root` (frontends make flag paths absolute).
    pub program: PathBuf,
    /// `run` or `debug`.
    pub mode: RunMode,
    /// Debug mode: where the DevTools socket listens (a non-zero port: the runtime listens on
    /// a fixed one).
    pub debug_address: SocketAddr,
    /// Debug mode: from spawn to handshake completed (above zero).
    pub handshake_timeout: Duration,
    /// Variables added to the runtime's environment.
    pub env: BTreeMap<String, String>,
    /// Stop grace, pipe grace and the line cap (also the DevTools line cap).
    pub timing: ProcessTiming,
}
