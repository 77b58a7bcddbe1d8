//! The files and projects the figures run on: line files of a given width, and projects whose
//! runtime is a two-line script (the brief's `exec cat "$BENCH_FILE"`, or the C writer).

use std::io::Write;
use std::path::{Path, PathBuf};

/// The brief's line: 60 bytes with its `\n`.
pub const LINE_BYTES: usize = 60;
/// The wide line of the memory figure: 10 KiB with its `\n` (10,239 characters).
pub const WIDE_LINE_BYTES: usize = 10 * 1024;

/// A file of `lines` lines of `width` bytes each, `\n` included: `frame <index>: ` and then
/// words up to the width. Written once per run of the bench and reused.
pub fn line_file(dir: &Path, lines: u64, width: usize) -> PathBuf {
    let path = dir.join(format!("lines-{lines}x{width}.txt"));
    if path.exists() {
        return path;
    }
    const WORDS: &[u8] = b"the quick brown fox jumps over the dog ";
    let prefix_bytes = format!("frame {:>13}: ", 0).len();
    let filler: Vec<u8> = WORDS
        .iter()
        .copied()
        .cycle()
        .take(width - 1 - prefix_bytes)
        .collect();
    let file = std::fs::File::create(&path).expect("create a line file");
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    for index in 0..lines {
        write!(out, "frame {index:>13}: ").expect("write a line file");
        out.write_all(&filler).expect("write a line file");
        out.write_all(b"\n").expect("write a line file");
    }
    out.flush().expect("flush a line file");
    let size = std::fs::metadata(&path).expect("line file metadata").len();
    assert_eq!(size, lines * width as u64, "lines of {width} bytes");
    path
}

/// A project whose steps are `true`, whose manifest exists, and whose runtime is the shell
/// script `body` with `env` in its environment (set through `[runtime] env`, as the brief asks).
pub fn project(dir: &Path, name: &str, body: &str, env: &[(&str, &Path)]) -> PathBuf {
    let project = dir.join(name);
    std::fs::create_dir_all(project.join("build")).expect("mkdir project");
    std::fs::write(project.join("build/manifest.json"), "{}\n").expect("manifest");
    let runtime = project.join("runtime.sh");
    std::fs::write(&runtime, format!("#!/bin/sh\n{body}\n")).expect("runtime script");
    make_executable(&runtime);
    let env: Vec<String> = env
        .iter()
        .map(|(name, value)| format!("{name} = {:?}", value.display().to_string()))
        .collect();
    let config = format!(
        "[runtime]\npath = \"./runtime.sh\"\nenv = {{ {} }}\n[shipper]\nbuild = [\"true\"]\npack-validation = [\"true\"]\npack = [\"true\"]\n",
        env.join(", ")
    );
    std::fs::write(project.join("prometeu-session.toml"), config).expect("config");
    project
}

/// The brief's throughput project: the runtime `exec cat "$BENCH_FILE"`.
pub fn cat_project(dir: &Path, name: &str, file: &Path) -> PathBuf {
    project(
        dir,
        name,
        "exec cat \"$BENCH_FILE\"",
        &[("BENCH_FILE", file)],
    )
}

pub fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Removes a file the figures are done with, so that the temp disk does not fill up; one that
/// is already gone is fine.
pub fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => panic!("cannot remove {}: {error}", path.display()),
    }
}
