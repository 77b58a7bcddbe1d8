//! The runtime port of a prepare-only run: it is never launched, and says so if it were.

use async_trait::async_trait;
use session_domain::{Failure, PortFailure, RunNumber, RuntimeEnd, RuntimeInfo};
use session_ports::{OutputSender, RunningRuntime, RuntimeSource};

/// A `RuntimeSource` for `prepare`, whose runs never reach the runtime.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRuntime;

#[async_trait]
impl RuntimeSource for NoRuntime {
    async fn launch(&self, _run: RunNumber, _output: OutputSender) -> Box<dyn RunningRuntime> {
        Box::new(NoRuntime)
    }
}

#[async_trait]
impl RunningRuntime for NoRuntime {
    async fn ready(&self) -> Result<RuntimeInfo, RuntimeEnd> {
        Err(RuntimeEnd::LaunchFailed(PortFailure {
            failure: Failure::RuntimeSpawn,
            reason: "no runtime is configured for a prepare-only session".into(),
        }))
    }

    async fn wait(&self) -> RuntimeEnd {
        RuntimeEnd::Stopped
    }

    fn stop(&self) {}

    fn kill_now(&self) {}
}
