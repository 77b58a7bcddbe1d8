//! Private files in the state folder (`server.json`): written whole through a temporary file
//! and a rename, both relative to the folder's descriptor and never through a link.

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::PathBuf;

use super::StateFolder;

/// A private file of the state folder could not be written or removed.
#[derive(Debug, thiserror::Error)]
#[error("{}: cannot {action} it: {source}", path.display())]
pub struct StateFileError {
    /// The file's path.
    pub path: PathBuf,
    /// `read`, `write` or `remove`.
    pub action: &'static str,
    /// Why.
    #[source]
    pub source: io::Error,
}

impl StateFolder {
    /// Writes `contents` to `name` (mode 0600) so that a reader sees the old file or the new
    /// one, never half of one: a fresh temporary file, then a rename over `name`.
    pub fn write_private(&self, name: &str, contents: &[u8]) -> Result<(), StateFileError> {
        let error = |source| StateFileError {
            path: self.path().join(name),
            action: "write",
            source,
        };
        let temporary = format!(".{name}.{}.tmp", std::process::id());
        let temporary_c = c_name(&temporary).map_err(error)?;
        let name_c = c_name(name).map_err(error)?;
        let folder = self.folder.as_raw_fd();
        // A leftover of a crashed writer with our pid would make O_EXCL fail.
        // SAFETY: `folder` is an open directory and the name NUL-terminated.
        unsafe { libc::unlinkat(folder, temporary_c.as_ptr(), 0) };
        let flags =
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW | libc::O_CLOEXEC;
        // SAFETY: as above; the descriptor returned is owned by the File below.
        let fd = unsafe { libc::openat(folder, temporary_c.as_ptr(), flags, 0o600) };
        if fd < 0 {
            return Err(error(io::Error::last_os_error()));
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let mut file = unsafe { File::from_raw_fd(fd) };
        let written = file.write_all(contents).and_then(|()| file.sync_all());
        drop(file);
        let renamed = written.and_then(|()| {
            // SAFETY: both names are NUL-terminated and relative to the open folder.
            let result =
                unsafe { libc::renameat(folder, temporary_c.as_ptr(), folder, name_c.as_ptr()) };
            if result == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error())
            }
        });
        if renamed.is_err() {
            // SAFETY: as above.
            unsafe { libc::unlinkat(folder, temporary_c.as_ptr(), 0) };
        }
        renamed.map_err(error)
    }

    /// Reads `name` whole, without following a link; `None` when it is absent. A file over
    /// `limit` bytes, or one that is not a regular file, is refused rather than read.
    pub fn read_private(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>, StateFileError> {
        let error = |source| StateFileError {
            path: self.path().join(name),
            action: "read",
            source,
        };
        let name_c = c_name(name).map_err(error)?;
        // O_NONBLOCK: a FIFO planted under the name must not make the open wait for a writer.
        let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;
        // SAFETY: the folder is open and the name NUL-terminated; the descriptor returned is
        // owned by the File below.
        let fd = unsafe { libc::openat(self.folder.as_raw_fd(), name_c.as_ptr(), flags) };
        if fd < 0 {
            let failure = io::Error::last_os_error();
            return match failure.kind() {
                io::ErrorKind::NotFound => Ok(None),
                _ => Err(error(failure)),
            };
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let file = unsafe { File::from_raw_fd(fd) };
        let meta = file.metadata().map_err(error)?;
        if !meta.file_type().is_file() || meta.len() > limit {
            return Err(error(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a regular file of a readable size",
            )));
        }
        let mut contents = Vec::new();
        file.take(limit).read_to_end(&mut contents).map_err(error)?;
        Ok(Some(contents))
    }

    /// Removes `name`; an absent file is fine.
    pub fn remove(&self, name: &str) -> Result<(), StateFileError> {
        let error = |source| StateFileError {
            path: self.path().join(name),
            action: "remove",
            source,
        };
        let name_c = c_name(name).map_err(error)?;
        // SAFETY: the folder is open and the name NUL-terminated; unlinkat never follows a
        // link (it removes the link itself).
        let result = unsafe { libc::unlinkat(self.folder.as_raw_fd(), name_c.as_ptr(), 0) };
        match result {
            0 => Ok(()),
            _ => match io::Error::last_os_error() {
                gone if gone.kind() == io::ErrorKind::NotFound => Ok(()),
                other => Err(error(other)),
            },
        }
    }
}

fn c_name(name: &str) -> io::Result<CString> {
    CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::{PermissionsExt, symlink};

    use super::super::open;

    #[test]
    fn writes_privately_replaces_and_removes() {
        let root = tempfile::tempdir().expect("temp dir");
        let folder = open(root.path()).expect("opens");
        folder.write_private("server.json", b"one").expect("writes");
        folder
            .write_private("server.json", b"two")
            .expect("replaces");
        let path = folder.path().join("server.json");
        assert_eq!(std::fs::read(&path).expect("reads"), b"two");
        let mode = std::fs::metadata(&path)
            .expect("exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let leftovers: Vec<_> = std::fs::read_dir(folder.path())
            .expect("lists")
            .filter_map(Result::ok)
            .filter(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
        assert_eq!(
            folder.read_private("server.json", 16).expect("reads"),
            Some(b"two".to_vec())
        );
        folder.remove("server.json").expect("removes");
        assert_eq!(folder.read_private("server.json", 16).expect("reads"), None);
        folder
            .remove("server.json")
            .expect("an absent file is fine");
        assert!(!path.exists());
    }

    #[test]
    fn a_planted_link_is_replaced_not_followed() {
        let root = tempfile::tempdir().expect("temp dir");
        let victim = root.path().join("precious.txt");
        std::fs::write(&victim, b"keep me").expect("write");
        let folder = open(root.path()).expect("opens");
        symlink(&victim, folder.path().join("server.json")).expect("symlink");
        assert!(
            folder.read_private("server.json", 1024).is_err(),
            "a link is never read through"
        );
        folder.write_private("server.json", b"{}").expect("writes");
        assert_eq!(std::fs::read(&victim).expect("reads"), b"keep me");
        folder.remove("server.json").expect("removes");
        assert_eq!(std::fs::read(&victim).expect("reads"), b"keep me");
    }
}
