//! The project's state folder, `<project root>/.prometeu-session/`: the lock now, and
//! whatever else a session keeps about a project (a server's `server.json`).
//!
//! Nothing in it is ever reached through a symbolic link: a file of the project (or a link
//! someone planted) must never make the session write anywhere else. The folder is opened
//! with `O_DIRECTORY | O_NOFOLLOW`, and every file in it is opened relative to that
//! descriptor, so a link swapped in between a check and an open is refused too.

mod files;
mod lock;

use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

pub use files::StateFileError;
pub use lock::{LOCK_FILE_NAME, LockError, LockProbe, ProjectLock};

/// The state folder's name in the project root.
pub const STATE_FOLDER_NAME: &str = ".prometeu-session";

/// The state folder, open.
#[derive(Debug)]
pub struct StateFolder {
    path: PathBuf,
    folder: File,
}

/// Why the state folder cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum StateFolderError {
    /// It is a symbolic link, which the session never follows.
    #[error(
        "{}: is a symbolic link, which prometeu-session never follows; remove the link (the session creates the folder itself)",
        path.display()
    )]
    SymbolicLink {
        /// The folder's path.
        path: PathBuf,
    },
    /// Something other than a folder has its name.
    #[error(
        "{}: is not a directory; move it away or remove it (the session creates the folder itself)",
        path.display()
    )]
    NotAFolder {
        /// The folder's path.
        path: PathBuf,
    },
    /// It cannot be created or opened.
    #[error("{}: cannot open the state folder: {source}", path.display())]
    Io {
        /// The folder's path.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Opens the state folder of the project at `root`, creating it (mode 0700) if it is absent.
pub fn open(root: &Path) -> Result<StateFolder, StateFolderError> {
    let path = root.join(STATE_FOLDER_NAME);
    let io_error = |source| StateFolderError::Io {
        path: path.clone(),
        source,
    };
    match DirBuilder::new().mode(0o700).create(&path) {
        Ok(()) => {}
        // Whatever has the name is judged by the open below, without following it.
        Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
        Err(error) => return Err(io_error(error)),
    }
    open_folder(path)
}

/// Opens the state folder of the project at `root` if it exists, creating nothing: a client
/// looking for a server leaves no trace in a project that has none.
pub fn open_existing(root: &Path) -> Result<Option<StateFolder>, StateFolderError> {
    match open_folder(root.join(STATE_FOLDER_NAME)) {
        Err(StateFolderError::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            Ok(None)
        }
        other => other.map(Some),
    }
}

/// Opens the folder at `path` without following a link.
fn open_folder(path: PathBuf) -> Result<StateFolder, StateFolderError> {
    let io_error = |source| StateFolderError::Io {
        path: path.clone(),
        source,
    };
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path);
    match opened {
        Ok(folder) => Ok(StateFolder { path, folder }),
        // Linux says ENOTDIR for a link opened with both flags, other systems ELOOP; the open
        // already refused it, so looking again only chooses the message.
        Err(error) if matches!(error.raw_os_error(), Some(libc::ELOOP | libc::ENOTDIR)) => {
            let is_link =
                std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.file_type().is_symlink());
            Err(if is_link {
                StateFolderError::SymbolicLink { path }
            } else {
                StateFolderError::NotAFolder { path }
            })
        }
        Err(error) => Err(io_error(error)),
    }
}

impl StateFolder {
    /// The folder's path, for messages.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the project lock without waiting (see [`ProjectLock`]).
    pub fn lock(&self) -> Result<ProjectLock, LockError> {
        lock::take(&self.folder, &self.path.join(LOCK_FILE_NAME))
    }

    /// Whether someone holds the project lock, without taking it (see [`LockProbe`]).
    pub fn probe_lock(&self) -> Result<LockProbe, LockError> {
        lock::probe(&self.folder, &self.path.join(LOCK_FILE_NAME))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::*;

    #[test]
    fn creates_the_folder_0700() {
        let root = tempfile::tempdir().expect("temp dir");
        let folder = open(root.path()).expect("opens");
        let mode = std::fs::metadata(folder.path())
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        // Opening it again is fine.
        open(root.path()).expect("opens again");
    }

    #[test]
    fn refuses_a_symbolic_link_and_a_file() {
        let root = tempfile::tempdir().expect("temp dir");
        let elsewhere = tempfile::tempdir().expect("temp dir");
        symlink(elsewhere.path(), root.path().join(STATE_FOLDER_NAME)).expect("symlink");
        assert!(matches!(
            open(root.path()),
            Err(StateFolderError::SymbolicLink { .. })
        ));

        let root = tempfile::tempdir().expect("temp dir");
        std::fs::write(root.path().join(STATE_FOLDER_NAME), "x").expect("write");
        assert!(matches!(
            open(root.path()),
            Err(StateFolderError::NotAFolder { .. })
        ));
    }
}
