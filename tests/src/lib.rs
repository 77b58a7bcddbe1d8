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
            rustix::process::Pid::from_raw(pid)
                .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok())
        }
        Err(_) => false,
    }
}

/// Sends `signal` (a `libc::SIG*` number) to process `pid`; one already gone is fine.
pub fn send_signal(pid: i32, signal: i32) {
    let pid = rustix::process::Pid::from_raw(pid).expect("a positive pid");
    let signal = rustix::process::Signal::from_named_raw(signal).expect("a known signal");
    let _ = rustix::process::kill_process(pid, signal);
}

/// Appends `<role> <pid>` to the file named by the environment variable `variable`, when it
/// is set: how the fake programs tell a test which processes to check for orphans.
pub fn record_pid(variable: &str, role: &str, pid: u32) {
    let Some(path) = std::env::var_os(variable) else {
        return;
    };
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path);
    if let Ok(mut file) = file {
        // One write per line, so that concurrent writers never interleave within a line.
        let _ = std::io::Write::write_all(&mut file, format!("{role} {pid}\n").as_bytes());
    }
}

/// The CPU time (user and system) process `pid` has used so far, in clock ticks: fields 14
/// and 15 of `/proc/<pid>/stat`, 12 and 13 after the command's closing parenthesis.
pub fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("a stat line")
        .1
        .split_ascii_whitespace()
        .collect();
    fields[11].parse::<u64>().expect("utime") + fields[12].parse::<u64>().expect("stime")
}

/// The peak resident memory of process `pid` so far, in KiB (`VmHWM` of its procfs status).
pub fn peak_rss_kib(pid: i32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .expect("status")
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM")
}
