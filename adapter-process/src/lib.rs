//! Supervised child processes: the mechanism both adapters share.
//!
//! Every child runs in its own process group with stdin on the null device; its stdout and
//! stderr are read concurrently, as bytes, through the domain's line framer; a stop signals
//! the whole group (SIGTERM, `stop_grace`, SIGKILL); after the child exits, its pipes are read
//! to end of file and whatever it left in its group is ended; every process is reaped before
//! the report is returned. The approach follows cargo-nextest's and watchexec's.
//!
//! `adapter-shipper` and `adapter-runtime` both supervise through this crate, so that there is
//! one set of rules and one process-wide registry of live groups (the panic hook's list, and
//! how the subreaper sweep tells an adopted process from one we spawned).
#![warn(missing_docs)]

#[cfg(not(unix))]
compile_error!(
    "prometeu-session supervises process groups with Unix signals; Windows needs a port to job objects"
);

mod actions;
mod adopted;
mod command_text;
mod deadline;
mod escalation;
mod group;
mod guard;
mod guardian;
mod guardian_main;
mod leftovers;
mod linger;
mod pipes;
mod procfs;
mod program;
mod reader;
mod registry;
mod report;
mod spawn;
mod spec;
mod stop_control;
mod supervisor;
mod sweep;

pub use adopted::{become_subreaper, is_subreaper, reap_adopted, reap_adopted_as_they_exit};
pub use command_text::display_command;
pub use deadline::deadline_after;
pub use guardian::{GUARDIAN_ARG, Guardian, GuardianError, RUN_MARKER_VAR, start_guardian};
pub use guardian_main::run_guardian_if_asked;
pub use program::{is_bare_name, is_executable_file, resolve_program};
pub use registry::kill_all_groups;
pub use report::{ExitWatch, ProcessReport, Supervised};
pub use spawn::{SpawnError, spawn};
pub use spec::{ProcessSpec, ProcessTiming};
pub use stop_control::{StopControl, StopLevel};
