//! What to run, and the timing and framing rules it runs under.

use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use session_domain::Source;

/// What to run.
#[derive(Debug, Clone)]
pub struct ProcessSpec {
    /// How the session lines name it ("build", "runtime").
    pub label: String,
    /// The source of its output lines.
    pub source: Source,
    /// The program, already resolved (an absolute path or one relative to `cwd`).
    pub program: PathBuf,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Its working directory.
    pub cwd: PathBuf,
    /// Variables added to the inherited environment.
    pub env: Vec<(OsString, OsString)>,
    /// Linux: the child gets SIGKILL when the thread that spawned it ends
    /// (`PR_SET_PDEATHSIG`). Spawn from a long-lived thread, never inside `spawn_blocking`.
    pub die_with_parent: bool,
}

/// The timing and framing rules for one process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessTiming {
    /// SIGTERM to the group, then SIGKILL after this; zero kills at once.
    pub stop_grace: Duration,
    /// After the process exits, how long its pipes may stay open before its leftover group is
    /// ended.
    pub pipe_grace: Duration,
    /// Lines are cut at this many bytes.
    pub max_line: NonZeroUsize,
}
