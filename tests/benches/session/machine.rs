//! What machine the figures were measured on, printed first: they mean little without it.

use std::num::NonZeroUsize;

pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    format!("machine: {cores} cores; {}", cpu_model())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

/// Where the bench writes its line files: in memory (`/dev/shm`) when there is one and
/// `TMPDIR` does not say otherwise. A file on disk may lose its cached pages between runs (a
/// kernel that reclaims cold page cache early, as DAMON does) and then be read from the disk
/// again: seen here as `cat FILE | cat` taking 78 to 488 ms of CPU from one run to the next,
/// which measures the disk, not the session.
pub fn work_dir() -> tempfile::TempDir {
    let shm = std::path::Path::new("/dev/shm");
    if std::env::var_os("TMPDIR").is_none() && shm.is_dir() {
        if let Ok(dir) = tempfile::tempdir_in(shm) {
            return dir;
        }
    }
    tempfile::tempdir().expect("temp dir")
}
