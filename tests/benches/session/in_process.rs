//! A session built from the adapters in this process, for the figures that need its API
//! (`stop()`, `subscribe()`) rather than the command line.

use std::num::NonZeroUsize;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use adapter_process::ProcessTiming;
use adapter_runtime::{Runtime, RuntimeSettings};
use adapter_shipper::{Shipper, ShipperConfig, ShipperSettings};
use session_domain::{LogLimits, RunMode};
use session_ports::{Clock, ExecutionSession, Ports, RunPorts, ServiceSettings, SystemClock};

use crate::fixtures::make_executable;

/// A session of a project whose steps are `true` and whose runtime is the shell `script`.
pub fn session(dir: &Path, name: &str, script: &str, stop_grace: Duration) -> ExecutionSession {
    let project = dir.join(name);
    std::fs::create_dir_all(project.join("build")).expect("mkdir");
    std::fs::write(project.join("build/manifest.json"), "{}\n").expect("manifest");
    let runtime = project.join("runtime.sh");
    std::fs::write(&runtime, format!("#!/bin/sh\n{script}\n")).expect("runtime");
    make_executable(&runtime);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let timing = ProcessTiming {
        stop_grace,
        pipe_grace: Duration::from_millis(200),
        max_line: NonZeroUsize::new(64 * 1024).expect("non-zero"),
    };
    let truth = vec!["true".to_owned()];
    let shipper = Shipper::new(
        ShipperSettings {
            project_root: project.clone(),
            steps: ShipperConfig {
                build: truth.clone(),
                pack_validation: truth.clone(),
                pack: truth,
                env: Default::default(),
            },
            cartridge: None,
            timing,
        },
        Arc::clone(&clock),
    );
    let runtime = Runtime::new(
        RuntimeSettings {
            project_root: project,
            program: runtime,
            mode: RunMode::Run,
            debug_address: "127.0.0.1:7777".parse().expect("address"),
            handshake_timeout: Duration::from_secs(10),
            env: Default::default(),
            timing,
        },
        Arc::clone(&clock),
    );
    let settings = ServiceSettings {
        limits: LogLimits {
            max_events: NonZeroUsize::new(200_000).expect("non-zero"),
            max_bytes: NonZeroUsize::new(64 * 1024 * 1024).expect("non-zero"),
        },
        ..ServiceSettings::default()
    };
    ExecutionSession::start(
        Ports {
            factory: Arc::new(RunPorts {
                shipper: Arc::new(shipper),
                runtime: Arc::new(runtime),
            }),
            clock,
        },
        Vec::new(),
        settings,
    )
}
