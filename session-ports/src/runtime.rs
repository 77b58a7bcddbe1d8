//! The `RuntimeSource` port: the console runtime process (and its DevTools connection).

use async_trait::async_trait;
use session_domain::{RunNumber, RuntimeEnd, RuntimeInfo};

use crate::OutputSender;

/// Launches runtimes. Implemented over a real process by `adapter-runtime`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RuntimeSource: Send + Sync {
    /// Launches the runtime for run `run` and returns at once with its handle.
    ///
    /// Must return promptly: spawning, connecting and the handshake happen behind
    /// [`RunningRuntime::ready`]. A launch that fails (spawn, address in use, handshake) is
    /// reported there, never as a panic.
    async fn launch(&self, run: RunNumber, output: OutputSender) -> Box<dyn RunningRuntime>;
}

/// A runtime being started or running.
///
/// The service calls [`ready`](Self::ready) once and, if it succeeded,
/// [`wait`](Self::wait) once, never dropping either future before it resolves.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RunningRuntime: Send + Sync {
    /// Resolves when the runtime is running (run mode: spawned; debug mode: handshake completed
    /// and `start` sent), or with how it ended if it never got there. On `Err`, every line has
    /// been sent and every process of its group reaped, as for [`wait`](Self::wait).
    async fn ready(&self) -> Result<RuntimeInfo, RuntimeEnd>;

    /// Resolves when the runtime has ended: every line of its output has been sent, and its
    /// whole process group (and, on Linux, every process adopted from it) has been reaped.
    /// Reports `Stopped` only after [`stop`](Self::stop) or [`kill_now`](Self::kill_now).
    async fn wait(&self) -> RuntimeEnd;

    /// Asks for a graceful stop: SIGTERM to the group, `stop_grace`, SIGKILL. Returns at once.
    fn stop(&self);

    /// Skips the grace: SIGKILL to the group now. Returns at once.
    fn kill_now(&self);
}
