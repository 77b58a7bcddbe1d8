//! The guard that keeps a group in the live registry and kills it if supervision is abandoned.

use super::group::{group_exists, signal_group};
use super::registry;

/// Registers a group as live; when dropped (supervision done, or abandoned half-way by a panic
/// or a runtime shutting down), kills whatever is left of it and unregisters it.
#[derive(Debug)]
pub(crate) struct GroupGuard {
    pgid: i32,
}

impl GroupGuard {
    pub(crate) fn register(pgid: i32) -> Self {
        registry::register(pgid);
        Self { pgid }
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if group_exists(self.pgid) {
            signal_group(self.pgid, rustix::process::Signal::KILL);
        }
        registry::unregister(self.pgid);
    }
}
