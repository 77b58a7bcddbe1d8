//! Finding the program a setting names.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

/// Resolves a program as settings name it: a name without `/` is looked up on the `PATH` the
/// child will get, as `env(1)` does (the first executable regular file wins); anything else is
/// a path, relative to `base`.
///
/// `configured_path` is the `PATH` the child's configured environment sets, if it sets one;
/// otherwise the child inherits the session's, and that is searched. A relative entry of the
/// search path (`tools`, or an empty one, which means the current directory) resolves against
/// `base`.
///
/// Returns `None` when a bare name is on no search path entry; a path is returned whether or
/// not it exists, so that the caller can say precisely what is wrong with it.
pub fn resolve_program(
    program: &Path,
    base: &Path,
    configured_path: Option<&OsStr>,
) -> Option<PathBuf> {
    let text = program.as_os_str();
    if text.as_encoded_bytes().contains(&b'/') {
        return Some(base.join(program));
    }
    let inherited;
    let search = match configured_path {
        Some(search) => search,
        None => {
            inherited = std::env::var_os("PATH")?;
            inherited.as_os_str()
        }
    };
    std::env::split_paths(search)
        .map(|dir| base.join(dir))
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

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    #[test]
    fn bare_names_are_looked_up_on_the_childs_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let base = dir.path();
        std::fs::create_dir(base.join("bin")).expect("mkdir");
        let tool = base.join("bin/only-here");
        std::fs::write(&tool, "#!/bin/sh\n").expect("write");
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        let found = |path: &str| resolve_program(Path::new("only-here"), base, Some(path.as_ref()));
        // Absolute, relative (against the base), and missing from the child's PATH.
        let absolute = base.join("bin").display().to_string();
        assert_eq!(found(&absolute), Some(base.join("bin").join("only-here")));
        assert_eq!(
            found("/nowhere:bin"),
            Some(base.join("bin").join("only-here"))
        );
        assert_eq!(found("/nowhere"), None);
        // A configured PATH hides what the session's own PATH has.
        assert_eq!(
            resolve_program(Path::new("sh"), base, Some("/nowhere".as_ref())),
            None
        );
        assert!(resolve_program(Path::new("sh"), base, None).is_some());
        // A path is a path, whatever PATH says.
        assert_eq!(
            resolve_program(Path::new("bin/only-here"), base, Some("/nowhere".as_ref())),
            Some(base.join("bin/only-here"))
        );
    }
}
