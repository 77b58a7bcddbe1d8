//! One preparation: the three steps in order, then the manifest.

use std::ffi::OsString;
use std::path::Path;
use std::sync::Arc;

use adapter_process::{self as process, ProcessSpec, StopControl};
use session_domain::{
    AbnormalExit, Failure, LineBatch, LineMeta, PortFailure, PreparationEnd, RunNumber, Severity,
    Source, Step, StepFailure, Termination, human_duration,
};
use session_ports::{Clock, OutputSender};

use crate::ShipperSettings;
use crate::command::display_command;
use crate::manifest::{self, MANIFEST_PATH};

/// How far a preparation got; what a panic report falls back on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stage {
    /// Running this step.
    Step(Step),
    /// Writing or checking the manifest.
    Manifest,
}

/// How one step ended.
enum StepEnd {
    Succeeded,
    Failed(PortFailure),
    Stopped,
}

/// Everything one preparation needs; consumed by [`Preparation::run`].
pub(crate) struct Preparation {
    pub(crate) settings: Arc<ShipperSettings>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) output: OutputSender,
    pub(crate) stop: StopControl,
    pub(crate) run: RunNumber,
    /// Where it is, for the report if the task panics.
    pub(crate) stage: Arc<std::sync::Mutex<Stage>>,
}

impl Preparation {
    /// Runs `build`, `pack-validation` and `pack` in order, stopping at the first failure or
    /// stop, then produces the manifest. Every process is reaped before it returns.
    pub(crate) async fn run(self) -> PreparationEnd {
        for step in Step::ORDER {
            if self.stop_asked() {
                return PreparationEnd::Stopped;
            }
            self.enter(Stage::Step(step));
            match self.run_step(step).await {
                StepEnd::Succeeded => {}
                StepEnd::Failed(failure) => return PreparationEnd::Failed(failure),
                StepEnd::Stopped => return PreparationEnd::Stopped,
            }
        }
        if self.stop_asked() {
            return PreparationEnd::Stopped;
        }
        self.enter(Stage::Manifest);
        let produced = self.produce_manifest().await;
        match produced {
            Err(failure) => PreparationEnd::Failed(failure),
            // A stop that arrived while the manifest was written still ends the run stopped:
            // the session is already `stopping` and waits for exactly that.
            Ok(()) if self.stop_asked() => PreparationEnd::Stopped,
            Ok(()) => PreparationEnd::Succeeded,
        }
    }

    fn enter(&self, stage: Stage) {
        if let Ok(mut current) = self.stage.lock() {
            *current = stage;
        }
    }

    fn stop_asked(&self) -> bool {
        self.stop.is_asked()
    }

    async fn run_step(&self, step: Step) -> StepEnd {
        let command = self.settings.steps.command(step);
        let shown = display_command(command);
        let root = &self.settings.project_root;
        let Some(program) = command.first().filter(|program| !program.is_empty()) else {
            let reason = format!("{step} failed: no command is configured for it");
            return self.spawn_failed(step, reason).await;
        };
        self.say(Severity::Info, &format!("{step}: running `{shown}`"))
            .await;

        let Some(resolved) = process::resolve_program(Path::new(program), root) else {
            let reason = format!(
                "{step} failed: `{shown}` could not be started: `{program}` was not found on PATH"
            );
            return self.spawn_failed(step, reason).await;
        };
        let spec = ProcessSpec {
            label: step.as_str().to_owned(),
            source: step.source(),
            program: resolved,
            args: command[1..].iter().map(OsString::from).collect(),
            cwd: root.clone(),
            env: self
                .settings
                .steps
                .env
                .iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value)))
                .collect(),
            // A SIGKILLed session must not leave a step behind. Steps are spawned from the
            // session's long-lived thread, as the runtime is.
            die_with_parent: true,
        };
        // The line above may have waited behind a slow sink: a stop asked meanwhile means this
        // step must not start at all.
        if self.stop_asked() {
            return StepEnd::Stopped;
        }
        let spawned = process::spawn(
            &spec,
            self.settings.timing,
            Arc::clone(&self.clock),
            self.output.clone(),
            &self.stop,
        );
        let supervised = match spawned {
            Ok(supervised) => supervised,
            Err(error) => {
                let reason = format!(
                    "{step} failed: `{shown}` could not be started: {}: {}",
                    error.program.display(),
                    error.source
                );
                return self.spawn_failed(step, reason).await;
            }
        };
        tracing::debug!(run = self.run, %step, pid = supervised.pid(), "step started");

        let report = supervised.finished().await;
        let took = human_duration(report.duration);
        tracing::debug!(run = self.run, %step, termination = %report.termination, "step reaped");
        if report.signalled_by_us || self.stop_asked() {
            let message = format!("{step} stopped: {} in {took}", report.termination);
            self.say(Severity::Info, &message).await;
            return StepEnd::Stopped;
        }
        match report.termination {
            Termination::Success => {
                let message = format!("{step} finished: exit 0 in {took}");
                self.say(Severity::Info, &message).await;
                StepEnd::Succeeded
            }
            Termination::Abnormal(exit) => {
                let message = format!("{step} failed: {exit} in {took}");
                self.say(Severity::Error, &message).await;
                let how = match exit {
                    AbnormalExit::Code(code) => format!("exited with code {code}"),
                    AbnormalExit::Signal(signal) => {
                        format!("was killed by {signal}")
                    }
                };
                StepEnd::Failed(PortFailure {
                    failure: Failure::Step {
                        step,
                        cause: StepFailure::Exit(exit),
                    },
                    reason: format!("{step} failed: `{shown}` {how}"),
                })
            }
        }
    }

    /// Tells a step that could not be started, and ends preparation with it.
    async fn spawn_failed(&self, step: Step, reason: String) -> StepEnd {
        tracing::debug!(run = self.run, %step, %reason, "step could not be started");
        self.say(Severity::Error, &reason).await;
        StepEnd::Failed(PortFailure {
            failure: Failure::Step {
                step,
                cause: StepFailure::Spawn,
            },
            reason,
        })
    }

    /// Writes the manifest from the cartridge metadata, or checks that `pack` wrote it.
    async fn produce_manifest(&self) -> Result<(), PortFailure> {
        let root = self.settings.project_root.clone();
        let cartridge = self.settings.cartridge.clone();
        let outcome = tokio::task::spawn_blocking(move || match &cartridge {
            Some(cartridge) => manifest::write_manifest(&root, cartridge)
                .map(|()| {
                    format!(
                        "wrote {MANIFEST_PATH} ({} {})",
                        cartridge.title, cartridge.app_version
                    )
                })
                .map_err(|error| format!("could not write {MANIFEST_PATH}: {error}")),
            None => manifest::check_manifest(&root)
                .map(|()| {
                    format!("{MANIFEST_PATH} is present (no [cartridge] table: pack wrote it)")
                })
                .map_err(|error| error.to_string()),
        })
        .await;
        let outcome = outcome.unwrap_or_else(|error| {
            Err(format!(
                "producing {MANIFEST_PATH} failed unexpectedly: {error}"
            ))
        });
        match outcome {
            Ok(message) => {
                self.say_manifest(Severity::Info, &message).await;
                Ok(())
            }
            Err(reason) => {
                self.say_manifest(Severity::Error, &reason).await;
                Err(PortFailure {
                    failure: Failure::Manifest,
                    reason,
                })
            }
        }
    }

    async fn say(&self, severity: Severity, message: &str) {
        let batch = LineBatch::session_line(self.clock.now(), severity, message);
        let _ = self.output.send(batch).await;
    }

    async fn say_manifest(&self, severity: Severity, message: &str) {
        let mut batch = LineBatch::with_capacity(message.len(), 1);
        let meta = LineMeta {
            at: self.clock.now(),
            source: Source::Manifest,
            severity,
            stream: None,
            truncated: false,
        };
        batch.push(meta, message);
        let _ = self.output.send(batch).await;
    }
}
