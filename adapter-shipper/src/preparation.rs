//! One preparation: the three steps in order, then the manifest.

use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::sync::Arc;

use adapter_process::{self as process, ProcessSpec, StopControl};
use session_domain::{
    AbnormalExit, Failure, LineBatch, LineMeta, PortFailure, PreparationEnd, RunNumber, Severity,
    Source, Step, StepEnd, StepFailure, StepName, StepOutcome, StepRecord, Termination,
    human_duration,
};
use session_ports::{Clock, OutputSender};

use crate::ShipperSettings;
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
enum StepResult {
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
                StepResult::Succeeded => {}
                StepResult::Failed(failure) => return PreparationEnd::Failed(failure),
                StepResult::Stopped => return PreparationEnd::Stopped,
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

    async fn run_step(&self, step: Step) -> StepResult {
        let command = self.settings.steps.command(step);
        let shown = process::display_command(command);
        let root = &self.settings.project_root;
        let Some(program) = command.first().filter(|program| !program.is_empty()) else {
            let reason = format!("{step} failed: no command is configured for it");
            return self.spawn_failed(step, command.to_vec(), reason).await;
        };
        self.say(Severity::Info, &format!("{step}: running `{shown}`"))
            .await;

        // The step gets `[shipper] env`'s PATH when it sets one: look the program up there.
        let configured_path = self.settings.steps.env.get("PATH").map(OsStr::new);
        let Some(resolved) = process::resolve_program(Path::new(program), root, configured_path)
        else {
            let which = if configured_path.is_some() {
                "the PATH set in [shipper] env"
            } else {
                "PATH"
            };
            let reason = format!(
                "{step} failed: `{shown}` could not be started: `{program}` was not found on {which}"
            );
            return self.spawn_failed(step, command.to_vec(), reason).await;
        };
        let as_run: Vec<String> = std::iter::once(resolved.display().to_string())
            .chain(command[1..].iter().cloned())
            .collect();
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
            return StepResult::Stopped;
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
                    error.cause()
                );
                return self.spawn_failed(step, as_run, reason).await;
            }
        };
        tracing::debug!(run = self.run, %step, pid = supervised.pid(), "step started");
        let started = StepRecord::started(
            self.clock.now(),
            step.into(),
            as_run,
            Some(supervised.pid()),
        );
        let _ = self.output.send_step(started);

        let report = supervised.finished().await;
        let took = human_duration(report.duration);
        tracing::debug!(run = self.run, %step, termination = %report.termination, "step reaped");
        let ended = |outcome| StepEnd {
            duration_ms: millis(report.duration),
            outcome,
            exit: Some(report.termination),
        };
        if report.signalled_by_us || self.stop_asked() {
            let message = format!("{step} stopped: {} in {took}", report.termination);
            self.say(Severity::Info, &message).await;
            self.step_ended(step.into(), ended(StepOutcome::Stopped))
                .await;
            return StepResult::Stopped;
        }
        match report.termination {
            Termination::Success => {
                let message = format!("{step} finished: exit 0 in {took}");
                self.say(Severity::Info, &message).await;
                self.step_ended(step.into(), ended(StepOutcome::Succeeded))
                    .await;
                StepResult::Succeeded
            }
            Termination::Abnormal(exit) => {
                let message = format!("{step} failed: {exit} in {took}");
                self.say(Severity::Error, &message).await;
                self.step_ended(step.into(), ended(StepOutcome::Failed))
                    .await;
                let how = match exit {
                    AbnormalExit::Code(code) => format!("exited with code {code}"),
                    AbnormalExit::Signal(signal) => {
                        format!("was killed by {signal}")
                    }
                };
                StepResult::Failed(PortFailure {
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
    async fn spawn_failed(&self, step: Step, command: Vec<String>, reason: String) -> StepResult {
        tracing::debug!(run = self.run, %step, %reason, "step could not be started");
        let started = StepRecord::started(self.clock.now(), step.into(), command, None);
        let _ = self.output.send_step(started);
        self.say(Severity::Error, &reason).await;
        let end = StepEnd {
            duration_ms: 0,
            outcome: StepOutcome::Failed,
            exit: None,
        };
        self.step_ended(step.into(), end).await;
        StepResult::Failed(PortFailure {
            failure: Failure::Step {
                step,
                cause: StepFailure::Spawn,
            },
            reason,
        })
    }

    /// Writes the manifest from the cartridge metadata, or checks that `pack` wrote it.
    async fn produce_manifest(&self) -> Result<(), PortFailure> {
        let began = self.clock.now();
        let _ = self.output.send_step(StepRecord::manifest_started(began));
        let produced = self.write_or_check_manifest().await;
        let end = StepEnd {
            duration_ms: self.clock.now().nanos_since(began) / 1_000_000,
            outcome: match produced {
                Ok(()) => StepOutcome::Succeeded,
                Err(_) => StepOutcome::Failed,
            },
            exit: None,
        };
        self.step_ended(StepName::Manifest, end).await;
        produced
    }

    async fn write_or_check_manifest(&self) -> Result<(), PortFailure> {
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

    async fn step_ended(&self, step: StepName, end: StepEnd) {
        let record = StepRecord::ended(self.clock.now(), step, end);
        let _ = self.output.send_step(record);
    }

    async fn say(&self, severity: Severity, message: &str) {
        let batch = LineBatch::session_line(self.clock.now(), severity, message);
        let _ = self.output.tell(batch);
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
        let _ = self.output.tell(batch);
    }
}

fn millis(duration: std::time::Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}
