//! Process groups: signalling them and finding out who is still in one.

use std::io;

/// Sends `signal` to every process in group `pgid`. `false` when the group is empty.
pub(crate) fn signal_group(pgid: i32, signal: libc::c_int) -> bool {
    if pgid <= 1 {
        // Never let a bad value turn into kill(-1) or kill(0): that would hit everything.
        return false;
    }
    // SAFETY: kill has no memory-safety preconditions; a negative pid names a group.
    let result = unsafe { libc::kill(-pgid, signal) };
    result == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// `true` while any process (zombies included) is in group `pgid`.
pub(crate) fn group_exists(pgid: i32) -> bool {
    signal_group(pgid, 0)
}

/// `true` while a living process (not a zombie) is in group `pgid`.
///
/// A zombie holds no pipe and runs no code, but it stays in its group until its parent reaps
/// it, and a leftover whose parent (the step) has exited is reaped by whoever adopted it: init,
/// or an ancestor that is a subreaper. Some container inits never reap, so waiting for the
/// group to vanish could wait forever; on Linux we therefore ask procfs who is still alive.
pub(crate) fn group_alive(pgid: i32) -> bool {
    if !group_exists(pgid) {
        return false;
    }
    #[cfg(target_os = "linux")]
    {
        let processes = super::adopted::procfs_processes();
        if processes.is_empty() {
            // No procfs to ask: the signal probe is all we know.
            return true;
        }
        processes
            .iter()
            .any(|process| process.pgrp == pgid && process.is_alive())
    }
    #[cfg(not(target_os = "linux"))]
    {
        true
    }
}

/// The living processes in group `pgid`, or `None` where the platform cannot tell (no
/// procfs).
pub(crate) fn group_members(pgid: i32) -> Option<Vec<i32>> {
    #[cfg(target_os = "linux")]
    {
        let processes = super::adopted::procfs_processes();
        if processes.is_empty() {
            return None;
        }
        Some(
            processes
                .into_iter()
                .filter(|process| process.pgrp == pgid && process.is_alive())
                .map(|process| process.pid)
                .collect(),
        )
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = pgid;
        None
    }
}
