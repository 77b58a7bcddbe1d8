//! Finding a project's live server: `server.json` in the state folder, read without following
//! a link, trusted only while the project lock is held by the pid the file names. A file whose
//! lock is free (its server died) or held by another process (a standalone run) is stale.

use std::path::{Path, PathBuf};

use adapter_http::{SERVER_FILE_NAME, ServerFile};

use crate::state_folder::{self, LockError, LockProbe, StateFileError, StateFolderError};

/// `server.json` is a few hundred bytes; anything much larger is not a server's.
pub const SERVER_FILE_LIMIT: u64 = 64 * 1024;

/// Why the project's server could not be looked for.
#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    /// The state folder cannot be used (a link, not a folder, unreadable).
    #[error(transparent)]
    Folder(#[from] StateFolderError),
    /// The lock cannot be looked at.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// `server.json` cannot be read.
    #[error(transparent)]
    Read(#[from] StateFileError),
    /// `server.json` of a live holder is not what a server writes.
    #[error(
        "{}: is not a server's file ({source}); the process holding the project may not be a prometeu-session server",
        path.display()
    )]
    Malformed {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
}

/// The live server of the project at `project_root`, or `None` when there is none.
pub fn find_server(project_root: &Path) -> Result<Option<ServerFile>, DiscoveryError> {
    let Some(folder) = state_folder::open_existing(project_root)? else {
        return Ok(None);
    };
    let holder = match folder.probe_lock()? {
        LockProbe::Free => return Ok(None),
        LockProbe::Held { pid } => pid,
    };
    let Some(bytes) = folder.read_private(SERVER_FILE_NAME, SERVER_FILE_LIMIT)? else {
        // A standalone run, or a server that has not written its file yet.
        return Ok(None);
    };
    let file: ServerFile =
        serde_json::from_slice(&bytes).map_err(|source| DiscoveryError::Malformed {
            path: folder.path().join(SERVER_FILE_NAME),
            source,
        })?;
    // The lock's holder wrote its pid once it held it: another pid means the file was left by
    // a server that is gone, and the project is held by something else now.
    Ok((holder == Some(file.pid)).then_some(file))
}
