//! The handle the service holds while a runtime starts and runs.

use adapter_process::StopControl;
use async_trait::async_trait;
use session_domain::{Failure, PortFailure, RuntimeEnd, RuntimeInfo};
use session_ports::RunningRuntime;
use tokio::sync::watch;

/// How `ready()` resolved, once it has.
pub(crate) type ReadyState = Option<Result<RuntimeInfo, RuntimeEnd>>;

/// A launched runtime: its task publishes `ready` and then `end`; the handle only watches and
/// forwards stop requests.
#[derive(Debug)]
pub(crate) struct RuntimeHandle {
    /// The user's stop requests, which the process supervisor acts on.
    pub(crate) stop: StopControl,
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
        self.stop.terminate();
    }

    fn kill_now(&self) {
        tracing::debug!("runtime kill asked");
        self.stop.kill();
    }
}

impl Drop for RuntimeHandle {
    fn drop(&mut self) {
        // A backstop: the service never drops a handle before `wait` resolved, but if a
        // frontend does, the runtime must not outlive it.
        if self.end.borrow().is_none() {
            self.stop.kill();
        }
    }
}
