//! `ExecutionSession`: the cheap-to-clone handle every frontend holds.

use std::sync::Arc;

use session_domain::{LogLimits, RunNumber, Seq, SessionState, Snapshot};
use tokio::sync::{mpsc, oneshot};

use crate::owner::{Command, Owner};
use crate::shared::Shared;
use crate::{
    Clock, LogSink, PlayRequest, RunPortsFactory, SettingsRejected, SinkFailureReport, Subscription,
};

/// What a session is driven through for its whole life.
#[derive(Clone)]
pub struct Ports {
    /// Gives each run its shipper and runtime, from settings read when the run is asked for.
    pub factory: Arc<dyn RunPortsFactory>,
    /// The only source of time.
    pub clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Ports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ports")
            .field("clock", &self.clock)
            .finish_non_exhaustive()
    }
}

/// How the service buffers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServiceSettings {
    /// What the log holds for late subscribers.
    pub limits: LogLimits,
    /// Batches the ports may have in flight before they wait (and stop reading their pipes).
    pub output_batches: usize,
    /// Batches queued for the sinks before the service stops taking output from the ports.
    pub sink_batches: usize,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            limits: LogLimits::default(),
            output_batches: 4,
            sink_batches: 4,
        }
    }
}

/// The answer to [`ExecutionSession::play`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlayOutcome {
    /// A new run started, in `preparing`.
    Started {
        /// Its number.
        run: RunNumber,
    },
    /// A run is active; nothing changed (a `session` line says so). The settings were not
    /// read.
    Ignored {
        /// The state of the active run.
        state: SessionState,
    },
    /// The settings do not validate: nothing started and the state did not change; a
    /// `session` error line with the same words tells every watcher why. Fix the settings and
    /// play again.
    Refused {
        /// Why, in one line.
        reason: SettingsRejected,
    },
}

/// The answer to [`ExecutionSession::stop`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// The run is now `stopping`.
    Requested,
    /// It was already stopping; nothing escalated.
    AlreadyStopping,
    /// No run is active.
    NothingToStop,
}

/// The answer to [`ExecutionSession::kill_now`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KillOutcome {
    /// Every process group of the run is being killed.
    Killing,
    /// No run is active.
    NothingToKill,
}

/// The session's task has ended (it was shut down, or it panicked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the execution session has shut down")]
pub struct SessionClosed;

/// The one owner of a project's runs: a cheap handle to the task that drives them.
///
/// Cloning the handle is cheap; every clone talks to the same session. The session keeps
/// running with no subscriber and no frontend attached.
#[derive(Debug, Clone)]
pub struct ExecutionSession {
    shared: Arc<Shared>,
    commands: mpsc::UnboundedSender<Command>,
}

impl ExecutionSession {
    /// Starts the session's task on the current tokio runtime.
    ///
    /// `sinks` receive every event, in order, losslessly, in the order given (put the log file
    /// before stdout).
    pub fn start(ports: Ports, sinks: Vec<Box<dyn LogSink>>, settings: ServiceSettings) -> Self {
        let (failure_reports, failure_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::new(settings.limits, failure_rx));
        let (commands, command_rx) = mpsc::unbounded_channel();
        let owner = Owner::new(
            Arc::clone(&shared),
            ports,
            sinks,
            settings,
            command_rx,
            failure_reports,
        );
        tokio::spawn(owner.run());
        Self { shared, commands }
    }

    /// Starts a run as `request` asks, with ports built from settings read now; or reports it
    /// ignored while a run is active (reading nothing), or refused when the settings do not
    /// validate. Returns once the session has decided (and the `-> preparing` event, if any,
    /// is in the log).
    pub async fn play(&self, request: PlayRequest) -> Result<PlayOutcome, SessionClosed> {
        self.ask(|reply| Command::Play { request, reply }).await
    }

    /// Asks the run to stop with grace. Does not wait for it to end.
    pub async fn stop(&self, reason: impl Into<String>) -> Result<StopOutcome, SessionClosed> {
        let reason = reason.into();
        self.ask(|reply| Command::Stop { reason, reply }).await
    }

    /// Kills every process group of the run now (the second Ctrl-C, "Force stop"). The run is
    /// still reaped and still ends `stopped`.
    pub async fn kill_now(&self) -> Result<KillOutcome, SessionClosed> {
        self.ask(|reply| Command::KillNow { reply }).await
    }

    /// Every sink failure and the stop it caused, in order, for the frontend that owns the
    /// sinks. The first call takes the stream; later calls get `None`.
    pub fn take_sink_failures(&self) -> Option<mpsc::UnboundedReceiver<SinkFailureReport>> {
        self.shared.take_sink_failures()
    }

    /// The current state, without waiting.
    pub fn state(&self) -> SessionState {
        self.shared.session().state()
    }

    /// The state at an event boundary: `subscribe(snapshot.last_seq)` continues with no gap and
    /// no duplicate.
    pub fn snapshot(&self) -> Snapshot {
        self.shared.session().snapshot()
    }

    /// Events after `after`: 0 for everything held, a `seq` to resume from, or the newest
    /// `seq` (or anything beyond it) for live events only.
    pub fn subscribe(&self, after: Seq) -> Subscription {
        Subscription::new(Arc::clone(&self.shared), after)
    }

    /// Waits until no run is active (a terminal state, or `idle`) and returns the snapshot.
    pub async fn settled(&self) -> Snapshot {
        let mut watch = self.shared.watch();
        // An error means the owner is gone; the state it left is final.
        let _ = watch
            .wait_for(|progress| !progress.state.is_active() || progress.closed)
            .await;
        self.snapshot()
    }

    /// Waits until the state satisfies `predicate` (or the session shut down) and returns the
    /// state then. States that come and go between two looks may be missed: use a
    /// subscription to see every change.
    pub async fn wait_for_state(&self, predicate: impl Fn(SessionState) -> bool) -> SessionState {
        let mut watch = self.shared.watch();
        let seen = watch
            .wait_for(|progress| predicate(progress.state) || progress.closed)
            .await
            .map(|progress| progress.state);
        seen.unwrap_or_else(|_| self.state())
    }

    /// Stops the run if one is active, waits for a terminal state, writes and flushes every
    /// event to the sinks, and ends every subscription (after what they have not read yet).
    pub async fn shutdown(&self) {
        if self.ask(|reply| Command::Shutdown { reply }).await.is_err() {
            // Already shut down.
        }
    }

    async fn ask<T>(
        &self,
        command: impl FnOnce(oneshot::Sender<T>) -> Command,
    ) -> Result<T, SessionClosed> {
        let (reply, answer) = oneshot::channel();
        self.commands
            .send(command(reply))
            .map_err(|_| SessionClosed)?;
        answer.await.map_err(|_| SessionClosed)
    }
}
