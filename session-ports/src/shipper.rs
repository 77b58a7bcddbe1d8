//! The `ShipperSource` port: preparation (build, pack-validation, pack, manifest).

use async_trait::async_trait;
use session_domain::{PreparationEnd, RunNumber};

use crate::OutputSender;

/// Starts preparations. Implemented over real processes by `adapter-shipper`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait ShipperSource: Send + Sync {
    /// Starts preparing run `run` and returns at once with its handle.
    ///
    /// Must return promptly (the service's command loop awaits it): spawn the work, do not do
    /// it here. Every line goes to `output`, in batches, in the order it was read within each
    /// stream; a failure to start a step is reported through
    /// [`RunningPreparation::wait`], never as a panic.
    async fn start(&self, run: RunNumber, output: OutputSender) -> Box<dyn RunningPreparation>;
}

/// A preparation in progress.
///
/// The service calls [`wait`](Self::wait) exactly once, from its own task, and never drops that
/// future before it resolves: stopping is asked with [`stop`](Self::stop) or
/// [`kill_now`](Self::kill_now), and the ending is still observed through `wait`.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RunningPreparation: Send + Sync {
    /// Resolves when preparation has ended.
    ///
    /// Before it resolves: every line of every step has been sent to the output (the last line
    /// of a crashing step too), and every process it started, with its whole process group,
    /// has been reaped. `Stopped` only after [`stop`](Self::stop) or
    /// [`kill_now`](Self::kill_now) was called; a step that had already failed by then may
    /// still be reported as `Failed`.
    async fn wait(&self) -> PreparationEnd;

    /// Asks for a graceful stop: SIGTERM to the running step's group, `stop_grace`, then
    /// SIGKILL. Returns at once; calling it again does nothing more.
    fn stop(&self);

    /// Skips the grace: SIGKILL to the running step's group now. Returns at once.
    fn kill_now(&self);
}
