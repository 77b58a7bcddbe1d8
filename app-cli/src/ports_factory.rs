//! The session's [`RunPortsFactory`] over the configuration file: every play reads the file
//! again, so a changed file is used by the next run, and a file that no longer validates
//! refuses that play with the line the CLI would print for exit 2.

use std::sync::Arc;

use adapter_runtime::Runtime;
use adapter_shipper::Shipper;
use async_trait::async_trait;
use session_ports::{
    Clock, PlayRequest, RunPorts, RunPortsFactory, RuntimeSource, SettingsRejected,
};

use crate::no_runtime::NoRuntime;
use crate::run_settings::{RunSettings, SettingsSource, load_run_settings};

/// Builds each run's ports from the configuration as it is when the run is asked for. Holds
/// only what every frontend has: the project, the file and the flags that override it.
#[derive(Debug, Clone)]
pub struct ConfigPortsFactory {
    source: SettingsSource,
    clock: Arc<dyn Clock>,
}

impl ConfigPortsFactory {
    /// A factory reading `source`, whose ports stamp lines with `clock`.
    pub fn new(source: SettingsSource, clock: Arc<dyn Clock>) -> Self {
        Self { source, clock }
    }
}

#[async_trait]
impl RunPortsFactory for ConfigPortsFactory {
    async fn ports_for(&self, request: &PlayRequest) -> Result<RunPorts, SettingsRejected> {
        // A small file and a few stats: read in place rather than on the blocking pool.
        let settings = load_run_settings(&self.source, request)
            .map_err(|error| SettingsRejected::new(error.to_string()))?;
        Ok(run_ports(settings, &self.clock))
    }
}

/// The ports one run is driven through, from its validated settings: the shipper, and the
/// runtime or, for a prepare-only run, [`NoRuntime`].
fn run_ports(settings: RunSettings, clock: &Arc<dyn Clock>) -> RunPorts {
    let runtime: Arc<dyn RuntimeSource> = match settings.runtime {
        Some(runtime) => Arc::new(Runtime::new(runtime, Arc::clone(clock))),
        None => Arc::new(NoRuntime),
    };
    RunPorts {
        shipper: Arc::new(Shipper::new(settings.shipper, Arc::clone(clock))),
        runtime,
    }
}
