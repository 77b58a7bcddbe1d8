//! The project lock: one `prometeu-session` per project at a time.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, Mode, OFlags, flock, openat};
use rustix::io::Errno;

/// The lock file's name in the state folder. It is never deleted: the kernel releases the
/// lock when the holder dies, and the pid in it is only a hint for the message.
pub const LOCK_FILE_NAME: &str = "lock";

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
    /// The lock is a symbolic link, which is never followed.
    #[error(
        "{}: is a symbolic link, which prometeu-session never follows; remove the link (the session creates the lock itself)",
        path.display()
    )]
    SymbolicLink {
        /// The lock file.
        path: PathBuf,
    },
    /// Something other than a regular file of its own has the lock's name.
    #[error(
        "{}: is {what}, not a regular file the session can own; move it away or remove it (the session creates the lock itself)",
        path.display()
    )]
    NotARegularFile {
        /// The lock file.
        path: PathBuf,
        /// What it is instead (`a directory`, `a FIFO`, `a file with another name too`).
        what: &'static str,
    },
    /// The lock file cannot be opened or locked.
    #[error("{path}: cannot lock the project: {source}", path = path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        #[source]
        source: io::Error,
    },
}

/// Opens `lock` inside `folder` without following a link, takes the lock without waiting,
/// and only then writes our pid into it. `path` is for messages.
pub(super) fn take(folder: &File, path: &Path) -> Result<ProjectLock, LockError> {
    let io_error = |source| LockError::Io {
        path: path.to_owned(),
        source,
    };
    // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused just below.
    let flags =
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let mut file = match openat(folder, LOCK_FILE_NAME, flags, Mode::RUSR | Mode::WUSR) {
        Ok(fd) => File::from(fd),
        Err(Errno::LOOP) => {
            return Err(LockError::SymbolicLink {
                path: path.to_owned(),
            });
        }
        Err(Errno::ISDIR) => {
            return Err(LockError::NotARegularFile {
                path: path.to_owned(),
                what: "a directory",
            });
        }
        Err(errno) => return Err(io_error(errno.into())),
    };
    let meta = file.metadata().map_err(io_error)?;
    let file_type = meta.file_type();
    let what = if file_type.is_dir() {
        Some("a directory")
    } else if file_type.is_fifo() {
        Some("a FIFO")
    } else if file_type.is_socket() {
        Some("a socket")
    } else if !file_type.is_file() {
        Some("a device")
    } else if meta.nlink() > 1 {
        // A hard link to some other file of the user's: writing our pid would overwrite it.
        Some("a file with another name too (a hard link)")
    } else {
        None
    };
    if let Some(what) = what {
        return Err(LockError::NotARegularFile {
            path: path.to_owned(),
            what,
        });
    }
    match flock(&file, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => {}
        Err(Errno::WOULDBLOCK) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            let holder = match text.trim().parse::<u32>() {
                Ok(pid) => format!(" (pid {pid})"),
                Err(_) => String::new(),
            };
            return Err(LockError::Held {
                path: path.to_owned(),
                holder,
            });
        }
        Err(errno) => return Err(io_error(errno.into())),
    }
    // Truncated only now that the lock is ours: the pid of a live holder is never erased.
    let written = file
        .set_len(0)
        .and_then(|()| file.seek(SeekFrom::Start(0)))
        .and_then(|_| writeln!(file, "{}", std::process::id()));
    written.map_err(io_error)?;
    Ok(ProjectLock { _file: file })
}

/// What a look at the project lock found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockProbe {
    /// Nobody holds it (or there is no lock file): no session runs on the project.
    Free,
    /// A live process holds it.
    Held {
        /// The pid the holder wrote, when the file names one.
        pid: Option<u32>,
    },
}

/// Looks at `lock` inside `folder` without following a link and without creating it: a shared
/// lock that cannot be had means a holder is alive. The shared lock, when had, is released at
/// once (by closing); a session starting in that instant is refused as if another held the
/// project, and its user simply runs it again.
pub(super) fn probe(folder: &File, path: &Path) -> Result<LockProbe, LockError> {
    let io_error = |source| LockError::Io {
        path: path.to_owned(),
        source,
    };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
    let mut file = match openat(folder, LOCK_FILE_NAME, flags, Mode::empty()) {
        Ok(fd) => File::from(fd),
        Err(Errno::NOENT) => return Ok(LockProbe::Free),
        Err(Errno::LOOP) => {
            return Err(LockError::SymbolicLink {
                path: path.to_owned(),
            });
        }
        Err(errno) => return Err(io_error(errno.into())),
    };
    if !file.metadata().map_err(io_error)?.file_type().is_file() {
        return Err(LockError::NotARegularFile {
            path: path.to_owned(),
            what: "a directory or a special file",
        });
    }
    match flock(&file, FlockOperation::NonBlockingLockShared) {
        Ok(()) => return Ok(LockProbe::Free),
        Err(Errno::WOULDBLOCK) => {}
        Err(errno) => return Err(io_error(errno.into())),
    }
    let mut text = String::new();
    let _ = file.read_to_string(&mut text);
    Ok(LockProbe::Held {
        pid: text.trim().parse().ok(),
    })
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::super::{STATE_FOLDER_NAME, open};
    use super::*;

    #[test]
    fn holds_our_pid_and_refuses_a_second_holder() {
        let root = tempfile::tempdir().expect("temp dir");
        let folder = open(root.path()).expect("opens");
        let held = folder.lock().expect("locks");
        let path = root.path().join(STATE_FOLDER_NAME).join(LOCK_FILE_NAME);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            format!("{}\n", std::process::id())
        );
        // flock locks belong to the open file description: a second open is a second holder.
        let error = open(root.path()).expect("opens").lock().expect_err("held");
        assert!(
            error
                .to_string()
                .contains(&format!("(pid {})", std::process::id())),
            "{error}"
        );
        drop(held);
        open(root.path())
            .expect("opens")
            .lock()
            .expect("free again");
    }

    #[test]
    fn refuses_a_link_a_directory_a_fifo_and_a_hard_link_leaving_them_untouched() {
        let root = tempfile::tempdir().expect("temp dir");
        let folder = open(root.path()).expect("opens");
        let lock = root.path().join(STATE_FOLDER_NAME).join(LOCK_FILE_NAME);
        let precious = root.path().join("precious.txt");
        std::fs::write(&precious, "keep me\n").expect("write");

        symlink(&precious, &lock).expect("symlink");
        assert!(matches!(folder.lock(), Err(LockError::SymbolicLink { .. })));
        std::fs::remove_file(&lock).expect("remove");

        std::fs::hard_link(&precious, &lock).expect("hard link");
        assert!(matches!(
            folder.lock(),
            Err(LockError::NotARegularFile { .. })
        ));
        std::fs::remove_file(&lock).expect("remove");

        std::fs::create_dir(&lock).expect("mkdir");
        assert!(matches!(
            folder.lock(),
            Err(LockError::NotARegularFile {
                what: "a directory",
                ..
            })
        ));
        std::fs::remove_dir(&lock).expect("rmdir");

        rustix::fs::mkfifoat(rustix::fs::CWD, &lock, Mode::RUSR | Mode::WUSR).expect("mkfifo");
        assert!(matches!(
            folder.lock(),
            Err(LockError::NotARegularFile { what: "a FIFO", .. })
        ));

        assert_eq!(
            std::fs::read_to_string(&precious).expect("read"),
            "keep me\n"
        );
    }

    #[test]
    fn a_probe_sees_a_holder_without_taking_the_lock_and_creates_nothing() {
        let root = tempfile::tempdir().expect("temp dir");
        let folder = open(root.path()).expect("opens");
        assert_eq!(folder.probe_lock().expect("probes"), LockProbe::Free);
        assert!(
            !root
                .path()
                .join(STATE_FOLDER_NAME)
                .join(LOCK_FILE_NAME)
                .exists()
        );
        let held = folder.lock().expect("locks");
        assert_eq!(
            folder.probe_lock().expect("probes"),
            LockProbe::Held {
                pid: Some(std::process::id())
            }
        );
        drop(held);
        assert_eq!(folder.probe_lock().expect("probes"), LockProbe::Free);
        // The probe released its shared lock: the lock can be taken again.
        drop(folder.lock().expect("free"));
    }
}
