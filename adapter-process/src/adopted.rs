//! Linux: the child subreaper, and the sweep that kills and reaps what it adopted.
//!
//! When `app-cli`'s `main` makes the process a child subreaper, a descendant whose parent dies
//! is re-parented to us instead of to init, even if it left its process group (`setsid`). The
//! sweep finds those adopted children in procfs and kills and reaps them one pid at a time.
//! It never calls `waitpid(-1)`: that would steal tokio's children's exit statuses.

use std::io;
use std::time::Duration;

/// Makes this process a child subreaper (Linux). Call it once, before spawning anything, from
/// `main`: the attribute is process-wide. Elsewhere it does nothing and returns `Ok(false)`.
pub fn become_subreaper() -> io::Result<bool> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: PR_SET_CHILD_SUBREAPER takes an integer flag and touches no memory of ours.
        let result = unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
        if result == 0 {
            Ok(true)
        } else {
            Err(io::Error::last_os_error())
        }
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
        let mut flag: libc::c_int = 0;
        // SAFETY: PR_GET_CHILD_SUBREAPER writes one c_int through the pointer we pass, which
        // points at a live local.
        let result = unsafe {
            libc::prctl(
                libc::PR_GET_CHILD_SUBREAPER,
                &mut flag as *mut libc::c_int,
                0,
                0,
                0,
            )
        };
        result == 0 && flag != 0
    }
    #[cfg(not(target_os = "linux"))]
    {
        false
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
                    // SAFETY: kill has no memory-safety preconditions; pid is a child of
                    // ours, so it cannot be reused before we reap it.
                    unsafe { libc::kill(process.pid, libc::SIGKILL) };
                    alive.push(process.pid);
                }
                reap(process.pid).await;
            }
        }
    }
    alive
}

#[cfg(target_os = "linux")]
async fn reap(pid: i32) {
    let mut pause = Duration::from_millis(1);
    loop {
        let mut status = 0;
        // SAFETY: waitpid on one specific child with WNOHANG writes the status into a local.
        let result = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if result != 0 {
            // Reaped, or not our child any more (ECHILD): either way it is gone from our view.
            return;
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

#[cfg(target_os = "linux")]
fn adopted_children() -> Vec<ProcStat> {
    // SAFETY: getpid has no preconditions.
    let me = unsafe { libc::getpid() };
    procfs_processes()
        .into_iter()
        .filter(|process| process.ppid == me && !super::registry::is_ours(process.pid))
        .collect()
}

/// One line of `/proc/<pid>/stat`, the fields we use.
#[cfg(target_os = "linux")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) pid: i32,
    pub(crate) state: char,
    pub(crate) ppid: i32,
    pub(crate) pgrp: i32,
}

#[cfg(target_os = "linux")]
impl ProcStat {
    /// `false` for a zombie (`Z`) or a process being torn down (`X`).
    pub(crate) fn is_alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X')
    }
}

/// Every process procfs lists now. Processes that vanish while we read are skipped.
#[cfg(target_os = "linux")]
pub(crate) fn procfs_processes() -> Vec<ProcStat> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(read_stat)
        .collect()
}

/// Reads and parses `/proc/<pid>/stat`.
#[cfg(target_os = "linux")]
pub(crate) fn read_stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

#[cfg(target_os = "linux")]
fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name is in parentheses and may itself contain spaces and parentheses: the
    // fields we want follow the last ')'.
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        state,
        ppid,
        pgrp,
    })
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_command_names() {
        let stat = parse_stat("42 (a) b (c)) S 7 42 42 0 -1 4194560").expect("parses");
        assert_eq!(
            stat,
            ProcStat {
                pid: 42,
                state: 'S',
                ppid: 7,
                pgrp: 42
            }
        );
    }
}

/// Reaps adopted children that have already exited, without waiting and without killing the
/// living: used while a group is given its grace, so that adopted zombies do not keep the group
/// looking alive.
pub(crate) fn reap_adopted_zombies() {
    #[cfg(target_os = "linux")]
    {
        if !is_subreaper() {
            return;
        }
        for process in adopted_children() {
            let mut status = 0;
            // SAFETY: waitpid on one specific child with WNOHANG writes into a local.
            unsafe { libc::waitpid(process.pid, &mut status, libc::WNOHANG) };
        }
    }
}
