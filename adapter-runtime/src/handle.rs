//! The handle the service holds while a runtime starts and runs.

use std::sync::Arc;

use adapter_shipper::process::{StopControl, StopLevel};
use async_trait::async_trait;
use session_domain::{Failure, PortFailure, RuntimeEnd, RuntimeInfo};
use session_ports::RunningRuntime;
use tokio::sync::watch;

/// How `ready()` resolved, once it has.
pub(crate) type ReadyState = Option<Result<RuntimeInfo, RuntimeEnd>>;

/// Stop requests: what the user asked (which decides `Stopped`), and the control the process
/// supervisor acts on (which the adapter also uses to end a group after a failed handshake,
/// without that counting as a stop).
#[derive(Debug, Clone)]
pub(crate) struct Stopper {
    asked: Arc<watch::Sender<StopLevel>>,
    control: StopControl,
}

impl Stopper {
    pub(crate) fn new() -> Self {
        Self {
            asked: Arc::new(watch::Sender::new(StopLevel::Running)),
            control: StopControl::new(),
        }
    }

    /// The user's graceful stop. The request is recorded before the group is signalled, so
    /// that whatever the signal causes is already known to be ours.
    pub(crate) fn stop(&self) {
        self.raise(StopLevel::Terminate);
        self.control.terminate();
    }

    /// The user's kill-now.
    pub(crate) fn kill_now(&self) {
        self.raise(StopLevel::Kill);
        self.control.kill();
    }

    fn raise(&self, to: StopLevel) {
        self.asked.send_if_modified(|level| {
            let raised = to > *level;
            if raised {
                *level = to;
            }
            raised
        });
    }

    /// `true` once the user asked for a stop or a kill.
    pub(crate) fn asked(&self) -> bool {
        *self.asked.borrow() != StopLevel::Running
    }

    /// Resolves once the user asked for a stop or a kill.
    pub(crate) async fn wait_asked(&self) {
        let mut asked = self.asked.subscribe();
        // The sender lives as long as `self`, so this only ends when a stop was asked.
        let _ = asked.wait_for(|level| *level != StopLevel::Running).await;
    }

    /// The control the process supervisor watches.
    pub(crate) fn control(&self) -> &StopControl {
        &self.control
    }
}

/// A launched runtime: its task publishes `ready` and then `end`; the handle only watches and
/// forwards stop requests.
#[derive(Debug)]
pub(crate) struct RuntimeHandle {
    pub(crate) stopper: Stopper,
    pub(crate) ready: watch::Receiver<ReadyState>,
    pub(crate) end: watch::Receiver<Option<RuntimeEnd>>,
}

/// What to report if the launch task vanished without a word (it panicked, or the tokio
/// runtime is shutting down). Its process group was killed by the supervisor's guard.
fn vanished() -> RuntimeEnd {
    RuntimeEnd::LaunchFailed(PortFailure {
        failure: Failure::RuntimeSpawn,
        reason: "the runtime adapter's task ended unexpectedly".to_owned(),
    })
}

#[async_trait]
impl RunningRuntime for RuntimeHandle {
    async fn ready(&self) -> Result<RuntimeInfo, RuntimeEnd> {
        let mut ready = self.ready.clone();
        let waited = ready
            .wait_for(Option::is_some)
            .await
            .map(|outcome| (*outcome).clone());
        // An error means the task is gone: the last value it published stands.
        let outcome = waited.unwrap_or_else(|_| (*ready.borrow()).clone());
        outcome.unwrap_or_else(|| Err(vanished()))
    }

    async fn wait(&self) -> RuntimeEnd {
        let mut end = self.end.clone();
        let waited = end
            .wait_for(Option::is_some)
            .await
            .map(|outcome| (*outcome).clone());
        let outcome = waited.unwrap_or_else(|_| (*end.borrow()).clone());
        outcome.unwrap_or_else(vanished)
    }

    fn stop(&self) {
        tracing::debug!("runtime stop asked");
        self.stopper.stop();
    }

    fn kill_now(&self) {
        tracing::debug!("runtime kill asked");
        self.stopper.kill_now();
    }
}

impl Drop for RuntimeHandle {
    fn drop(&mut self) {
        // A backstop: the service never drops a handle before `wait` resolved, but if a
        // frontend does, the runtime must not outlive it.
        if self.end.borrow().is_none() {
            self.stopper.kill_now();
        }
    }
}
