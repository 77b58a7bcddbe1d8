//! Scripted fakes of the ports, for timeline scenarios.
//!
//! The mocks (`MockShipperSource`, …) check what the service asks of a port; these fakes play
//! a timeline: a [`ScriptedShipper`] or [`ScriptedRuntime`] sends output batches, waits (for a
//! delay, a [`Gate`] the test opens, or the service's `stop()`/`kill_now()`), and ends the way
//! its script says, while recording how the service called it. A [`CollectingSink`] records
//! every event it is handed, and can be slowed by a gate or made to fail after some batches.
//! [`Held`] puts a mock behind a gate, so a test keeps mockall's expectations on `stop()` and
//! `kill_now()` while `wait()` (or `ready()`) resolves only when the test, or the mock, says so.
//!
//! Everything here is tokio's sync primitives and tasks: no process, file or socket.
//!
//! ```
//! use std::sync::Arc;
//!
//! use session_domain::{PreparationEnd, Source, Stream};
//! use session_ports::fakes::{
//!     CollectingSink, Gate, PreparationScript, RuntimeScript, ScriptedRuntime, ScriptedShipper,
//!     Wait,
//! };
//!
//! // Builds, then waits until the test opens `built`, then succeeds.
//! let built = Gate::new();
//! let shipper = Arc::new(ScriptedShipper::new(
//!     PreparationScript::new()
//!         .lines(Source::Build, Stream::Stderr, &["Compiling cartridge"])
//!         .wait(Wait::Gate(built.clone()))
//!         .ends(PreparationEnd::Succeeded),
//! ));
//! // Ready at once, one line, then runs until the service stops it.
//! let runtime = Arc::new(ScriptedRuntime::new(
//!     RuntimeScript::new().lines(Stream::Stdout, &["hello"]).until_stopped(),
//! ));
//! let (sink, received) = CollectingSink::new("stdout").boxed();
//! # let _ = (shipper, runtime, sink, received);
//! ```

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use session_domain::{
    Batch, Event, LineBatch, LineMeta, PortFailure, PreparationEnd, RunNumber, RuntimeEnd,
    RuntimeInfo, Seq, Severity, Source, Stream, Timestamp, severity_of,
};
use tokio::sync::{Semaphore, watch};

use crate::{
    Clock, LogSink, OutputSender, RunningPreparation, RunningRuntime, RuntimeSource, ShipperSource,
    SinkError,
};

/// The pid a [`RuntimeScript`] reports unless told otherwise.
pub const FAKE_RUNTIME_PID: u32 = 4242;

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding a fake's lock has already failed; its data is
    // still the best account of what happened.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A barrier a test opens, a few passages at a time or for good.
///
/// Cheap to clone; every clone is the same gate. Starts closed. [`allow`](Self::allow) lets
/// that many [`pass`](Self::pass) calls through (whether they are already waiting or come
/// later); [`open`](Self::open) lets every present and future caller through.
#[derive(Debug, Clone)]
pub struct Gate {
    passages: Arc<Semaphore>,
}

impl Default for Gate {
    fn default() -> Self {
        Self::new()
    }
}

impl Gate {
    /// A closed gate.
    pub fn new() -> Self {
        Self {
            passages: Arc::new(Semaphore::new(0)),
        }
    }

    /// A gate that lets everyone through.
    pub fn opened() -> Self {
        let gate = Self::new();
        gate.open();
        gate
    }

    /// Lets `passages` more callers through.
    pub fn allow(&self, passages: usize) {
        self.passages.add_permits(passages);
    }

    /// Lets every caller through from now on.
    pub fn open(&self) {
        // A closed semaphore fails every acquire at once: that failure is "go ahead".
        self.passages.close();
    }

    /// `true` once [`open`](Self::open) was called.
    pub fn is_open(&self) -> bool {
        self.passages.is_closed()
    }

    /// Waits until the gate lets this caller through.
    pub async fn pass(&self) {
        if let Ok(permit) = self.passages.acquire().await {
            permit.forget();
        }
    }
}

/// Something a scripted port waits for.
#[derive(Debug, Clone)]
pub enum Wait {
    /// A delay on tokio's clock (tests with paused time skip it as soon as all is idle).
    Delay(Duration),
    /// One passage through the gate.
    Gate(Gate),
    /// The service called `stop()` or `kill_now()` (at once if it already did).
    Stop,
    /// The service called `kill_now()`: a process that ignores SIGTERM.
    Kill,
}

/// One step of a scripted port's timeline.
#[derive(Debug, Clone)]
pub enum Action {
    /// Send one batch of these lines, stamped with the port's clock when sent, their severity
    /// classified as an adapter would.
    Lines {
        /// Where they come from.
        source: Source,
        /// The pipe they were read from.
        stream: Stream,
        /// One message per line.
        messages: Vec<String>,
    },
    /// Send this batch as it is.
    Send(LineBatch),
    /// Tell one `session` line (the port's own story), as a supervisor tells a signal sent:
    /// never waiting, even while the service takes no read output.
    Tell(Severity, String),
    /// Wait.
    Wait(Wait),
}

fn lines_action(source: Source, stream: Stream, messages: &[&str]) -> Action {
    Action::Lines {
        source,
        stream,
        messages: messages.iter().map(|&message| message.to_owned()).collect(),
    }
}

/// A batch of lines read from `stream` of `source` at `at`, classified as an adapter would.
pub fn line_batch(at: Timestamp, source: Source, stream: Stream, messages: &[&str]) -> LineBatch {
    let mut batch = LineBatch::new();
    for message in messages {
        let meta = LineMeta {
            at,
            source,
            severity: severity_of(source, stream, message),
            stream: Some(stream),
            truncated: false,
        };
        batch.push(meta, message);
    }
    batch
}

/// What one preparation does: its actions in order, then how it ends.
///
/// [`PreparationScript::new`] ends `Succeeded` at once.
#[derive(Debug, Clone)]
pub struct PreparationScript {
    actions: Vec<Action>,
    end: PreparationEnd,
}

impl Default for PreparationScript {
    fn default() -> Self {
        Self::new()
    }
}

impl PreparationScript {
    /// No output; succeeds at once.
    pub fn new() -> Self {
        Self {
            actions: Vec::new(),
            end: PreparationEnd::Succeeded,
        }
    }

    /// Sends one batch of lines from a step's pipe.
    pub fn lines(mut self, source: Source, stream: Stream, messages: &[&str]) -> Self {
        self.actions.push(lines_action(source, stream, messages));
        self
    }

    /// Sends one prepared batch.
    pub fn send(mut self, batch: LineBatch) -> Self {
        self.actions.push(Action::Send(batch));
        self
    }

    /// Waits before the next action (or the end).
    pub fn wait(mut self, wait: Wait) -> Self {
        self.actions.push(Action::Wait(wait));
        self
    }

    /// Tells one `session` line.
    pub fn tells(mut self, severity: Severity, message: &str) -> Self {
        self.actions
            .push(Action::Tell(severity, message.to_owned()));
        self
    }

    /// Ends this way once every action is done.
    pub fn ends(mut self, end: PreparationEnd) -> Self {
        self.end = end;
        self
    }

    /// Ends failed with `failure`.
    pub fn fails(self, failure: PortFailure) -> Self {
        self.ends(PreparationEnd::Failed(failure))
    }

    /// Waits for `stop()`/`kill_now()`, then ends `Stopped`.
    pub fn until_stopped(self) -> Self {
        self.wait(Wait::Stop).ends(PreparationEnd::Stopped)
    }
}

/// What one runtime does: actions until `ready()` resolves (with `ready`), then, if it got
/// ready, actions until `wait()` resolves (with `end`).
///
/// [`RuntimeScript::new`] gets ready at once with pid [`FAKE_RUNTIME_PID`] and exits with
/// status 0 at once.
#[derive(Debug, Clone)]
pub struct RuntimeScript {
    before_ready: Vec<Action>,
    ready: Result<RuntimeInfo, RuntimeEnd>,
    after_ready: Vec<Action>,
    end: RuntimeEnd,
}

impl Default for RuntimeScript {
    fn default() -> Self {
        Self::new()
    }
}

impl RuntimeScript {
    /// Ready at once (pid [`FAKE_RUNTIME_PID`]); exits with status 0 at once.
    pub fn new() -> Self {
        Self {
            before_ready: Vec::new(),
            ready: Ok(RuntimeInfo {
                pid: FAKE_RUNTIME_PID,
                version: None,
                cartridge: None,
            }),
            after_ready: Vec::new(),
            end: RuntimeEnd::Exited(session_domain::Termination::Success),
        }
    }

    /// Never gets ready: `ready()` reports `LaunchFailed(failure)`.
    pub fn fails_to_launch(failure: PortFailure) -> Self {
        Self::new().ready_with(Err(RuntimeEnd::LaunchFailed(failure)))
    }

    /// What `ready()` resolves with.
    pub fn ready_with(mut self, ready: Result<RuntimeInfo, RuntimeEnd>) -> Self {
        self.ready = ready;
        self
    }

    /// Sends one batch of runtime lines before `ready()` resolves.
    pub fn lines_before_ready(mut self, stream: Stream, messages: &[&str]) -> Self {
        self.before_ready
            .push(lines_action(Source::Runtime, stream, messages));
        self
    }

    /// Waits before `ready()` resolves.
    pub fn wait_before_ready(mut self, wait: Wait) -> Self {
        self.before_ready.push(Action::Wait(wait));
        self
    }

    /// Sends one batch of runtime lines once ready.
    pub fn lines(mut self, stream: Stream, messages: &[&str]) -> Self {
        self.after_ready
            .push(lines_action(Source::Runtime, stream, messages));
        self
    }

    /// Sends one prepared batch once ready.
    pub fn send(mut self, batch: LineBatch) -> Self {
        self.after_ready.push(Action::Send(batch));
        self
    }

    /// Waits, once ready, before the next action (or the end).
    pub fn wait(mut self, wait: Wait) -> Self {
        self.after_ready.push(Action::Wait(wait));
        self
    }

    /// Tells one `session` line once ready.
    pub fn tells(mut self, severity: Severity, message: &str) -> Self {
        self.after_ready
            .push(Action::Tell(severity, message.to_owned()));
        self
    }

    /// Ends this way once every action after `ready()` is done.
    pub fn ends(mut self, end: RuntimeEnd) -> Self {
        self.end = end;
        self
    }

    /// Once ready, waits for `stop()`/`kill_now()`, then ends `Stopped`.
    pub fn until_stopped(self) -> Self {
        self.wait(Wait::Stop).ends(RuntimeEnd::Stopped)
    }
}

/// How often the service called a scripted port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PortCalls {
    /// `start` (shipper) or `launch` (runtime).
    pub starts: usize,
    /// `stop()` on any handle it returned.
    pub stops: usize,
    /// `kill_now()` on any handle it returned.
    pub kills: usize,
}

/// What a scripted source and its handles record; shared by them all.
#[derive(Debug)]
struct Recorder {
    calls: Mutex<PortCalls>,
    runs: Mutex<Vec<RunNumber>>,
    /// Batches whose `send` (or `tell`) completed.
    sent: watch::Sender<usize>,
    clock: Option<Arc<dyn Clock>>,
}

impl Recorder {
    fn new(clock: Option<Arc<dyn Clock>>) -> Self {
        Self {
            calls: Mutex::default(),
            runs: Mutex::default(),
            sent: watch::Sender::new(0),
            clock,
        }
    }

    fn now(&self) -> Timestamp {
        self.clock
            .as_ref()
            .map_or(Timestamp::EPOCH, |clock| clock.now())
    }

    async fn wait_sent(&self, at_least: usize) {
        let mut sent = self.sent.subscribe();
        // The sender lives as long as `self`, so this cannot fail while we hold it.
        let _ = sent.wait_for(|sent| *sent >= at_least).await;
    }
}

/// What the service asked of one handle.
#[derive(Debug, Clone, Copy, Default)]
struct Asked {
    stop: bool,
    kill: bool,
}

/// The part of a scripted handle its timeline task shares.
#[derive(Debug)]
struct Control {
    asked: watch::Sender<Asked>,
    recorder: Arc<Recorder>,
}

impl Control {
    fn new(recorder: Arc<Recorder>) -> Arc<Self> {
        Arc::new(Self {
            asked: watch::Sender::new(Asked::default()),
            recorder,
        })
    }

    fn stop(&self) {
        lock(&self.recorder.calls).stops += 1;
        self.asked.send_modify(|asked| asked.stop = true);
    }

    fn kill_now(&self) {
        lock(&self.recorder.calls).kills += 1;
        self.asked.send_modify(|asked| asked.kill = true);
    }

    async fn play(&self, actions: &[Action], output: &OutputSender) {
        for action in actions {
            match action {
                Action::Lines {
                    source,
                    stream,
                    messages,
                } => {
                    let messages: Vec<&str> = messages.iter().map(String::as_str).collect();
                    let batch = line_batch(self.recorder.now(), *source, *stream, &messages);
                    self.send(batch, output).await;
                }
                Action::Send(batch) => self.send(batch.clone(), output).await,
                Action::Tell(severity, message) => {
                    let batch = LineBatch::session_line(self.recorder.now(), *severity, message);
                    if output.tell(batch).is_ok() {
                        self.recorder.sent.send_modify(|sent| *sent += 1);
                    }
                }
                Action::Wait(wait) => self.wait(wait).await,
            }
        }
    }

    async fn send(&self, batch: LineBatch, output: &OutputSender) {
        // A closed output means the session is gone; the timeline goes on regardless.
        if output.send(batch).await.is_ok() {
            self.recorder.sent.send_modify(|sent| *sent += 1);
        }
    }

    async fn wait(&self, wait: &Wait) {
        let mut asked = self.asked.subscribe();
        match wait {
            Wait::Delay(delay) => tokio::time::sleep(*delay).await,
            Wait::Gate(gate) => gate.pass().await,
            Wait::Stop => {
                let _ = asked.wait_for(|asked| asked.stop || asked.kill).await;
            }
            Wait::Kill => {
                let _ = asked.wait_for(|asked| asked.kill).await;
            }
        }
    }
}

/// A result that a timeline task sets once and any number of callers wait for.
#[derive(Debug)]
struct Outcome<T> {
    value: watch::Sender<Option<T>>,
}

impl<T: Clone> Outcome<T> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            value: watch::Sender::new(None),
        })
    }

    fn set(&self, value: T) {
        self.value.send_replace(Some(value));
    }

    async fn get(&self) -> T {
        let mut value = self.value.subscribe();
        loop {
            if let Some(value) = value.borrow_and_update().clone() {
                return value;
            }
            // `self` holds the sender, so `changed` cannot fail while we wait.
            if value.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

/// A port source that plays one script per start: [`ScriptedShipper`] plays
/// [`PreparationScript`]s, [`ScriptedRuntime`] plays [`RuntimeScript`]s.
///
/// The scripts given to [`new`](Self::new) and [`then`](Self::then) are used by the first,
/// second, … start; the last one repeats. Each start spawns one task that plays the script
/// (so `start` and `launch` return at once, as the ports require).
#[derive(Debug)]
pub struct Scripted<S> {
    scripts: Vec<S>,
    recorder: Arc<Recorder>,
}

/// A shipper that plays a [`PreparationScript`] on every `start`.
pub type ScriptedShipper = Scripted<PreparationScript>;

/// A runtime source that plays a [`RuntimeScript`] on every `launch`.
pub type ScriptedRuntime = Scripted<RuntimeScript>;

impl<S: Clone> Scripted<S> {
    /// Plays `script` on every start; lines are stamped with the Unix epoch.
    pub fn new(script: S) -> Self {
        Self {
            scripts: vec![script],
            recorder: Arc::new(Recorder::new(None)),
        }
    }

    /// Plays `script` on the next start after those already given (and on later ones).
    pub fn then(mut self, script: S) -> Self {
        self.scripts.push(script);
        self
    }

    /// Stamps lines with `clock` when they are sent, as an adapter does when it reads them.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.recorder = Arc::new(Recorder::new(Some(clock)));
        self
    }

    /// How the service called this source and its handles so far (`starts` counts launches).
    pub fn calls(&self) -> PortCalls {
        *lock(&self.recorder.calls)
    }

    /// The run numbers `start`/`launch` was called with, in order.
    pub fn runs(&self) -> Vec<RunNumber> {
        lock(&self.recorder.runs).clone()
    }

    /// How many batches the handles have sent (their `send` completed).
    pub fn sent(&self) -> usize {
        *self.recorder.sent.borrow()
    }

    /// Waits until the handles have sent at least `at_least` batches.
    pub async fn wait_sent(&self, at_least: usize) {
        self.recorder.wait_sent(at_least).await;
    }

    /// Records a start of `run` and returns its script and a fresh control.
    fn next_start(&self, run: RunNumber) -> (S, Arc<Control>) {
        let index = {
            let mut calls = lock(&self.recorder.calls);
            calls.starts += 1;
            calls.starts - 1
        };
        lock(&self.recorder.runs).push(run);
        let script = self.scripts[index.min(self.scripts.len() - 1)].clone();
        (script, Control::new(Arc::clone(&self.recorder)))
    }
}

#[async_trait]
impl ShipperSource for ScriptedShipper {
    async fn start(&self, run: RunNumber, output: OutputSender) -> Box<dyn RunningPreparation> {
        let (script, control) = self.next_start(run);
        let outcome = Outcome::new();
        let (task_control, task_outcome) = (Arc::clone(&control), Arc::clone(&outcome));
        tokio::spawn(async move {
            task_control.play(&script.actions, &output).await;
            task_outcome.set(script.end);
        });
        Box::new(ScriptedPreparation { control, outcome })
    }
}

/// The handle a [`ScriptedShipper`] returns.
#[derive(Debug)]
pub struct ScriptedPreparation {
    control: Arc<Control>,
    outcome: Arc<Outcome<PreparationEnd>>,
}

#[async_trait]
impl RunningPreparation for ScriptedPreparation {
    async fn wait(&self) -> PreparationEnd {
        self.outcome.get().await
    }

    fn stop(&self) {
        self.control.stop();
    }

    fn kill_now(&self) {
        self.control.kill_now();
    }
}

#[async_trait]
impl RuntimeSource for ScriptedRuntime {
    async fn launch(&self, run: RunNumber, output: OutputSender) -> Box<dyn RunningRuntime> {
        let (script, control) = self.next_start(run);
        let ready = Outcome::new();
        let end = Outcome::new();
        let (task_control, task_ready, task_end) =
            (Arc::clone(&control), Arc::clone(&ready), Arc::clone(&end));
        tokio::spawn(async move {
            task_control.play(&script.before_ready, &output).await;
            task_ready.set(script.ready.clone());
            match script.ready {
                Ok(_) => {
                    task_control.play(&script.after_ready, &output).await;
                    task_end.set(script.end);
                }
                // A runtime that never got ready has ended the way `ready` said.
                Err(end) => task_end.set(end),
            }
        });
        Box::new(ScriptedRunningRuntime {
            control,
            ready,
            end,
        })
    }
}

/// The handle a [`ScriptedRuntime`] returns.
#[derive(Debug)]
pub struct ScriptedRunningRuntime {
    control: Arc<Control>,
    ready: Arc<Outcome<Result<RuntimeInfo, RuntimeEnd>>>,
    end: Arc<Outcome<RuntimeEnd>>,
}

#[async_trait]
impl RunningRuntime for ScriptedRunningRuntime {
    async fn ready(&self) -> Result<RuntimeInfo, RuntimeEnd> {
        self.ready.get().await
    }

    async fn wait(&self) -> RuntimeEnd {
        self.end.get().await
    }

    fn stop(&self) {
        self.control.stop();
    }

    fn kill_now(&self) {
        self.control.kill_now();
    }
}

/// A port handle (typically a mock the test keeps an `Arc` of) whose `wait()`, and for a
/// runtime `ready()`, first pass a gate.
///
/// mockall's async expectations resolve at once; this lets a mocked preparation or runtime
/// stay in progress until the test, or the mock's own `stop()` expectation (which can open
/// the gate), lets it end. `stop()` and `kill_now()` go straight to the inner handle.
#[derive(Debug)]
pub struct Held<P: ?Sized> {
    inner: Arc<P>,
    ready_gate: Option<Gate>,
    wait_gate: Option<Gate>,
}

impl<P: ?Sized> Held<P> {
    /// Delegates to `inner` without holding anything yet.
    pub fn new(inner: Arc<P>) -> Self {
        Self {
            inner,
            ready_gate: None,
            wait_gate: None,
        }
    }

    /// `wait()` passes `gate` before asking the inner handle.
    pub fn hold_wait(mut self, gate: Gate) -> Self {
        self.wait_gate = Some(gate);
        self
    }

    /// `ready()` (runtimes only) passes `gate` before asking the inner handle.
    pub fn hold_ready(mut self, gate: Gate) -> Self {
        self.ready_gate = Some(gate);
        self
    }
}

async fn pass(gate: Option<&Gate>) {
    if let Some(gate) = gate {
        gate.pass().await;
    }
}

#[async_trait]
impl<P: RunningPreparation + ?Sized> RunningPreparation for Held<P> {
    async fn wait(&self) -> PreparationEnd {
        pass(self.wait_gate.as_ref()).await;
        self.inner.wait().await
    }

    fn stop(&self) {
        self.inner.stop();
    }

    fn kill_now(&self) {
        self.inner.kill_now();
    }
}

#[async_trait]
impl<P: RunningRuntime + ?Sized> RunningRuntime for Held<P> {
    async fn ready(&self) -> Result<RuntimeInfo, RuntimeEnd> {
        pass(self.ready_gate.as_ref()).await;
        self.inner.ready().await
    }

    async fn wait(&self) -> RuntimeEnd {
        pass(self.wait_gate.as_ref()).await;
        self.inner.wait().await
    }

    fn stop(&self) {
        self.inner.stop();
    }

    fn kill_now(&self) {
        self.inner.kill_now();
    }
}

/// Progress of a [`CollectingSink`], published on every change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SinkProgress {
    /// `write` calls that began (including one blocked at the gate).
    pub writes_started: usize,
    /// Batches recorded.
    pub batches: usize,
    /// The `seq` of the last event recorded; 0 before the first.
    pub last_seq: Seq,
    /// `flush` calls that succeeded.
    pub flushes: usize,
    /// The sink reported its failure.
    pub failed: bool,
}

/// What a [`CollectingSink`] received, shared with the test through an `Arc`.
#[derive(Debug)]
pub struct SinkRecord {
    name: String,
    events: Mutex<Vec<Event>>,
    batch_sizes: Mutex<Vec<usize>>,
    progress: watch::Sender<SinkProgress>,
}

impl SinkRecord {
    /// The sink's name, as it reports it in a failure.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every event recorded, in the order received.
    pub fn events(&self) -> Vec<Event> {
        lock(&self.events).clone()
    }

    /// The `seq` of every event recorded, in the order received.
    pub fn seqs(&self) -> Vec<Seq> {
        lock(&self.events).iter().map(Event::seq).collect()
    }

    /// How many events each recorded batch held, in order.
    pub fn batch_sizes(&self) -> Vec<usize> {
        lock(&self.batch_sizes).clone()
    }

    /// The current progress.
    pub fn progress(&self) -> SinkProgress {
        *self.progress.borrow()
    }

    /// Waits until `done` holds for the progress, and returns it.
    pub async fn wait_until(&self, mut done: impl FnMut(&SinkProgress) -> bool) -> SinkProgress {
        let mut progress = self.progress.subscribe();
        // `self` holds the sender, so this cannot fail while we wait.
        match progress.wait_for(|progress| done(progress)).await {
            Ok(progress) => *progress,
            Err(_) => self.progress(),
        }
    }
}

/// A [`LogSink`] that records every event as an owned [`Event`].
///
/// Optionally each `write` first passes a [`Gate`] (a slow reader: the service must apply
/// back-pressure), and optionally, after `n` batches, `write` fails with
/// [`SinkError::Closed`] naming the sink (a reader that went away).
#[derive(Debug)]
pub struct CollectingSink {
    record: Arc<SinkRecord>,
    gate: Option<Gate>,
    fail_after: Option<usize>,
    written: usize,
}

impl CollectingSink {
    /// A sink called `name` that records everything at once.
    pub fn new(name: &str) -> Self {
        Self {
            record: Arc::new(SinkRecord {
                name: name.to_owned(),
                events: Mutex::default(),
                batch_sizes: Mutex::default(),
                progress: watch::Sender::new(SinkProgress::default()),
            }),
            gate: None,
            fail_after: None,
            written: 0,
        }
    }

    /// Each `write` passes `gate` first.
    pub fn gated(mut self, gate: Gate) -> Self {
        self.gate = Some(gate);
        self
    }

    /// Records `batches` batches, then fails every later `write` with `SinkError::Closed`.
    pub fn fail_after(mut self, batches: usize) -> Self {
        self.fail_after = Some(batches);
        self
    }

    /// What it received; keep it before boxing the sink.
    pub fn record(&self) -> Arc<SinkRecord> {
        Arc::clone(&self.record)
    }

    /// Boxed, with its record.
    pub fn boxed(self) -> (Box<dyn LogSink>, Arc<SinkRecord>) {
        let record = self.record();
        (Box::new(self), record)
    }
}

#[async_trait]
impl LogSink for CollectingSink {
    async fn write(&mut self, batch: Arc<Batch>) -> Result<(), SinkError> {
        let record = &self.record;
        record
            .progress
            .send_modify(|progress| progress.writes_started += 1);
        pass(self.gate.as_ref()).await;
        if self.fail_after.is_some_and(|limit| self.written >= limit) {
            record
                .progress
                .send_modify(|progress| progress.failed = true);
            return Err(SinkError::Closed {
                sink: record.name.clone(),
            });
        }
        self.written += 1;
        lock(&record.events).extend(batch.iter().map(|event| event.to_owned_event()));
        lock(&record.batch_sizes).push(batch.len());
        record.progress.send_modify(|progress| {
            progress.batches += 1;
            progress.last_seq = batch.last_seq();
        });
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        self.record
            .progress
            .send_modify(|progress| progress.flushes += 1);
        Ok(())
    }
}
