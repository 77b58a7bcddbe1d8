//! [`Shipper`]: the `ShipperSource` port over real processes.

use std::sync::{Arc, Mutex};

use adapter_process::StopControl;
use async_trait::async_trait;
use session_domain::{Failure, PortFailure, PreparationEnd, RunNumber, Step, StepFailure};
use session_ports::{Clock, OutputSender, RunningPreparation, ShipperSource};
use tokio::sync::watch;

use crate::ShipperSettings;
use crate::preparation::{Preparation, Stage};

/// Prepares the project with real processes: `build`, `pack-validation`, `pack`, each in its
/// own process group in the project root, then `build/manifest.json`.
#[derive(Debug, Clone)]
pub struct Shipper {
    settings: Arc<ShipperSettings>,
    clock: Arc<dyn Clock>,
}

impl Shipper {
    /// A shipper with these settings, telling time with `clock`. The settings are used as
    /// given: frontends validate them (app-cli's `config` does); what validation would have
    /// rejected still fails cleanly at run time, as a failed step or manifest.
    pub fn new(settings: ShipperSettings, clock: Arc<dyn Clock>) -> Self {
        Self {
            settings: Arc::new(settings),
            clock,
        }
    }

    /// The settings it prepares with.
    pub fn settings(&self) -> &ShipperSettings {
        &self.settings
    }
}

#[async_trait]
impl ShipperSource for Shipper {
    async fn start(&self, run: RunNumber, output: OutputSender) -> Box<dyn RunningPreparation> {
        let stop = StopControl::new();
        let stage = Arc::new(Mutex::new(Stage::Step(Step::Build)));
        let (end_tx, end_rx) = watch::channel(None);
        let preparation = Preparation {
            settings: Arc::clone(&self.settings),
            clock: Arc::clone(&self.clock),
            output,
            stop: stop.clone(),
            run,
            stage: Arc::clone(&stage),
        };
        tracing::info!(run, root = %self.settings.project_root.display(), "preparation started");
        let work = tokio::spawn(preparation.run());
        let control = stop.clone();
        tokio::spawn(async move {
            let end = match work.await {
                Ok(end) => end,
                Err(error) => {
                    // A bug. The supervisors run in tasks of their own: asking them to kill
                    // makes sure no step outlives the preparation that started it.
                    control.kill();
                    tracing::error!(run, %error, "the preparation task failed");
                    panic_report(&stage, &control, &error.to_string())
                }
            };
            tracing::info!(run, ?end, "preparation ended");
            let _ = end_tx.send(Some(end));
        });
        Box::new(RunningShipper { stop, end: end_rx })
    }
}

/// What `wait` reports when the preparation task itself failed.
fn panic_report(stage: &Mutex<Stage>, stop: &StopControl, error: &str) -> PreparationEnd {
    if stop.is_asked() {
        return PreparationEnd::Stopped;
    }
    let stage = stage
        .lock()
        .map_or(Stage::Step(Step::Build), |stage| *stage);
    let (failure, name) = match stage {
        Stage::Step(step) => (
            Failure::Step {
                step,
                cause: StepFailure::Spawn,
            },
            step.as_str(),
        ),
        Stage::Manifest => (Failure::Manifest, "manifest"),
    };
    PreparationEnd::Failed(PortFailure {
        failure,
        reason: format!("{name} failed: internal error in the shipper ({error})"),
    })
}

/// A preparation in progress.
#[derive(Debug)]
struct RunningShipper {
    stop: StopControl,
    end: watch::Receiver<Option<PreparationEnd>>,
}

#[async_trait]
impl RunningPreparation for RunningShipper {
    async fn wait(&self) -> PreparationEnd {
        let mut end = self.end.clone();
        let waited = end.wait_for(Option::is_some).await.map(|end| end.clone());
        match waited {
            Ok(Some(end)) => end,
            // The reporting task is gone without a word: only a runtime shutting down does that,
            // and its tasks' guards have killed every group.
            _ => PreparationEnd::Stopped,
        }
    }

    fn stop(&self) {
        tracing::debug!("preparation stop asked");
        self.stop.terminate();
    }

    fn kill_now(&self) {
        tracing::debug!("preparation kill asked");
        self.stop.kill();
    }
}
