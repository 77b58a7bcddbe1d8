//! Finding the program a setting names.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Resolves a program as settings name it: a name without `/` is looked up on `PATH` (the
/// first executable regular file wins); anything else is a path, relative to `base`.
///
/// Returns `None` when a bare name is on no `PATH` entry; a path is returned whether or not
/// it exists, so that the caller can say precisely what is wrong with it.
pub fn resolve_program(program: &Path, base: &Path) -> Option<PathBuf> {
    let text = program.as_os_str();
    if text.as_encoded_bytes().contains(&b'/') {
        return Some(base.join(program));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| {
            if dir.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                dir
            }
        })
        .map(|dir| dir.join(text))
        .find(|candidate| is_executable_file(candidate))
}

/// `true` for a regular file (after following links) that someone may execute.
pub fn is_executable_file(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// `true` when `name` has no `/`, so it would be looked up on `PATH`.
pub fn is_bare_name(name: &OsStr) -> bool {
    !name.as_encoded_bytes().contains(&b'/')
}
