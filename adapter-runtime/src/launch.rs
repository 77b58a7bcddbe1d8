//! The task behind one launch: check, spawn, (debug) handshake, then wait for the end.

use std::ffi::{OsStr, OsString};
use std::sync::Arc;

use adapter_process::{self as process, ProcessSpec, StopControl, Supervised, deadline_after};
use session_domain::{
    LineBatch, RunMode, RuntimeEnd, RuntimeInfo, Severity, Source, StepEnd, StepName, StepOutcome,
    StepRecord, Termination,
};
use session_ports::{Clock, OutputSender};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::devtools::{self, Connected, HandshakeParams, PumpTarget};
use crate::handle::ReadyState;
use crate::{HandshakeError, LaunchError, RuntimeSettings, check_runtime_path, story};

/// Everything one launch needs; consumed by [`Launch::run`].
pub(crate) struct Launch {
    pub(crate) settings: Arc<RuntimeSettings>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) output: OutputSender,
    /// Stop requests: the handle's, and the launch's own after a failed handshake.
    pub(crate) stop: StopControl,
    pub(crate) ready: watch::Sender<ReadyState>,
    pub(crate) end: watch::Sender<Option<RuntimeEnd>>,
}

/// A runtime that reached `running`.
struct Running {
    supervised: Supervised,
    connection: Option<devtools::Connection>,
}

impl Launch {
    /// Drives the launch to its end, publishing `ready` and then `end`.
    pub(crate) async fn run(self) {
        let end = match self.start().await {
            Ok((running, info)) => {
                tracing::info!(pid = info.pid, version = ?info.version, "runtime running");
                self.ready.send_replace(Some(Ok(info)));
                self.until_end(running).await
            }
            Err(end) => {
                self.ready.send_replace(Some(Err(end.clone())));
                end
            }
        };
        tracing::info!(?end, "runtime ended");
        self.end.send_replace(Some(end));
    }

    /// Gets the runtime to `running`, or says how it ended without getting there. On `Err`,
    /// every process is reaped and the failure is told.
    async fn start(&self) -> Result<(Running, RuntimeInfo), RuntimeEnd> {
        let settings = &*self.settings;
        if self.stop.is_asked() {
            return Err(RuntimeEnd::Stopped);
        }
        // The runtime gets `[runtime] env`'s PATH when it sets one: look the program up there.
        let configured_path = settings.env.get("PATH").map(OsStr::new);
        let program =
            match check_runtime_path(&settings.program, &settings.project_root, configured_path) {
                Ok(program) => program,
                Err(error) => {
                    let command = self.command(&settings.program);
                    return Err(self.not_started(command, error.into()).await);
                }
            };
        let command = self.command(&program);
        if settings.mode == RunMode::Debug
            && devtools::something_listens(settings.debug_address).await
        {
            let error = LaunchError::AddressInUse {
                address: settings.debug_address,
            };
            return Err(self.not_started(command, error).await);
        }
        if self.stop.is_asked() {
            return Err(RuntimeEnd::Stopped);
        }
        let spec = ProcessSpec {
            label: "runtime".to_owned(),
            source: Source::Runtime,
            program: program.clone(),
            args: vec![settings.mode.as_str().into(), "build".into()],
            cwd: settings.project_root.clone(),
            env: settings
                .env
                .iter()
                .map(|(key, value)| (OsString::from(key), OsString::from(value)))
                .collect(),
            die_with_parent: true,
        };
        let spawned_at = Instant::now();
        let supervised = match process::spawn(
            &spec,
            settings.timing,
            Arc::clone(&self.clock),
            self.output.clone(),
            &self.stop,
        ) {
            Ok(supervised) => supervised,
            Err(error) => return Err(self.not_started(command, error.into()).await),
        };
        let pid = supervised.pid();
        tracing::info!(pid, program = %program.display(), mode = settings.mode.as_str(), "runtime spawned");
        self.say(
            Severity::Info,
            &story::started(&program, settings.mode, pid),
        )
        .await;
        let started = StepRecord::started(self.clock.now(), StepName::Runtime, command, Some(pid));
        let _ = self.output.send_step(started);
        let info = RuntimeInfo {
            pid,
            version: None,
            cartridge: None,
        };
        match settings.mode {
            RunMode::Run => Ok((
                Running {
                    supervised,
                    connection: None,
                },
                info,
            )),
            RunMode::Debug => self.handshake(supervised, info, spawned_at).await,
        }
    }

    async fn handshake(
        &self,
        supervised: Supervised,
        info: RuntimeInfo,
        spawned_at: Instant,
    ) -> Result<(Running, RuntimeInfo), RuntimeEnd> {
        let settings = &*self.settings;
        let params = HandshakeParams {
            address: settings.debug_address,
            timeout: settings.handshake_timeout,
            deadline: deadline_after(spawned_at, settings.handshake_timeout),
            max_line: settings.timing.max_line,
            pipe_grace: settings.timing.pipe_grace,
        };
        tracing::debug!(address = %params.address, "connecting to DevTools");
        let message = format!("runtime: connecting to DevTools at {}", params.address);
        self.say(Severity::Info, &message).await;
        let outcome = tokio::select! {
            outcome = devtools::handshake(params, supervised.exit_watch()) => Some(outcome),
            () = self.stop.wait_asked() => None,
        };
        let connected = match outcome {
            // A stop asked meanwhile decides, whatever the socket did: the supervisor is
            // already ending the group.
            None => return Err(self.stopped_in_handshake(&supervised).await),
            Some(_) if self.stop.is_asked() => {
                return Err(self.stopped_in_handshake(&supervised).await);
            }
            Some(Ok(connected)) => connected,
            Some(Err(error)) => {
                tracing::debug!(%error, cause = error.failure().cause(), "DevTools handshake failed");
                // End what is left of the group (SIGTERM, stop grace, SIGKILL) before the
                // failure is reported; the failure keeps its own cause. The group is signalled
                // before anything is told, so that a blocked output cannot delay it. The same
                // control carries the user's stops, but nothing after this point asks whether
                // one was asked, so this one does not turn the failure into a stop.
                if !matches!(error, HandshakeError::Exited(_)) {
                    self.stop.terminate();
                    let message = format!(
                        "runtime: DevTools handshake failed ({}); ending the runtime's process group",
                        error.failure().cause()
                    );
                    self.say(Severity::Warn, &message).await;
                }
                let report = supervised.finished().await;
                let end = self.fail(error.into()).await;
                self.ended(
                    StepOutcome::Failed,
                    Some(report.termination),
                    report.duration,
                )
                .await;
                return Err(end);
            }
        };
        let Connected {
            handshake,
            connection,
        } = connected;
        tracing::info!(version = ?handshake.runtime_version, "DevTools handshake completed");
        self.say(Severity::Info, &story::connected(&handshake))
            .await;
        let info = RuntimeInfo {
            version: handshake.runtime_version,
            cartridge: handshake.cartridge,
            ..info
        };
        Ok((
            Running {
                supervised,
                connection: Some(connection),
            },
            info,
        ))
    }

    /// A stop asked during the handshake: waits until everything is reaped and tells the end,
    /// as a stop of a running runtime does.
    async fn stopped_in_handshake(&self, supervised: &Supervised) -> RuntimeEnd {
        let report = supervised.finished().await;
        let end = RuntimeEnd::Stopped;
        let line = story::ended(&end, report.termination, report.duration);
        self.say(Severity::Info, &line).await;
        self.ended(
            StepOutcome::Stopped,
            Some(report.termination),
            report.duration,
        )
        .await;
        end
    }

    /// Waits for a running runtime to end: its process and group reaped, its pipes and its
    /// DevTools socket read to the end.
    async fn until_end(&self, running: Running) -> RuntimeEnd {
        let Running {
            supervised,
            connection,
        } = running;
        let timing = self.settings.timing;
        let (reaped, reaped_rx) = watch::channel(false);
        let pump = connection.map(|connection| {
            let target = PumpTarget {
                clock: Arc::clone(&self.clock),
                output: self.output.clone(),
                exit: supervised.exit_watch(),
                pipe_grace: timing.pipe_grace,
                max_line: timing.max_line.get(),
                reaped: reaped_rx,
            };
            tokio::spawn(devtools::pump(connection, target))
        });
        let report = supervised.finished().await;
        if let Some(pump) = pump {
            // Every process of the group is gone, so the socket is at end of file or about to
            // be; the pump delivers what is left and gives up a socket that stays silent.
            reaped.send_replace(true);
            if let Err(error) = pump.await {
                tracing::error!(%error, "the DevTools pump failed");
            }
        }
        let end = if self.stop.is_asked() {
            RuntimeEnd::Stopped
        } else {
            RuntimeEnd::Exited(report.termination)
        };
        let severity = match end {
            RuntimeEnd::Exited(termination) if !termination.is_success() => Severity::Error,
            _ => Severity::Info,
        };
        let line = story::ended(&end, report.termination, report.duration);
        self.say(severity, &line).await;
        let outcome = match end {
            RuntimeEnd::Exited(Termination::Success) => StepOutcome::Succeeded,
            RuntimeEnd::Exited(_) | RuntimeEnd::LaunchFailed(_) => StepOutcome::Failed,
            RuntimeEnd::Stopped => StepOutcome::Stopped,
        };
        self.ended(outcome, Some(report.termination), report.duration)
            .await;
        end
    }

    /// The runtime's command as run: `<program> <mode> build`.
    fn command(&self, program: &std::path::Path) -> Vec<String> {
        vec![
            program.display().to_string(),
            self.settings.mode.as_str().to_owned(),
            "build".to_owned(),
        ]
    }

    /// A runtime that could not be started: its `step` start without a pid, the failure told,
    /// then its end without an exit.
    async fn not_started(&self, command: Vec<String>, error: LaunchError) -> RuntimeEnd {
        let started = StepRecord::started(self.clock.now(), StepName::Runtime, command, None);
        let _ = self.output.send_step(started);
        let end = self.fail(error).await;
        self.ended(StepOutcome::Failed, None, std::time::Duration::ZERO)
            .await;
        end
    }

    async fn ended(
        &self,
        outcome: StepOutcome,
        exit: Option<Termination>,
        duration: std::time::Duration,
    ) {
        let end = StepEnd {
            duration_ms: u64::try_from(duration.as_millis()).unwrap_or(u64::MAX),
            outcome,
            exit,
        };
        let record = StepRecord::ended(self.clock.now(), StepName::Runtime, end);
        let _ = self.output.send_step(record);
    }

    /// Tells a failed launch (at `error`) and turns it into the end it is.
    async fn fail(&self, error: LaunchError) -> RuntimeEnd {
        tracing::debug!(%error, "runtime launch failed");
        let failure = error.to_port_failure();
        self.say(Severity::Error, &story::launch_failed(&failure.reason))
            .await;
        RuntimeEnd::LaunchFailed(failure)
    }

    async fn say(&self, severity: Severity, message: &str) {
        let batch = LineBatch::session_line(self.clock.now(), severity, message);
        // The session is gone if this fails; the process is still supervised to the end.
        let _ = self.output.tell(batch);
    }
}
