//! The session's side of the guardian: a child process that ends every process of the run when
//! the session dies without a chance to do it itself (SIGKILL, a fault, an abort).
//!
//! `PR_SET_PDEATHSIG` reaches only the direct children; the guardian reaches the rest. The
//! session starts it once, before anything else, as its own program re-executed with a hidden
//! first argument ([`GUARDIAN_ARG`]; the program's `main` hands it to
//! [`run_guardian_if_asked`](crate::run_guardian_if_asked)). It tells the guardian every
//! process group it starts and every group it has seen emptied, one line each through the
//! guardian's stdin; every child of the run also gets the run's marker in its environment
//! ([`RUN_MARKER_VAR`]), which its descendants inherit even when they leave the group. When
//! that pipe closes, because the session exited or died, the guardian kills the groups it was
//! told about and every process that carries the marker, then exits. See
//! `docs/process-lifecycle.md`.

use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The hidden first argument that makes the program the guardian.
pub const GUARDIAN_ARG: &str = "__prometeu-session-guardian";

/// The environment variable every child of the run gets: `<session pid>.<random>`, unique to
/// one session. Whatever carries it when the session dies is killed.
pub const RUN_MARKER_VAR: &str = "PROMETEU_SESSION_RUN";

/// How long dropping a [`Guardian`] waits for the guardian's last sweep before killing it.
const FINISH_PATIENCE: Duration = Duration::from_secs(5);

/// The write end of the guardian's stdin, while it runs.
static LINK: Mutex<Option<ChildStdin>> = Mutex::new(None);
/// The guardian's pid (0: none), so that the adopted-process sweep never takes it for one.
static PID: AtomicU32 = AtomicU32::new(0);
/// This session's marker, once a guardian was started.
static MARKER: OnceLock<String> = OnceLock::new();

/// The guardian could not be started.
#[derive(Debug, thiserror::Error)]
pub enum GuardianError {
    /// The program cannot find its own executable to run it again.
    #[error("cannot find this program's own executable: {0}")]
    OwnExecutable(#[source] io::Error),
    /// The operating system refused to start it.
    #[error("cannot start the guardian process: {0}")]
    Spawn(#[source] io::Error),
    /// This process already has one.
    #[error("a guardian is already running for this session")]
    AlreadyStarted,
}

/// The running guardian. Dropping it (once the run has ended) closes its pipe, so that it makes
/// its last sweep, which normally finds nothing left, and exits; the drop reaps it. If the
/// session dies instead, the pipe closes all the same and the guardian does its job.
#[derive(Debug)]
pub struct Guardian {
    child: Child,
}

/// Starts the guardian (once per process, before anything of the run is spawned).
pub fn start_guardian() -> Result<Guardian, GuardianError> {
    let marker = new_marker();
    if MARKER.set(marker.clone()).is_err() {
        return Err(GuardianError::AlreadyStarted);
    }
    let program = std::env::current_exe().map_err(GuardianError::OwnExecutable)?;
    let mut child = Command::new(program)
        .arg(GUARDIAN_ARG)
        .arg(&marker)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        // Its own group: a Ctrl-C or a kill of the session's job must not reach it.
        .process_group(0)
        .spawn()
        .map_err(GuardianError::Spawn)?;
    let Some(stdin) = child.stdin.take() else {
        return Err(GuardianError::Spawn(io::Error::other(
            "no pipe to the guardian",
        )));
    };
    // Never block the session on a guardian that stopped reading (say, a SIGSTOPped one): a
    // full pipe loses a message, and the marker still finds what it named.
    if let Err(error) = rustix::io::ioctl_fionbio(&stdin, true) {
        tracing::debug!(%error, "the pipe to the guardian stays blocking");
    }
    PID.store(child.id(), Ordering::SeqCst);
    *link() = Some(stdin);
    for pgid in super::registry::live_groups() {
        tell(Change::Added, pgid);
    }
    Ok(Guardian { child })
}

impl Drop for Guardian {
    fn drop(&mut self) {
        drop(link().take());
        let deadline = Instant::now() + FINISH_PATIENCE;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if Instant::now() >= deadline => {
                    tracing::warn!(
                        "the guardian did not finish its last sweep in time; killing it"
                    );
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(2)),
            }
        }
        PID.store(0, Ordering::SeqCst);
    }
}

/// What the guardian is told about a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Change {
    /// A group of the run was started.
    Added,
    /// The group is known empty: its pgid may be reused, never signal it again.
    Removed,
}

/// Tells the guardian, if there is one, about a group. Never blocks.
pub(crate) fn tell(change: Change, pgid: i32) {
    let mut link = link();
    let Some(pipe) = link.as_mut() else {
        return;
    };
    let sign = match change {
        Change::Added => '+',
        Change::Removed => '-',
    };
    if let Err(error) = pipe.write_all(format!("{sign}{pgid}\n").as_bytes()) {
        tracing::warn!(%error, "lost the guardian; processes of the run may outlive a session that is killed");
        *link = None;
    }
}

/// `true` for the guardian's pid.
pub(crate) fn is_guardian(pid: i32) -> bool {
    let guardian = PID.load(Ordering::SeqCst);
    guardian != 0 && u32::try_from(pid).is_ok_and(|pid| pid == guardian)
}

/// This session's marker, once a guardian was started: children get it in their environment.
pub(crate) fn run_marker() -> Option<&'static str> {
    MARKER.get().map(String::as_str)
}

fn link() -> MutexGuard<'static, Option<ChildStdin>> {
    LINK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// `<pid>.<64 random bits>`: the pid makes it readable, the random part unguessable and unique
/// even when pids are reused.
fn new_marker() -> String {
    let mut hasher = std::hash::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_nanos()),
    );
    format!("{}.{:016x}", std::process::id(), hasher.finish())
}
