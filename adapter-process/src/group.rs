//! Process groups: signalling them and finding out who is still in one.

use rustix::process::{Pid, Signal, kill_process_group, test_kill_process_group};

/// Sends `signal` to every process in group `pgid`. `false` when the group is empty.
pub(crate) fn signal_group(pgid: i32, signal: Signal) -> bool {
    let Some(group) = group_pid(pgid) else {
        return false;
    };
    delivered(kill_process_group(group, signal))
}

/// `true` while any process (zombies included) is in group `pgid`.
pub(crate) fn group_exists(pgid: i32) -> bool {
    group_pid(pgid).is_some_and(|group| delivered(test_kill_process_group(group)))
}

/// `true` while a living process (not a zombie) is in group `pgid`.
///
/// A zombie holds no pipe and runs no code, but it stays in its group until its parent reaps
/// it, and a leftover whose parent (the step) has exited is reaped by whoever adopted it: init,
/// or an ancestor that is a subreaper. Some container inits never reap, so waiting for the
/// group to vanish could wait forever; on Linux we therefore ask procfs who is still alive.
/// That reads all of procfs: [`group_exists`] is the cheap first look.
pub(crate) fn group_alive(pgid: i32) -> bool {
    group_exists(pgid) && group_members(pgid).is_none_or(|members| !members.is_empty())
}

/// The living processes in group `pgid`, or `None` where the platform cannot tell (no
/// procfs).
pub(crate) fn group_members(pgid: i32) -> Option<Vec<i32>> {
    members_where(pgid, |process| process.is_alive())
}

/// The processes of group `pgid` that a signal has stopped (state `T`): they cannot act on a
/// SIGTERM before a SIGCONT. Empty where the platform cannot tell.
pub(crate) fn stopped_members(pgid: i32) -> Vec<i32> {
    members_where(pgid, |process| process.is_stopped()).unwrap_or_default()
}

/// Reads all of procfs (where there is one; elsewhere `None`).
fn members_where(pgid: i32, keep: impl Fn(&super::procfs::ProcStat) -> bool) -> Option<Vec<i32>> {
    let processes = super::procfs::processes();
    if processes.is_empty() {
        // No procfs to ask.
        return None;
    }
    Some(
        processes
            .into_iter()
            .filter(|process| process.pgrp == pgid && keep(process))
            .map(|process| process.pid)
            .collect(),
    )
}

/// The group as a pid to signal, refusing the values that would turn `kill(-pgid)` into
/// `kill(-1)` or `kill(0)`: those would hit everything we may signal, or our own group.
fn group_pid(pgid: i32) -> Option<Pid> {
    if pgid <= 1 {
        return None;
    }
    Pid::from_raw(pgid)
}

/// A signal counts as delivered unless the group does not exist (`ESRCH`); `EPERM` means
/// someone is there.
fn delivered(result: rustix::io::Result<()>) -> bool {
    result != Err(rustix::io::Errno::SRCH)
}
