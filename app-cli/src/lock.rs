//! The project lock: one `prometeu-session` per project at a time.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file's name in the project root. It is never deleted: the kernel releases the
/// lock when the holder dies, and the pid in it is only a hint for the message.
pub const LOCK_FILE_NAME: &str = ".prometeu-session.lock";

/// A held project lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct ProjectLock {
    _file: File,
}

/// Why the project could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("{path}: another prometeu-session{holder} is using this project; stop it first", path = path.display())]
    Held {
        /// The lock file.
        path: PathBuf,
        /// ` (pid N)`, when the file names one.
        holder: String,
    },
    /// The lock file cannot be opened or locked.
    #[error("{path}: cannot lock the project: {source}", path = path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// Takes the lock of the project at `root` without waiting, and writes our pid into it.
pub fn lock_project(root: &Path) -> Result<ProjectLock, LockError> {
    let path = root.join(LOCK_FILE_NAME);
    let io_error = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_error)?;
    // SAFETY: flock takes a file descriptor we own for the duration of the call.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        let error = std::io::Error::last_os_error();
        if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match text.trim().parse::<u32>() {
                Ok(pid) => format!(" (pid {pid})"),
                Err(_) => String::new(),
            };
            return Err(LockError::Held { path, holder });
        }
        return Err(io_error(error));
    }
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()));
    written.map_err(io_error)?;
    Ok(ProjectLock { _file: file })
}
