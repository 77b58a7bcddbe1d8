//! Linux: the child subreaper, reaping what it adopted as soon as it exits, and the sweep that
//! kills and reaps what it adopted.
//!
//! When `app-cli`'s `main` makes the process a child subreaper, a descendant whose parent dies
//! is re-parented to us instead of to init, even if it left its process group (`setsid`). We
//! find those adopted children in procfs and reap them one pid at a time. Never `waitpid(-1)`:
//! that would steal tokio's children's exit statuses.

use std::io;
#[cfg(target_os = "linux")]
use std::time::Duration;

#[cfg(target_os = "linux")]
use super::procfs::{self, ProcStat};

/// Makes this process a child subreaper (Linux). Call it once, before spawning anything, from
/// `main`: the attribute is process-wide. Elsewhere it does nothing and returns `Ok(false)`.
pub fn become_subreaper() -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        rustix::process::set_child_subreaper(Some(rustix::process::getpid()))?;
        Ok(true)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Ok(false)
    }
}

/// `true` when this process is a child subreaper.
pub fn is_subreaper() -> bool {
    #[cfg(target_os = "linux")]
    {
        rustix::process::child_subreaper().is_ok_and(|flag| flag.is_some())
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
    }
}

/// Reaps every adopted child as soon as it exits, for as long as the future runs (Linux, as a
/// subreaper; elsewhere it returns at once). Spawn it once on the session's runtime: without
/// it, a runtime that keeps starting short-lived background jobs leaves one zombie child of
/// ours per job until the run ends.
///
/// It wakes on SIGCHLD only, and then reads our own children's list rather than all of procfs.
pub async fn reap_adopted_as_they_exit() {
    #[cfg(target_os = "linux")]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if !is_subreaper() {
            return;
        }
        let mut child_exited = match signal(SignalKind::child()) {
            Ok(stream) => stream,
            Err(error) => {
                tracing::warn!(%error, "cannot watch SIGCHLD; adopted processes are reaped only when a run ends");
                return;
            }
        };
        loop {
            reap_adopted_zombies();
            if child_exited.recv().await.is_none() {
                return;
            }
        }
    }
}

/// Kills and reaps, one pid at a time, every child this process adopted (its children in
/// procfs that it did not spawn itself), until none is left. Returns the pids of those that
/// were still alive when found; zombies (typically a group member re-parented to us after its
/// shell died, already dead) are reaped too but not returned.
///
/// Does nothing unless this process is a subreaper: otherwise it adopts nothing.
pub async fn reap_adopted() -> Vec<i32> {
    let mut alive = Vec::new();
    #[cfg(target_os = "linux")]
    {
        if !is_subreaper() {
            return alive;
        }
        // Killing one adopted process may orphan its children onto us: sweep until a pass
        // finds nobody. The bound only guards against a fork bomb outrunning us.
        for _ in 0..1000 {
            let adopted = adopted_children();
            if adopted.is_empty() {
                break;
            }
            for process in adopted {
                if process.is_alive() {
                    // A child of ours cannot be reused before we reap it, so the pid is safe.
                    if let Some(pid) = rustix::process::Pid::from_raw(process.pid) {
                        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
                    }
                    alive.push(process.pid);
                }
                reap(process.pid).await;
            }
        }
    }
    alive
}

/// Reaps adopted children that have already exited, without waiting and without killing the
/// living. Returns how many it reaped.
pub(crate) fn reap_adopted_zombies() -> usize {
    #[cfg(target_os = "linux")]
    {
        if !is_subreaper() {
            return 0;
        }
        adopted_children()
            .into_iter()
            .filter(|process| !process.is_alive())
            .filter(|process| try_reap(process.pid))
            .count()
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// `waitpid(pid, WNOHANG)` on one child of ours: `true` once it is gone from our view (reaped
/// now, or not our child any more), `false` while it still runs.
#[cfg(target_os = "linux")]
fn try_reap(pid: i32) -> bool {
    use rustix::process::{Pid, WaitOptions, waitpid};
    let Some(pid) = Pid::from_raw(pid) else {
        return true;
    };
    !matches!(waitpid(Some(pid), WaitOptions::NOHANG), Ok(None))
}

#[cfg(target_os = "linux")]
async fn reap(pid: i32) {
    let mut pause = Duration::from_millis(1);
    while !try_reap(pid) {
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// Our children that we did not spawn ourselves: neither a supervised group's leader nor the
/// guardian.
#[cfg(target_os = "linux")]
fn adopted_children() -> Vec<ProcStat> {
    let me = i32::try_from(std::process::id()).unwrap_or(i32::MAX);
    let children = procfs::own_children().unwrap_or_else(|| {
        procfs::processes()
            .into_iter()
            .filter(|process| process.ppid == me)
            .map(|process| process.pid)
            .collect()
    });
    children
        .into_iter()
        .filter(|pid| !super::registry::is_ours(*pid) && !super::guardian::is_guardian(*pid))
        .filter_map(procfs::read_stat)
        // A child listed a moment ago may have been reaped by someone else since.
        .filter(|process| process.ppid == me)
        .collect()
}
