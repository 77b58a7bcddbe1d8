//! [`Runtime`]: the `RuntimeSource` port over a real runtime process.

use std::sync::Arc;

use adapter_process::StopControl;
use async_trait::async_trait;
use session_domain::RunNumber;
use session_ports::{Clock, OutputSender, RunningRuntime, RuntimeSource};
use tokio::sync::watch;
use tracing::Instrument;

use crate::RuntimeSettings;
use crate::handle::RuntimeHandle;
use crate::launch::Launch;

/// Launches the PROMETEU runtime as its settings say. Cheap to clone.
///
/// Each [`launch`](RuntimeSource::launch) returns at once; the work happens in a tokio task
/// (which must run on a runtime whose worker threads outlive the run: the runtime process gets
/// `PR_SET_PDEATHSIG` tied to the spawning thread).
#[derive(Debug, Clone)]
pub struct Runtime {
    settings: Arc<RuntimeSettings>,
    clock: Arc<dyn Clock>,
}

impl Runtime {
    /// A runtime source with these settings, stamping lines with `clock`. The settings are
    /// used as given: frontends validate them (app-cli's `config` does).
    pub fn new(settings: RuntimeSettings, clock: Arc<dyn Clock>) -> Self {
        debug_assert_ne!(settings.debug_address.port(), 0, "validated: a fixed port");
        debug_assert!(
            !settings.handshake_timeout.is_zero(),
            "validated: above zero"
        );
        Self {
            settings: Arc::new(settings),
            clock,
        }
    }

    /// The settings it launches with.
    pub fn settings(&self) -> &RuntimeSettings {
        &self.settings
    }
}

#[async_trait]
impl RuntimeSource for Runtime {
    async fn launch(&self, run: RunNumber, output: OutputSender) -> Box<dyn RunningRuntime> {
        let stop = StopControl::new();
        let (ready_tx, ready_rx) = watch::channel(None);
        let (end_tx, end_rx) = watch::channel(None);
        let launch = Launch {
            settings: Arc::clone(&self.settings),
            clock: Arc::clone(&self.clock),
            output,
            stop: stop.clone(),
            ready: ready_tx,
            end: end_tx,
        };
        let span = tracing::info_span!("runtime", run, mode = self.settings.mode.as_str());
        tokio::spawn(launch.run().instrument(span));
        Box::new(RuntimeHandle {
            stop,
            ready: ready_rx,
            end: end_rx,
        })
    }
}
