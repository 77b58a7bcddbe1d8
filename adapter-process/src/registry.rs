//! The process-wide list of groups we started and have not reaped yet.
//!
//! It serves two purposes: a panic hook can kill every live group (`kill_all_groups`), and the
//! subreaper's sweep can tell a process it adopted from one it spawned itself.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use super::guardian::{self, Change};

static LIVE: Mutex<BTreeSet<i32>> = Mutex::new(BTreeSet::new());

fn live() -> MutexGuard<'static, BTreeSet<i32>> {
    LIVE.lock().unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn register(pid: i32) {
    live().insert(pid);
    guardian::tell(Change::Added, pid);
}

pub(crate) fn unregister(pid: i32) {
    live().remove(&pid);
    guardian::tell(Change::Removed, pid);
}

/// The groups live now.
pub(crate) fn live_groups() -> Vec<i32> {
    live().iter().copied().collect()
}

pub(crate) fn is_ours(pid: i32) -> bool {
    live().contains(&pid)
}

/// Sends SIGKILL to every process group this process started and has not reaped yet.
///
/// For panic hooks and last-resort exits: it takes no lock that a panicking thread could hold
/// for long, and it does not wait.
pub fn kill_all_groups() {
    let groups: Vec<i32> = match LIVE.try_lock() {
        Ok(live) => live.iter().copied().collect(),
        Err(std::sync::TryLockError::Poisoned(poisoned)) => {
            poisoned.into_inner().iter().copied().collect()
        }
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for pgid in groups {
        super::group::signal_group(pgid, rustix::process::Signal::KILL);
    }
}
