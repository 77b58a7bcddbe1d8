//! Private files in the state folder (`server.json`): written whole through a temporary file
//! and a rename, both relative to the folder's descriptor and never through a link.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;

use rustix::fs::{AtFlags, Mode, OFlags, openat, renameat, unlinkat};
use rustix::io::Errno;

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
        let folder = &self.folder;
        // A leftover of a crashed writer with our pid would make O_EXCL fail.
        let _ = unlinkat(folder, &temporary, AtFlags::empty());
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let mut file = File::from(
            openat(folder, &temporary, flags, Mode::RUSR | Mode::WUSR)
                .map_err(|errno| error(errno.into()))?,
        );
        let written = file.write_all(contents).and_then(|()| file.sync_all());
        drop(file);
        let renamed = written
            .and_then(|()| renameat(folder, &temporary, folder, name).map_err(io::Error::from));
        if renamed.is_err() {
            let _ = unlinkat(folder, &temporary, AtFlags::empty());
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
        // O_NONBLOCK: a FIFO planted under the name must not make the open wait for a writer.
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK;
        let file = match openat(&self.folder, name, flags, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(Errno::NOENT) => return Ok(None),
            Err(errno) => return Err(error(errno.into())),
        };
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
        // unlinkat never follows a link: it removes the link itself.
        match unlinkat(&self.folder, name, AtFlags::empty()) {
            Ok(()) | Err(Errno::NOENT) => Ok(()),
            Err(errno) => Err(error(errno.into())),
        }
    }
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
