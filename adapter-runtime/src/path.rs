//! Checking the runtime program before it is run: up front in frontends, and again at launch.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

use adapter_process::{is_bare_name, is_executable_file, resolve_program};

/// What is wrong with the configured runtime program. Each message names the path and says
/// what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimePathError {
    /// No runtime path is configured at all.
    #[error(
        "no runtime is configured: set `path` in the [runtime] table (or pass --runtime) to the PROMETEU runtime executable"
    )]
    Missing,
    /// The path does not exist, or a bare name is on no `PATH` entry.
    #[error("{}", not_found_message(path, *on_path))]
    NotFound {
        /// The path as configured (a bare name when `on_path`) or as resolved.
        path: PathBuf,
        /// It was a bare name looked up on `PATH`.
        on_path: bool,
    },
    /// The path names a directory.
    #[error(
        "the runtime path {} is a directory: point it at the runtime executable inside it",
        path.display()
    )]
    IsADirectory {
        /// The resolved path.
        path: PathBuf,
    },
    /// The path exists but is not an executable file.
    #[error(
        "the runtime {} is not executable: make it executable (chmod +x) or point the path at the runtime executable",
        path.display()
    )]
    NotExecutable {
        /// The resolved path.
        path: PathBuf,
    },
    /// The path contains a NUL byte, which no file name can hold.
    #[error(
        "the runtime path {} contains a NUL byte, which no file name can hold: check the path",
        path.display()
    )]
    NulByte {
        /// The path as configured.
        path: PathBuf,
    },
    /// Following the path's symbolic links never ends (a loop, or too many links).
    #[error(
        "the runtime path {} is a loop of symbolic links (or too many of them): point it at the runtime executable itself",
        path.display()
    )]
    SymlinkLoop {
        /// The resolved path.
        path: PathBuf,
    },
    /// Something the path goes through as a folder is not one (`runtime/` where `runtime` is
    /// a file, or `file/name`).
    #[error(
        "the runtime path {} goes through a file as if it were a folder: check the path (a trailing `/`?)",
        path.display()
    )]
    NotADirectory {
        /// The resolved path.
        path: PathBuf,
    },
    /// The path cannot be looked at (a folder on it we may not search, say).
    #[error("the runtime path {} cannot be examined: {reason}", path.display())]
    Inaccessible {
        /// The resolved path.
        path: PathBuf,
        /// What the system said, with what to check.
        reason: String,
    },
}

fn not_found_message(path: &Path, on_path: bool) -> String {
    if on_path {
        format!(
            "the runtime `{}` was not found on PATH: install it, or give its path",
            path.display()
        )
    } else {
        format!(
            "the runtime {} does not exist: check the path",
            path.display()
        )
    }
}

impl RuntimePathError {
    /// The path the error is about, if one was configured.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Self::Missing => None,
            Self::NotFound { path, .. }
            | Self::IsADirectory { path }
            | Self::NotExecutable { path }
            | Self::NulByte { path }
            | Self::SymlinkLoop { path }
            | Self::NotADirectory { path }
            | Self::Inaccessible { path, .. } => Some(path),
        }
    }
}

/// Resolves the runtime program and checks that it can be run.
///
/// An empty `path` is [`RuntimePathError::Missing`]. A name without `/` is looked up on the
/// `PATH` the runtime will get, as `env(1)` does: `configured_path` when `[runtime] env` sets
/// one, else the session's own; anything else resolves against `base` (an absolute path stays
/// as it is). Returns the resolved path of an executable regular file.
pub fn check_runtime_path(
    path: &Path,
    base: &Path,
    configured_path: Option<&OsStr>,
) -> Result<PathBuf, RuntimePathError> {
    if path.as_os_str().is_empty() {
        return Err(RuntimePathError::Missing);
    }
    if path.as_os_str().as_encoded_bytes().contains(&0) {
        return Err(RuntimePathError::NulByte {
            path: path.to_path_buf(),
        });
    }
    if is_bare_name(path.as_os_str()) {
        return resolve_program(path, base, configured_path).ok_or_else(|| {
            RuntimePathError::NotFound {
                path: path.to_path_buf(),
                on_path: true,
            }
        });
    }
    let project_root = base;
    let resolved = project_root.join(path);
    match std::fs::metadata(&resolved) {
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(RuntimePathError::NotFound {
            path: resolved,
            on_path: false,
        }),
        Err(error) => Err(unreachable(resolved, &error)),
        Ok(meta) if meta.is_dir() => Err(RuntimePathError::IsADirectory { path: resolved }),
        Ok(_) if !is_executable_file(&resolved) => {
            Err(RuntimePathError::NotExecutable { path: resolved })
        }
        Ok(_) => Ok(resolved),
    }
}

/// Names why `path` could not be looked at, from what the system said.
fn unreachable(path: PathBuf, error: &io::Error) -> RuntimePathError {
    if error.raw_os_error() == Some(libc::ELOOP) {
        return RuntimePathError::SymlinkLoop { path };
    }
    if error.kind() == io::ErrorKind::NotADirectory {
        return RuntimePathError::NotADirectory { path };
    }
    let reason = if error.kind() == io::ErrorKind::PermissionDenied {
        format!("{error}: check that every folder on it may be searched (chmod +x)")
    } else {
        error.to_string()
    };
    RuntimePathError::Inaccessible { path, reason }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn executable(dir: &Path, name: &str, mode: u32) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        path
    }

    #[test]
    fn tells_each_problem_apart() {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        executable(root, "prometeu", 0o755);
        executable(root, "plain", 0o644);
        std::fs::create_dir(root.join("tools")).expect("mkdir");

        assert_eq!(
            check_runtime_path(Path::new(""), root, None),
            Err(RuntimePathError::Missing)
        );
        assert_eq!(
            check_runtime_path(Path::new("./prometeu"), root, None),
            Ok(root.join("./prometeu"))
        );
        assert_eq!(
            check_runtime_path(Path::new("./missing"), root, None),
            Err(RuntimePathError::NotFound {
                path: root.join("./missing"),
                on_path: false
            })
        );
        assert_eq!(
            check_runtime_path(Path::new("./tools"), root, None),
            Err(RuntimePathError::IsADirectory {
                path: root.join("./tools")
            })
        );
        assert_eq!(
            check_runtime_path(Path::new("./plain"), root, None),
            Err(RuntimePathError::NotExecutable {
                path: root.join("./plain")
            })
        );
        let absolute = root.join("prometeu");
        assert_eq!(
            check_runtime_path(&absolute, Path::new("/elsewhere"), None),
            Ok(absolute)
        );
    }

    #[test]
    fn looks_bare_names_up_on_path() {
        assert!(check_runtime_path(Path::new("sh"), Path::new("/"), None).is_ok());
        let error = check_runtime_path(Path::new("no-such-runtime-here"), Path::new("/"), None)
            .expect_err("not on PATH");
        assert!(error.to_string().contains("`no-such-runtime-here`"));
        assert!(error.to_string().contains("PATH"));
    }

    #[test]
    fn messages_name_the_path() {
        let error = RuntimePathError::IsADirectory {
            path: PathBuf::from("/p/tools"),
        };
        assert!(error.to_string().contains("/p/tools"));
        assert_eq!(error.path(), Some(Path::new("/p/tools")));
    }
}
