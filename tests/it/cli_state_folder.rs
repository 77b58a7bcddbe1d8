//! The project's state folder, `.prometeu-session/`: created 0700, and neither it nor the
//! lock in it is ever followed through a symbolic link or used when it is not what it should
//! be. Each refusal exits 2 with one line, runs nothing, and leaves what the link points at
//! untouched, byte for byte.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use crate::cli_config::{GOOD, project, run_play};

const PRECIOUS: &[u8] = b"the user's own file\n\xff\x00 with any bytes\n";

/// Runs `play` and asserts it was refused with one line containing every fragment.
fn assert_refused(dir: &Path, fragments: &[&str]) {
    let (code, stdout, stderr) = run_play(dir, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("prometeu-session: error: "), "{stderr}");
    for fragment in fragments {
        assert!(stderr.contains(fragment), "{fragment:?} missing: {stderr}");
    }
    assert!(!dir.join("ran").exists(), "something ran");
}

#[test]
fn the_folder_is_created_0700_and_holds_the_lock() {
    let dir = project(GOOD);
    // It runs (and fails at the manifest, which this project lacks: exit 3).
    let (code, _, stderr) = run_play(dir.path(), &[]);
    assert_eq!(code, 3, "{stderr}");
    let folder = dir.path().join(".prometeu-session");
    let mode = std::fs::metadata(&folder)
        .expect("the folder")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o700);
    assert!(folder.join("lock").is_file());
    assert!(!dir.path().join(".prometeu-session.lock").exists());
}

#[test]
fn a_symbolic_link_as_the_lock_is_refused_and_its_target_untouched() {
    let dir = project(GOOD);
    let precious = dir.path().join("precious.bin");
    std::fs::write(&precious, PRECIOUS).expect("write");
    std::fs::create_dir(dir.path().join(".prometeu-session")).expect("mkdir");
    let lock = dir.path().join(".prometeu-session/lock");
    symlink(&precious, &lock).expect("symlink");
    assert_refused(
        dir.path(),
        &[".prometeu-session/lock", "symbolic link", "remove"],
    );
    assert_eq!(std::fs::read(&precious).expect("read"), PRECIOUS);
    assert!(
        std::fs::symlink_metadata(&lock)
            .expect("still there")
            .is_symlink()
    );
}

#[test]
fn a_symbolic_link_as_the_folder_is_refused_and_nothing_is_written_through_it() {
    let dir = project(GOOD);
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let precious = elsewhere.path().join("lock");
    std::fs::write(&precious, PRECIOUS).expect("write");
    symlink(elsewhere.path(), dir.path().join(".prometeu-session")).expect("symlink");
    assert_refused(dir.path(), &[".prometeu-session", "symbolic link"]);
    assert_eq!(std::fs::read(&precious).expect("read"), PRECIOUS);
    let names: Vec<_> = std::fs::read_dir(elsewhere.path())
        .expect("list")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(names, ["lock"]);
}

#[test]
fn a_file_as_the_folder_is_refused_and_untouched() {
    let dir = project(GOOD);
    let folder = dir.path().join(".prometeu-session");
    std::fs::write(&folder, PRECIOUS).expect("write");
    assert_refused(dir.path(), &[".prometeu-session", "not a directory"]);
    assert_eq!(std::fs::read(&folder).expect("read"), PRECIOUS);
}

#[test]
fn a_directory_or_a_fifo_as_the_lock_is_refused() {
    let dir = project(GOOD);
    let lock = dir.path().join(".prometeu-session/lock");
    std::fs::create_dir_all(&lock).expect("mkdir");
    assert_refused(dir.path(), &[".prometeu-session/lock", "a directory"]);
    std::fs::remove_dir(&lock).expect("rmdir");

    let owner_only = rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR;
    rustix::fs::mkfifoat(rustix::fs::CWD, &lock, owner_only).expect("mkfifo");
    assert_refused(dir.path(), &[".prometeu-session/lock", "a FIFO"]);
}
