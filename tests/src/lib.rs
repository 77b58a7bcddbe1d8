//! Shared helpers for the integration tests and the fake programs they run.

/// `true` when process `pid` exists and is not a zombie: `kill(pid, 0)` alone would count a
/// zombie as alive.
pub fn pid_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_ascii_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X"),
        // No procfs (macOS): fall back to the signal probe.
        Err(_) if !std::path::Path::new("/proc/self").exists() => {
            // SAFETY: kill with signal 0 only checks for existence.
            unsafe { libc::kill(pid, 0) == 0 }
        }
        Err(_) => false,
    }
}
