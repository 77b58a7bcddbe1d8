//! Supervised child processes: the mechanism both adapters share.
//!
//! Every child runs in its own process group with stdin on the null device; its stdout and
//! stderr are read concurrently, as bytes, through the domain's line framer; a stop signals
//! the whole group (SIGTERM, `stop_grace`, SIGKILL); after the child exits, its pipes are read
//! to end of file and whatever it left in its group is ended; every process is reaped before
//! the report is returned. The approach follows cargo-nextest's and watchexec's.
//!
//! `adapter-runtime` reuses this module rather than keeping a second copy of the rules.

#[cfg(not(unix))]
compile_error!(
    "prometeu-session supervises process groups with Unix signals; Windows needs a port to job objects"
);

mod adopted;
mod group;
mod program;
mod reader;
mod registry;
mod supervise;

use std::ffi::OsString;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use session_domain::Source;

pub use adopted::{become_subreaper, is_subreaper, reap_adopted};
pub use program::{is_bare_name, is_executable_file, resolve_program};
pub use registry::kill_all_groups;
pub use supervise::{
    ExitWatch, ProcessReport, SpawnError, StopControl, StopLevel, Supervised, deadline_after,
    human_duration, spawn,
};

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
