//! The one task that owns the domain session and drives the ports.
//!
//! It selects over a closed set of inputs: commands from handles, lifecycle reports from the
//! ports, output batches from the ports (only while the sinks keep up), and sink failures. It
//! never cancels a port by dropping its future: it asks the port to stop and waits for the
//! port's own report that everything is reaped.

use std::collections::VecDeque;
use std::sync::Arc;

use session_domain::{
    Batch, Effect, Failure, Input, LineBatch, PortFailure, PreparationEnd, RunNumber, RuntimeEnd,
    RuntimeInfo, Severity, Step, StepFailure, Transition,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::execution::{KillOutcome, PlayOutcome, StopOutcome};
use crate::shared::Shared;
use crate::sink_task::{SinkFailure, spawn_sink_task};
use crate::{
    LogSink, OutputReceiver, OutputSender, PlayRequest, PortOutput, Ports, RunPorts,
    RunningPreparation, RunningRuntime, ServiceSettings, SinkFailureReport, output_channel,
};

pub(crate) enum Command {
    Play {
        request: PlayRequest,
        reply: oneshot::Sender<PlayOutcome>,
    },
    Stop {
        reason: String,
        reply: oneshot::Sender<StopOutcome>,
    },
    KillNow {
        reply: oneshot::Sender<KillOutcome>,
    },
    Shutdown {
        reply: oneshot::Sender<()>,
    },
}

/// What a port's watcher task reports; `run` guards against a report outliving its run.
enum Lifecycle {
    PreparationEnded(RunNumber, session_domain::PreparationEnd),
    RuntimeReady(RunNumber, Result<RuntimeInfo, RuntimeEnd>),
    RuntimeEnded(RunNumber, RuntimeEnd),
}

enum ActivePort {
    Preparation(Arc<dyn RunningPreparation>),
    Runtime(Arc<dyn RunningRuntime>),
}

impl ActivePort {
    fn stop(&self) {
        match self {
            Self::Preparation(port) => port.stop(),
            Self::Runtime(port) => port.stop(),
        }
    }

    fn kill_now(&self) {
        match self {
            Self::Preparation(port) => port.kill_now(),
            Self::Runtime(port) => port.kill_now(),
        }
    }
}

pub(crate) struct Owner {
    shared: Arc<Shared>,
    ports: Ports,
    /// The current run's shipper and runtime, built when it was asked for; dropped when the
    /// run ends, so each run uses the settings read for it.
    run_ports: Option<RunPorts>,
    commands: mpsc::UnboundedReceiver<Command>,
    /// `false` once every handle is gone and the last command was taken: a closed channel
    /// is always ready, so polling it again would starve every other input.
    commands_open: bool,
    output_tx: OutputSender,
    output_rx: OutputReceiver,
    lifecycle_tx: mpsc::UnboundedSender<Lifecycle>,
    lifecycle_rx: mpsc::UnboundedReceiver<Lifecycle>,
    active: Option<ActivePort>,
    sink_tx: Option<mpsc::Sender<Arc<Batch>>>,
    sink_task: Option<JoinHandle<()>>,
    sink_failures: mpsc::UnboundedReceiver<SinkFailure>,
    failure_reports: mpsc::UnboundedSender<SinkFailureReport>,
    /// Batches appended but not yet accepted by the sink task; while any wait here, the
    /// owner takes no output from the ports (back-pressure), but still takes commands.
    unsent: VecDeque<Arc<Batch>>,
    shutdown_waiters: Vec<oneshot::Sender<()>>,
    /// Ends every subscription and `settled` wait if this task dies (a panic in a port), so
    /// that nobody waits forever for a session that will never publish again.
    _close_on_drop: CloseOnDrop,
}

struct CloseOnDrop(Arc<Shared>);

impl Drop for CloseOnDrop {
    fn drop(&mut self) {
        self.0.close();
    }
}

impl Owner {
    pub(crate) fn new(
        shared: Arc<Shared>,
        ports: Ports,
        sinks: Vec<Box<dyn LogSink>>,
        settings: ServiceSettings,
        commands: mpsc::UnboundedReceiver<Command>,
        failure_reports: mpsc::UnboundedSender<SinkFailureReport>,
    ) -> Self {
        let (output_tx, output_rx) = output_channel(settings.output_batches);
        let (lifecycle_tx, lifecycle_rx) = mpsc::unbounded_channel();
        let (sink_tx, sink_task, sink_failures) = spawn_sink_task(sinks, settings.sink_batches);
        Self {
            _close_on_drop: CloseOnDrop(Arc::clone(&shared)),
            shared,
            ports,
            run_ports: None,
            commands,
            commands_open: true,
            output_tx,
            output_rx,
            lifecycle_tx,
            lifecycle_rx,
            active: None,
            sink_tx: Some(sink_tx),
            sink_task: Some(sink_task),
            sink_failures,
            failure_reports,
            unsent: VecDeque::new(),
            shutdown_waiters: Vec::new(),
        }
    }

    pub(crate) async fn run(mut self) {
        loop {
            if self.ready_to_close() {
                break;
            }
            let sink_tx = self.sink_tx.clone();
            tokio::select! {
                biased;
                command = self.commands.recv(), if self.commands_open => match command {
                    Some(command) => self.on_command(command).await,
                    // Every handle is gone: behave as a shutdown nobody waits for.
                    None => {
                        self.commands_open = false;
                        self.begin_shutdown(None).await;
                    }
                },
                Some(report) = self.lifecycle_rx.recv() => self.on_lifecycle(report).await,
                Some(failure) = self.sink_failures.recv() => self.on_sink_failure(failure).await,
                permit = reserve(&sink_tx), if !self.unsent.is_empty() => {
                    if let (Some(permit), Some(batch)) = (permit, self.unsent.pop_front()) {
                        permit.send(batch);
                    }
                    self.forward_unsent();
                }
                // What the ports tell (their `session` lines, step facts) is taken even while
                // the sinks lag and read output waits, so that the story of a stop is logged
                // in the order it happened; it brings only the read output sent before it.
                Some(output) = self.output_rx.recv_next(self.unsent.is_empty()) => {
                    self.append_output(output);
                }
            }
        }
        self.close().await;
    }

    fn ready_to_close(&self) -> bool {
        !self.shutdown_waiters.is_empty() && self.active.is_none() && !self.state().is_active()
            || !self.commands_open && self.active.is_none() && !self.state().is_active()
    }

    fn state(&self) -> session_domain::SessionState {
        self.shared.session().state()
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::Play { request, reply } => {
                let outcome = self.play(request).await;
                let _ = reply.send(outcome);
            }
            Command::Stop { reason, reply } => {
                let outcome = stop_outcome(self.apply(Input::Stop { reason }).await);
                let _ = reply.send(outcome);
            }
            Command::KillNow { reply } => {
                let outcome = match self.apply(Input::KillNow).await {
                    Some(Transition::To(_) | Transition::StayStopping) => KillOutcome::Killing,
                    _ => KillOutcome::NothingToKill,
                };
                let _ = reply.send(outcome);
            }
            Command::Shutdown { reply } => self.begin_shutdown(Some(reply)).await,
        }
    }

    /// Builds the run's ports from settings read now, then lets the domain start the run.
    /// While a run is active nothing is read: the domain ignores the play and says so.
    async fn play(&mut self, request: PlayRequest) -> PlayOutcome {
        if !self.state().is_active() {
            match self.ports.factory.ports_for(&request).await {
                Ok(ports) => self.run_ports = Some(ports),
                Err(reason) => {
                    // Every watcher learns why nothing started, not only the one who asked.
                    let now = self.ports.clock.now();
                    let line = LineBatch::session_line(now, Severity::Error, reason.message());
                    self.append_output(PortOutput::Lines(line));
                    return PlayOutcome::Refused { reason };
                }
            }
        }
        match self.apply(Input::Play(request.goal)).await {
            Some(Transition::To(_)) => PlayOutcome::Started {
                run: self.shared.session().run(),
            },
            _ => PlayOutcome::Ignored {
                state: self.state(),
            },
        }
    }

    async fn begin_shutdown(&mut self, reply: Option<oneshot::Sender<()>>) {
        if let Some(reply) = reply {
            self.shutdown_waiters.push(reply);
        } else if self.shutdown_waiters.is_empty() {
            // Nobody waits, but `ready_to_close` must see a shutdown was asked.
            let (reply, _) = oneshot::channel();
            self.shutdown_waiters.push(reply);
        }
        if self.state().is_active() {
            self.apply(Input::Stop {
                reason: "the session is shutting down".to_owned(),
            })
            .await;
        }
    }

    async fn on_lifecycle(&mut self, report: Lifecycle) {
        let run = self.shared.session().run();
        let (report_run, input) = match report {
            Lifecycle::PreparationEnded(run, end) => (run, Input::PreparationEnded(end)),
            Lifecycle::RuntimeReady(run, Ok(info)) => (run, Input::RuntimeRunning(info)),
            Lifecycle::RuntimeReady(run, Err(end)) | Lifecycle::RuntimeEnded(run, end) => {
                (run, Input::RuntimeEnded(end))
            }
        };
        if report_run != run {
            tracing::error!(
                report_run,
                run,
                "a port reported on a run that is over; ignored"
            );
            return;
        }
        // The port sent every line before it reported its end: take them first, so a
        // process's last lines come before the event that reports its end.
        while let Some(output) = self.output_rx.try_recv() {
            self.append_output(output);
        }
        let ends_port = matches!(input, Input::PreparationEnded(_) | Input::RuntimeEnded(_));
        if ends_port {
            self.active = None;
        }
        let description = format!("{input:?}");
        if self.apply(input.clone()).await.is_none() && ends_port && self.state().is_active() {
            // The port broke its contract (say, `Stopped` with no stop asked). It is finished
            // all the same, so the run must not wait for it forever: stop the run, and let the
            // same report end it.
            let reason = format!("a port reported an end that cannot happen now: {description}");
            self.apply(Input::Stop { reason }).await;
            self.apply(input).await;
        }
    }

    async fn on_sink_failure(&mut self, failure: SinkFailure) {
        tracing::debug!(error = %failure.error, "a sink failed and was dropped");
        // The error names the sink ("stdout: the reader closed it").
        let reason = failure.error.to_string();
        let stop = stop_outcome(self.apply(Input::Stop { reason }).await);
        let _ = self.failure_reports.send(SinkFailureReport {
            error: failure.error,
            stop,
        });
    }

    /// Applies one input to the domain, forwards what it emitted, and carries out its effect.
    async fn apply(&mut self, input: Input) -> Option<Transition> {
        // What the ports told before this input happened comes before what the domain says
        // about it (a stop's "SIGTERM sent" before a later "kill now").
        while let Some(output) = self.output_rx.try_recv_told() {
            self.append_output(output);
        }
        let now = self.ports.clock.now();
        let handled = {
            let mut session = self.shared.session();
            let handled = session.handle(now, input);
            self.shared
                .publish(session.log().last_seq(), session.state());
            handled
        };
        let handled = match handled {
            Ok(handled) => handled,
            Err(rejected) => {
                tracing::error!(%rejected, "a port reported an impossible event; ignored");
                return None;
            }
        };
        for batch in handled.emitted {
            self.forward(batch);
        }
        if let Some(effect) = handled.effect {
            self.carry_out(effect).await;
        }
        if !self.state().is_active() {
            self.run_ports = None;
        }
        Some(handled.transition)
    }

    async fn carry_out(&mut self, effect: Effect) {
        match effect {
            Effect::StartPreparation { run, goal: _ } => {
                let Some(shipper) = self.run_ports.as_ref().map(|ports| &ports.shipper) else {
                    let end = PreparationEnd::Failed(no_ports(Failure::Step {
                        step: Step::Build,
                        cause: StepFailure::Spawn,
                    }));
                    let _ = self
                        .lifecycle_tx
                        .send(Lifecycle::PreparationEnded(run, end));
                    return;
                };
                let port: Arc<dyn RunningPreparation> =
                    Arc::from(shipper.start(run, self.output_tx.clone()).await);
                let watcher = Arc::clone(&port);
                let reports = self.lifecycle_tx.clone();
                tokio::spawn(async move {
                    let end = watcher.wait().await;
                    let _ = reports.send(Lifecycle::PreparationEnded(run, end));
                });
                self.active = Some(ActivePort::Preparation(port));
            }
            Effect::LaunchRuntime { run } => {
                let Some(runtime) = self.run_ports.as_ref().map(|ports| &ports.runtime) else {
                    let end = RuntimeEnd::LaunchFailed(no_ports(Failure::RuntimeSpawn));
                    let _ = self
                        .lifecycle_tx
                        .send(Lifecycle::RuntimeReady(run, Err(end)));
                    return;
                };
                let port: Arc<dyn RunningRuntime> =
                    Arc::from(runtime.launch(run, self.output_tx.clone()).await);
                let watcher = Arc::clone(&port);
                let reports = self.lifecycle_tx.clone();
                tokio::spawn(async move {
                    let ready = watcher.ready().await;
                    let running = ready.is_ok();
                    let _ = reports.send(Lifecycle::RuntimeReady(run, ready));
                    if running {
                        let end = watcher.wait().await;
                        let _ = reports.send(Lifecycle::RuntimeEnded(run, end));
                    }
                });
                self.active = Some(ActivePort::Runtime(port));
            }
            Effect::StopPorts => {
                if let Some(port) = &self.active {
                    port.stop();
                }
            }
            Effect::KillPorts => {
                if let Some(port) = &self.active {
                    port.kill_now();
                }
            }
        }
    }

    fn append_output(&mut self, output: PortOutput) {
        let batch = {
            let mut session = self.shared.session();
            let batch = match output {
                PortOutput::Lines(lines) => session.append_output(lines),
                PortOutput::Step(record) => Some(session.append_step(record)),
            };
            self.shared
                .publish(session.log().last_seq(), session.state());
            batch
        };
        if let Some(batch) = batch {
            self.forward(batch);
        }
    }

    /// Hands a batch to the sink task, or queues it behind those still waiting.
    fn forward(&mut self, batch: Arc<Batch>) {
        self.unsent.push_back(batch);
        self.forward_unsent();
    }

    fn forward_unsent(&mut self) {
        let Some(sink_tx) = &self.sink_tx else {
            self.unsent.clear();
            return;
        };
        while let Some(batch) = self.unsent.pop_front() {
            match sink_tx.try_send(batch) {
                Ok(()) => {}
                Err(mpsc::error::TrySendError::Full(batch)) => {
                    self.unsent.push_front(batch);
                    return;
                }
                Err(mpsc::error::TrySendError::Closed(_)) => {
                    self.unsent.clear();
                    return;
                }
            }
        }
    }

    async fn close(mut self) {
        // Everything appended reaches the sinks before they are closed.
        if let Some(sink_tx) = self.sink_tx.take() {
            while let Some(batch) = self.unsent.pop_front() {
                if sink_tx.send(batch).await.is_err() {
                    break;
                }
            }
        }
        if let Some(task) = self.sink_task.take() {
            if let Err(error) = task.await {
                tracing::error!(%error, "the sink task panicked");
            }
        }
        self.shared.close();
        for waiter in self.shutdown_waiters.drain(..) {
            let _ = waiter.send(());
        }
    }
}

fn stop_outcome(transition: Option<Transition>) -> StopOutcome {
    match transition {
        Some(Transition::To(_)) => StopOutcome::Requested,
        Some(Transition::AlreadyStopping) => StopOutcome::AlreadyStopping,
        _ => StopOutcome::NothingToStop,
    }
}

/// A run asked for its ports after they were dropped: a bug of this service, reported as the
/// run's failure rather than a panic, so that the run still ends.
fn no_ports(failure: Failure) -> PortFailure {
    tracing::error!("a run's ports were asked for after they were dropped");
    PortFailure {
        failure,
        reason: "internal error in the session: this run has no ports".to_owned(),
    }
}

async fn reserve(
    sink_tx: &Option<mpsc::Sender<Arc<Batch>>>,
) -> Option<mpsc::Permit<'_, Arc<Batch>>> {
    match sink_tx {
        Some(sink_tx) => sink_tx.reserve().await.ok(),
        None => None,
    }
}
