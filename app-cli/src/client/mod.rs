//! The commands that talk to a project's server (docs/command-line.md): `attach`, `stop`,
//! `kill`, `status`, and `play`/`prepare` when a server holds the project. The HTTP client is
//! adapter-http's; what lives here is finding the server, following its stream across dropped
//! connections, and showing what it sends exactly as a standalone run would.

mod attach;
mod backoff;
mod control;
mod discover;
pub(crate) mod follow;
mod output;
mod play;
mod status_text;

use std::future::Future;
use std::path::Path;

pub use attach::attach;
pub use backoff::backoff_delay;
pub use control::{kill, status, stop};
pub use discover::{DiscoveryError, SERVER_FILE_LIMIT, find_server};
pub use play::play_through_server;

use crate::exit::Fatal;

/// Runs a client on a runtime of its own: one thread is plenty for one connection or two.
fn block_on<T>(future: impl Future<Output = Result<T, Fatal>>) -> Result<T, Fatal> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Fatal::tool(format!("cannot start the async runtime: {error}")))?
        .block_on(future)
}

/// The one line when no server holds the project.
fn no_server(project_root: &Path) -> Fatal {
    Fatal::usage(format!(
        "no server runs the project {}; start one with `prometeu-session serve --project {}`",
        project_root.display(),
        project_root.display()
    ))
}
