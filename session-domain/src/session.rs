//! The domain session: the state machine and the event log, driven by inputs and the time.
//!
//! This is the sans-I/O core the service wraps: [`Session::handle`] takes the time and what
//! happened, records the events, and answers what the service must do next ([`Effect`]). It
//! never spawns, sleeps, reads a clock or touches a file.

use std::sync::Arc;

use crate::{
    AbnormalExit, Batch, EventLog, Failure, InputKind, LineBatch, LogLimits, Rejected, RunGoal,
    RunNumber, Seq, SessionState, Severity, StateChange, StepRecord, Termination, Timestamp,
    Transition, transition,
};

/// What happened, with its data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Start a run with this goal.
    Play(RunGoal),
    /// Stop the run gracefully; `reason` says who asked ("SIGINT received").
    Stop {
        /// Who or what asked, for the `reason` of the `stopping` and `stopped` events.
        reason: String,
    },
    /// Kill every process of the run now.
    KillNow,
    /// The shipper finished; everything it started is reaped.
    PreparationEnded(PreparationEnd),
    /// The runtime is running.
    RuntimeRunning(RuntimeInfo),
    /// The runtime finished; everything it started is reaped.
    RuntimeEnded(RuntimeEnd),
}

/// How preparation ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreparationEnd {
    /// Every step succeeded and the manifest is in place.
    Succeeded,
    /// A step or the manifest failed.
    Failed(PortFailure),
    /// It was asked to stop before it finished.
    Stopped,
}

/// How the runtime ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuntimeEnd {
    /// It never reached `running`: spawn failed, address in use, or the handshake failed.
    LaunchFailed(PortFailure),
    /// It exited on its own.
    Exited(Termination),
    /// It was asked to stop, and did.
    Stopped,
}

/// A failure as a port reports it: the typed cause and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortFailure {
    /// The `failure` object.
    pub failure: Failure,
    /// A sentence naming the step or program and what happened, for the event's `reason`.
    pub reason: String,
}

/// What the runtime told us about itself.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeInfo {
    /// Its process id.
    pub pid: u32,
    /// Its version, from the DevTools handshake (debug mode only).
    pub version: Option<String>,
    /// The cartridge it runs, from the DevTools handshake (debug mode only).
    pub cartridge: Option<CartridgeInfo>,
}

/// The cartridge a runtime reported in its handshake; every field may be unknown.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CartridgeInfo {
    /// `app_id`.
    pub app_id: Option<u64>,
    /// `title`.
    pub title: Option<String>,
    /// `app_version`.
    pub app_version: Option<String>,
    /// `app_mode` (free text).
    pub app_mode: Option<String>,
}

/// What the service must do after an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Start the shipper for this run.
    StartPreparation {
        /// The new run.
        run: RunNumber,
        /// Its goal.
        goal: RunGoal,
    },
    /// Launch the runtime for this run.
    LaunchRuntime {
        /// The run.
        run: RunNumber,
    },
    /// Ask the running port to stop with grace.
    StopPorts,
    /// Ask the running port to kill everything now.
    KillPorts,
}

/// The result of one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Handled {
    /// What the table decided.
    pub transition: Transition,
    /// What the service must do now.
    pub effect: Option<Effect>,
    /// The events this input appended, in order.
    pub emitted: Vec<Arc<Batch>>,
}

/// The session's state at an event boundary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The current state.
    pub state: SessionState,
    /// The current (or last) run; 0 before the first.
    pub run: RunNumber,
    /// The `seq` of the current run's first event (its `-> preparing`); 0 before the first.
    pub run_first_seq: Seq,
    /// The newest event's `seq`; 0 before the first.
    pub last_seq: Seq,
    /// The oldest held event's `seq` (`last_seq + 1` when none is held).
    pub oldest_held_seq: Seq,
    /// Events evicted from the buffer since the session began.
    pub evicted_total: u64,
    /// The running runtime, while there is one.
    pub runtime: Option<RuntimeInfo>,
    /// The failure that ended the last run, if it failed; `None` again once a new run starts.
    pub last_failure: Option<Failure>,
}

/// The state machine plus the event log.
#[derive(Debug)]
pub struct Session {
    state: SessionState,
    goal: RunGoal,
    run: RunNumber,
    run_first_seq: Seq,
    log: EventLog,
    runtime: Option<RuntimeInfo>,
    last_failure: Option<Failure>,
    stop_reason: Option<String>,
    while_stopping: Vec<String>,
}

impl Session {
    /// A session in `idle` with an empty log.
    pub fn new(limits: LogLimits) -> Self {
        Self {
            state: SessionState::Idle,
            goal: RunGoal::Play,
            run: 0,
            run_first_seq: 0,
            log: EventLog::new(limits),
            runtime: None,
            last_failure: None,
            stop_reason: None,
            while_stopping: Vec::new(),
        }
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// The current (or last) run; 0 before the first.
    pub fn run(&self) -> RunNumber {
        self.run
    }

    /// The current run's goal.
    pub fn goal(&self) -> RunGoal {
        self.goal
    }

    /// The event log.
    pub fn log(&self) -> &EventLog {
        &self.log
    }

    /// The state at this event boundary.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            state: self.state,
            run: self.run,
            run_first_seq: self.run_first_seq,
            last_seq: self.log.last_seq(),
            oldest_held_seq: self.log.oldest_held_seq(),
            evicted_total: self.log.evicted_total(),
            runtime: self.runtime.clone(),
            last_failure: self.last_failure,
        }
    }

    /// Numbers and holds a port's output lines for the current run.
    pub fn append_output(&mut self, lines: LineBatch) -> Option<Arc<Batch>> {
        self.log.append_lines(self.run, lines)
    }

    /// Numbers and holds a port's step fact for the current run.
    pub fn append_step(&mut self, record: StepRecord) -> Arc<Batch> {
        self.log.append_step(self.run, record)
    }

    /// Applies one input at time `now`.
    pub fn handle(&mut self, now: Timestamp, input: Input) -> Result<Handled, Rejected> {
        let kind = input_kind(&input);
        let transition = transition(self.state, self.goal, kind)?;
        let mut emitted = Vec::new();
        let effect = match transition {
            Transition::NothingToStop | Transition::AlreadyStopping => None,
            Transition::PlayIgnored => {
                let message = format!("play ignored: run {} is {}", self.run, self.state);
                emitted.extend(self.say(now, Severity::Info, &message));
                None
            }
            Transition::StayStopping => {
                match input {
                    Input::KillNow => {
                        let message = "kill now: skipping the rest of the stop grace";
                        emitted.extend(self.say(now, Severity::Warn, message));
                        Some(Effect::KillPorts)
                    }
                    _ => {
                        // The runtime came up while we were already stopping it.
                        self.while_stopping
                            .push("the runtime had reached running".into());
                        None
                    }
                }
            }
            Transition::To(to) => self.enter(now, to, input, &mut emitted),
        };
        Ok(Handled {
            transition,
            effect,
            emitted,
        })
    }

    fn enter(
        &mut self,
        now: Timestamp,
        to: SessionState,
        input: Input,
        emitted: &mut Vec<Arc<Batch>>,
    ) -> Option<Effect> {
        let from = self.state;
        let mut failure = None;
        let (reason, effect) = match input {
            Input::Play(goal) => {
                self.run += 1;
                self.goal = goal;
                self.runtime = None;
                // The snapshot's failure is the current run's: a new run has none yet.
                self.last_failure = None;
                self.stop_reason = None;
                self.while_stopping.clear();
                self.run_first_seq = self.log.last_seq() + 1;
                let reason = match goal {
                    RunGoal::Play => "play requested",
                    RunGoal::Prepare => "prepare requested",
                };
                (
                    Some(reason.to_owned()),
                    Some(Effect::StartPreparation {
                        run: self.run,
                        goal,
                    }),
                )
            }
            Input::Stop { reason } => {
                self.stop_reason = Some(reason.clone());
                (Some(reason), Some(Effect::StopPorts))
            }
            Input::KillNow => {
                let reason = "kill requested".to_owned();
                self.stop_reason = Some(reason.clone());
                (Some(reason), Some(Effect::KillPorts))
            }
            _ if to == SessionState::Stopped && from == SessionState::Stopping => {
                self.note_while_stopping(&input);
                (Some(self.stopped_reason()), None)
            }
            Input::PreparationEnded(PreparationEnd::Succeeded) => {
                let effect = (to == SessionState::Connecting)
                    .then_some(Effect::LaunchRuntime { run: self.run });
                (Some("preparation succeeded".to_owned()), effect)
            }
            Input::PreparationEnded(PreparationEnd::Failed(port))
            | Input::RuntimeEnded(RuntimeEnd::LaunchFailed(port)) => {
                failure = Some(port.failure);
                (Some(port.reason), None)
            }
            Input::RuntimeRunning(info) => {
                let reason = match &info.version {
                    Some(version) => format!("runtime {version} running (pid {})", info.pid),
                    None => format!("runtime running (pid {})", info.pid),
                };
                self.runtime = Some(info);
                (Some(reason), None)
            }
            Input::RuntimeEnded(RuntimeEnd::Exited(termination)) => match termination {
                Termination::Success => (Some("the runtime exited with status 0".to_owned()), None),
                Termination::Abnormal(exit) => {
                    failure = Some(Failure::Running(exit));
                    (Some(describe_runtime_exit(exit)), None)
                }
            },
            // The table only routes these to `stopped` from `stopping`, handled above.
            Input::PreparationEnded(PreparationEnd::Stopped)
            | Input::RuntimeEnded(RuntimeEnd::Stopped) => (Some(self.stopped_reason()), None),
        };
        if to.is_terminal() {
            self.runtime = None;
            self.last_failure = failure;
        }
        self.state = to;
        let change = StateChange {
            at: now,
            from,
            to,
            reason,
            failure,
        };
        emitted.push(self.log.append_state(self.run, change));
        effect
    }

    fn note_while_stopping(&mut self, input: &Input) {
        let note = match input {
            Input::PreparationEnded(PreparationEnd::Succeeded) => {
                "preparation had succeeded".to_owned()
            }
            Input::PreparationEnded(PreparationEnd::Failed(port))
            | Input::RuntimeEnded(RuntimeEnd::LaunchFailed(port)) => port.reason.clone(),
            Input::RuntimeEnded(RuntimeEnd::Exited(Termination::Success)) => {
                "the runtime had exited with status 0".to_owned()
            }
            Input::RuntimeEnded(RuntimeEnd::Exited(Termination::Abnormal(exit))) => {
                describe_runtime_exit(*exit)
            }
            _ => return,
        };
        self.while_stopping.push(note);
    }

    fn stopped_reason(&self) -> String {
        let mut reason = format!(
            "stopped: {}",
            self.stop_reason.as_deref().unwrap_or("stop requested")
        );
        if !self.while_stopping.is_empty() {
            reason.push_str(" (meanwhile: ");
            reason.push_str(&self.while_stopping.join("; "));
            reason.push(')');
        }
        reason
    }

    fn say(&mut self, now: Timestamp, severity: Severity, message: &str) -> Option<Arc<Batch>> {
        self.log
            .append_lines(self.run, LineBatch::session_line(now, severity, message))
    }
}

fn describe_runtime_exit(exit: AbnormalExit) -> String {
    match exit {
        AbnormalExit::Code(code) => format!("the runtime exited with code {code}"),
        AbnormalExit::Signal(signal) => format!("the runtime was killed by {signal}"),
    }
}

fn input_kind(input: &Input) -> InputKind {
    match input {
        Input::Play(_) => InputKind::Play,
        Input::Stop { .. } => InputKind::Stop,
        Input::KillNow => InputKind::KillNow,
        Input::PreparationEnded(PreparationEnd::Succeeded) => InputKind::PreparationSucceeded,
        Input::PreparationEnded(PreparationEnd::Failed(_)) => InputKind::PreparationFailed,
        Input::PreparationEnded(PreparationEnd::Stopped) => InputKind::PreparationStopped,
        Input::RuntimeRunning(_) => InputKind::RuntimeRunning,
        Input::RuntimeEnded(RuntimeEnd::LaunchFailed(_)) => InputKind::RuntimeLaunchFailed,
        Input::RuntimeEnded(RuntimeEnd::Exited(Termination::Success)) => {
            InputKind::RuntimeExitedCleanly
        }
        Input::RuntimeEnded(RuntimeEnd::Exited(Termination::Abnormal(_))) => {
            InputKind::RuntimeExitedAbnormally
        }
        Input::RuntimeEnded(RuntimeEnd::Stopped) => InputKind::RuntimeStopped,
    }
}

#[cfg(test)]
mod tests {
    use std::num::{NonZeroI32, NonZeroUsize};

    use rstest::rstest;

    use super::*;
    use crate::{
        Event, EventView, HandshakeFailure, LineMeta, LogEvent, Signal, Source, StateEvent, Step,
        StepFailure, Stream,
    };

    use SessionState as S;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_unix_nanos(1_775_469_600_000_000_000 + second * 1_000_000_000)
    }

    fn session() -> Session {
        Session::new(LogLimits::default())
    }

    fn code(code: i32) -> AbnormalExit {
        AbnormalExit::Code(NonZeroI32::new(code).expect("a test exit code is never 0"))
    }

    fn signal(number: i32) -> AbnormalExit {
        AbnormalExit::Signal(Signal::from_number(number).expect("a test signal is never 0"))
    }

    fn port(failure: Failure, reason: &str) -> PortFailure {
        PortFailure {
            failure,
            reason: reason.to_owned(),
        }
    }

    fn runtime_info() -> RuntimeInfo {
        RuntimeInfo {
            pid: 4242,
            version: Some("0.9.1".to_owned()),
            cartridge: Some(CartridgeInfo {
                app_id: Some(7),
                title: Some("Demo".to_owned()),
                ..CartridgeInfo::default()
            }),
        }
    }

    fn play() -> Input {
        Input::Play(RunGoal::Play)
    }

    fn stop(reason: &str) -> Input {
        Input::Stop {
            reason: reason.to_owned(),
        }
    }

    fn prepared_ok() -> Input {
        Input::PreparationEnded(PreparationEnd::Succeeded)
    }

    fn running() -> Input {
        Input::RuntimeRunning(runtime_info())
    }

    fn exited(termination: Termination) -> Input {
        Input::RuntimeEnded(RuntimeEnd::Exited(termination))
    }

    /// Inputs that take a fresh session to `state` with goal play.
    fn inputs_to(state: SessionState) -> Vec<Input> {
        match state {
            S::Idle => vec![],
            S::Preparing => vec![play()],
            S::Connecting => vec![play(), prepared_ok()],
            S::Running => vec![play(), prepared_ok(), running()],
            S::Stopping => vec![play(), prepared_ok(), running(), stop("stop requested")],
            S::Stopped => vec![play(), stop("stop requested"), preparation_stopped()],
            S::Prepared => vec![Input::Play(RunGoal::Prepare), prepared_ok()],
            S::PrepareFailed => vec![
                play(),
                Input::PreparationEnded(PreparationEnd::Failed(port(
                    Failure::Manifest,
                    "no manifest",
                ))),
            ],
            S::RuntimeFailed => vec![
                play(),
                prepared_ok(),
                Input::RuntimeEnded(RuntimeEnd::LaunchFailed(port(
                    Failure::RuntimeSpawn,
                    "no runtime",
                ))),
            ],
        }
    }

    fn preparation_stopped() -> Input {
        Input::PreparationEnded(PreparationEnd::Stopped)
    }

    fn session_in(state: SessionState) -> Session {
        let mut session = session();
        for (second, input) in (0..).zip(inputs_to(state)) {
            session
                .handle(at(second), input)
                .expect("the path to a state is legal");
        }
        assert_eq!(session.state(), state);
        session
    }

    fn events(handled: &Handled) -> Vec<Event> {
        handled
            .emitted
            .iter()
            .flat_map(|batch| batch.iter().map(|view| view.to_owned_event()))
            .collect()
    }

    /// The one state event `handled` emitted.
    fn state_event(handled: &Handled) -> StateEvent {
        match events(handled).as_slice() {
            [Event::State(state)] => state.clone(),
            other => panic!("expected one state event, got {other:?}"),
        }
    }

    /// The one session line `handled` emitted.
    fn session_line(handled: &Handled) -> LogEvent {
        match events(handled).as_slice() {
            [Event::Log(line)] => {
                assert_eq!((line.source, line.stream), (Source::Session, None));
                line.clone()
            }
            other => panic!("expected one session line, got {other:?}"),
        }
    }

    fn handle(session: &mut Session, second: i64, input: Input) -> Handled {
        session
            .handle(at(second), input)
            .expect("the input is legal here")
    }

    fn state_change(
        seq: Seq,
        run: RunNumber,
        second: i64,
        (from, to): (SessionState, SessionState),
        reason: &str,
    ) -> StateEvent {
        StateEvent {
            seq,
            run,
            at: at(second),
            from,
            to,
            reason: Some(reason.to_owned()),
            failure: None,
        }
    }

    #[test]
    fn a_full_run_from_play_to_a_clean_exit() {
        let mut session = session();
        assert_eq!(
            session.snapshot(),
            Snapshot {
                state: S::Idle,
                run: 0,
                run_first_seq: 0,
                last_seq: 0,
                oldest_held_seq: 1,
                evicted_total: 0,
                runtime: None,
                last_failure: None,
            }
        );

        let handled = handle(&mut session, 0, play());
        assert_eq!(handled.transition, Transition::To(S::Preparing));
        assert_eq!(
            handled.effect,
            Some(Effect::StartPreparation {
                run: 1,
                goal: RunGoal::Play
            })
        );
        assert_eq!(
            state_event(&handled),
            state_change(1, 1, 0, (S::Idle, S::Preparing), "play requested")
        );
        assert_eq!((session.run(), session.goal()), (1, RunGoal::Play));

        // The shipper's output is numbered in between, for the same run.
        let mut lines = LineBatch::new();
        let meta = LineMeta {
            at: at(1),
            source: Source::Build,
            severity: Severity::Info,
            stream: Some(Stream::Stdout),
            truncated: false,
        };
        lines.push(meta, "Compiling demo");
        lines.push(meta, "Finished");
        let batch = session.append_output(lines).expect("lines are stored");
        assert_eq!(
            (batch.first_seq(), batch.last_seq(), batch.run()),
            (2, 3, 1)
        );

        let handled = handle(&mut session, 2, prepared_ok());
        assert_eq!(handled.transition, Transition::To(S::Connecting));
        assert_eq!(handled.effect, Some(Effect::LaunchRuntime { run: 1 }));
        assert_eq!(
            state_event(&handled),
            state_change(
                4,
                1,
                2,
                (S::Preparing, S::Connecting),
                "preparation succeeded"
            )
        );
        assert_eq!(session.snapshot().runtime, None);

        let handled = handle(&mut session, 3, running());
        assert_eq!(handled.transition, Transition::To(S::Running));
        assert_eq!(handled.effect, None);
        assert_eq!(
            state_event(&handled),
            state_change(
                5,
                1,
                3,
                (S::Connecting, S::Running),
                "runtime 0.9.1 running (pid 4242)"
            )
        );
        assert_eq!(session.snapshot().runtime, Some(runtime_info()));

        let handled = handle(&mut session, 4, exited(Termination::Success));
        assert_eq!(handled.transition, Transition::To(S::Stopped));
        assert_eq!(handled.effect, None);
        assert_eq!(
            state_event(&handled),
            state_change(
                6,
                1,
                4,
                (S::Running, S::Stopped),
                "the runtime exited with status 0"
            )
        );
        assert_eq!(
            session.snapshot(),
            Snapshot {
                state: S::Stopped,
                run: 1,
                run_first_seq: 1,
                last_seq: 6,
                oldest_held_seq: 1,
                evicted_total: 0,
                runtime: None,
                last_failure: None,
            }
        );

        // The next play starts run 2; its `-> preparing` already carries the new number.
        let handled = handle(&mut session, 5, Input::Play(RunGoal::Prepare));
        assert_eq!(
            handled.effect,
            Some(Effect::StartPreparation {
                run: 2,
                goal: RunGoal::Prepare
            })
        );
        assert_eq!(
            state_event(&handled),
            state_change(7, 2, 5, (S::Stopped, S::Preparing), "prepare requested")
        );
        assert_eq!(
            (session.snapshot().run, session.snapshot().run_first_seq),
            (2, 7)
        );
    }

    #[test]
    fn a_run_mode_runtime_without_version_is_described_by_pid() {
        let mut session = session_in(S::Connecting);
        let handled = handle(
            &mut session,
            9,
            Input::RuntimeRunning(RuntimeInfo {
                pid: 17,
                ..RuntimeInfo::default()
            }),
        );
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some("runtime running (pid 17)")
        );
    }

    #[test]
    fn a_prepare_goal_ends_prepared_without_launching_the_runtime() {
        let mut session = session();
        let handled = handle(&mut session, 0, Input::Play(RunGoal::Prepare));
        assert_eq!(
            handled.effect,
            Some(Effect::StartPreparation {
                run: 1,
                goal: RunGoal::Prepare
            })
        );
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some("prepare requested")
        );
        assert_eq!(session.goal(), RunGoal::Prepare);

        let handled = handle(&mut session, 1, prepared_ok());
        assert_eq!(handled.transition, Transition::To(S::Prepared));
        assert_eq!(handled.effect, None);
        assert_eq!(
            state_event(&handled),
            state_change(
                2,
                1,
                1,
                (S::Preparing, S::Prepared),
                "preparation succeeded"
            )
        );
        let snapshot = session.snapshot();
        assert_eq!((snapshot.state, snapshot.last_failure), (S::Prepared, None));
    }

    #[rstest]
    #[case::step_exit(
        S::Preparing,
        Input::PreparationEnded(PreparationEnd::Failed(port(
            Failure::Step { step: Step::Build, cause: StepFailure::Exit(code(2)) },
            "build failed: exit 2",
        ))),
        S::PrepareFailed,
        Failure::Step { step: Step::Build, cause: StepFailure::Exit(code(2)) },
        "build failed: exit 2"
    )]
    #[case::step_spawn(
        S::Preparing,
        Input::PreparationEnded(PreparationEnd::Failed(port(
            Failure::Step { step: Step::Pack, cause: StepFailure::Spawn },
            "pack could not be started: no such file",
        ))),
        S::PrepareFailed,
        Failure::Step { step: Step::Pack, cause: StepFailure::Spawn },
        "pack could not be started: no such file"
    )]
    #[case::manifest(
        S::Preparing,
        Input::PreparationEnded(PreparationEnd::Failed(port(
            Failure::Manifest,
            "build/manifest.json is missing",
        ))),
        S::PrepareFailed,
        Failure::Manifest,
        "build/manifest.json is missing"
    )]
    #[case::runtime_spawn(
        S::Connecting,
        Input::RuntimeEnded(RuntimeEnd::LaunchFailed(port(
            Failure::RuntimeSpawn,
            "the runtime could not be started: permission denied",
        ))),
        S::RuntimeFailed,
        Failure::RuntimeSpawn,
        "the runtime could not be started: permission denied"
    )]
    #[case::version_mismatch(
        S::Connecting,
        Input::RuntimeEnded(RuntimeEnd::LaunchFailed(port(
            Failure::Handshake(HandshakeFailure::VersionMismatch),
            "DevTools protocol 2.0 is not supported",
        ))),
        S::RuntimeFailed,
        Failure::Handshake(HandshakeFailure::VersionMismatch),
        "DevTools protocol 2.0 is not supported"
    )]
    #[case::running_signal(
        S::Running,
        exited(Termination::Abnormal(signal(11))),
        S::RuntimeFailed,
        Failure::Running(signal(11)),
        "the runtime was killed by SIGSEGV"
    )]
    #[case::running_code(
        S::Running,
        exited(Termination::from_code(3)),
        S::RuntimeFailed,
        Failure::Running(code(3)),
        "the runtime exited with code 3"
    )]
    fn a_failure_carries_its_failure_and_reason(
        #[case] from: SessionState,
        #[case] input: Input,
        #[case] to: SessionState,
        #[case] failure: Failure,
        #[case] reason: &str,
    ) {
        let mut session = session_in(from);
        let handled = handle(&mut session, 10, input);
        assert_eq!(handled.transition, Transition::To(to));
        assert_eq!(handled.effect, None);
        let event = state_event(&handled);
        assert_eq!(
            (event.from, event.to, event.reason.as_deref(), event.failure),
            (from, to, Some(reason), Some(failure))
        );
        let snapshot = session.snapshot();
        assert_eq!(snapshot.state, to);
        assert_eq!(snapshot.last_failure, Some(failure));
        assert_eq!(snapshot.runtime, None);

        // A new run forgets the last one's failure at once, and a clean run leaves none.
        handle(&mut session, 11, Input::Play(RunGoal::Prepare));
        assert_eq!(session.snapshot().last_failure, None);
        handle(&mut session, 12, prepared_ok());
        assert_eq!(session.snapshot().last_failure, None);
    }

    #[rstest]
    #[case::preparation_stopped(S::Preparing, preparation_stopped(), "stopped: SIGINT received")]
    #[case::runtime_stopped(
        S::Running,
        Input::RuntimeEnded(RuntimeEnd::Stopped),
        "stopped: SIGINT received"
    )]
    #[case::preparation_succeeded_meanwhile(
        S::Preparing,
        prepared_ok(),
        "stopped: SIGINT received (meanwhile: preparation had succeeded)"
    )]
    #[case::preparation_failed_meanwhile(
        S::Preparing,
        Input::PreparationEnded(PreparationEnd::Failed(port(
            Failure::Step { step: Step::PackValidation, cause: StepFailure::Exit(code(1)) },
            "pack-validation failed: exit 1",
        ))),
        "stopped: SIGINT received (meanwhile: pack-validation failed: exit 1)"
    )]
    #[case::launch_failed_meanwhile(
        S::Connecting,
        Input::RuntimeEnded(RuntimeEnd::LaunchFailed(port(
            Failure::Handshake(HandshakeFailure::Timeout),
            "no DevTools handshake within 5 s",
        ))),
        "stopped: SIGINT received (meanwhile: no DevTools handshake within 5 s)"
    )]
    #[case::exited_cleanly_meanwhile(
        S::Running,
        exited(Termination::Success),
        "stopped: SIGINT received (meanwhile: the runtime had exited with status 0)"
    )]
    #[case::killed_meanwhile(
        S::Running,
        exited(Termination::from_signal(Signal::TERM)),
        "stopped: SIGINT received (meanwhile: the runtime was killed by SIGTERM)"
    )]
    fn a_stop_ends_stopped_with_its_reason_and_what_happened_meanwhile(
        #[case] from: SessionState,
        #[case] ending: Input,
        #[case] reason: &str,
    ) {
        let mut session = session_in(from);
        let handled = handle(&mut session, 10, stop("SIGINT received"));
        assert_eq!(handled.transition, Transition::To(S::Stopping));
        assert_eq!(handled.effect, Some(Effect::StopPorts));
        let event = state_event(&handled);
        assert_eq!(
            (event.from, event.to, event.reason.as_deref(), event.failure),
            (from, S::Stopping, Some("SIGINT received"), None)
        );

        let handled = handle(&mut session, 11, ending);
        assert_eq!(handled.transition, Transition::To(S::Stopped));
        // Nothing new starts while stopping, not even after a successful preparation.
        assert_eq!(handled.effect, None);
        let event = state_event(&handled);
        assert_eq!(
            (event.from, event.to, event.reason.as_deref(), event.failure),
            (S::Stopping, S::Stopped, Some(reason), None)
        );
        let snapshot = session.snapshot();
        assert_eq!(
            (snapshot.state, snapshot.last_failure, snapshot.runtime),
            (S::Stopped, None, None)
        );
    }

    #[test]
    fn a_runtime_reaching_running_while_stopping_is_noted_in_the_final_reason() {
        let mut session = session_in(S::Connecting);
        handle(&mut session, 10, stop("stop requested by the Studio"));
        let last_seq = session.log().last_seq();
        let handled = handle(&mut session, 11, running());
        assert_eq!(handled.transition, Transition::StayStopping);
        assert_eq!(handled.effect, None);
        assert!(handled.emitted.is_empty());
        assert_eq!(session.log().last_seq(), last_seq);
        assert_eq!(session.state(), S::Stopping);

        let handled = handle(&mut session, 12, Input::RuntimeEnded(RuntimeEnd::Stopped));
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some(
                "stopped: stop requested by the Studio (meanwhile: the runtime had reached running)"
            )
        );

        // The note belonged to run 1: run 2's stop does not repeat it.
        handle(&mut session, 13, play());
        handle(&mut session, 14, stop("SIGTERM received"));
        let handled = handle(&mut session, 15, preparation_stopped());
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some("stopped: SIGTERM received")
        );
    }

    #[test]
    fn a_second_stop_changes_nothing() {
        let mut session = session_in(S::Stopping);
        let before = session.snapshot();
        let handled = handle(&mut session, 10, stop("SIGINT received again"));
        assert_eq!(handled.transition, Transition::AlreadyStopping);
        assert_eq!(handled.effect, None);
        assert!(handled.emitted.is_empty());
        assert_eq!(session.snapshot(), before);
        // The first stop's reason is the one that ends the run.
        let handled = handle(&mut session, 11, Input::RuntimeEnded(RuntimeEnd::Stopped));
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some("stopped: stop requested")
        );
    }

    #[test]
    fn kill_now_while_stopping_kills_the_ports_and_says_so() {
        let mut session = session_in(S::Stopping);
        let last_seq = session.log().last_seq();
        let handled = handle(&mut session, 10, Input::KillNow);
        assert_eq!(handled.transition, Transition::StayStopping);
        assert_eq!(handled.effect, Some(Effect::KillPorts));
        let line = session_line(&handled);
        assert_eq!(line.severity, Severity::Warn);
        assert_eq!((line.seq, line.run, line.at), (last_seq + 1, 1, at(10)));
        assert!(line.message.contains("kill"), "{}", line.message);
        assert_eq!(session.state(), S::Stopping);

        let handled = handle(&mut session, 11, Input::RuntimeEnded(RuntimeEnd::Stopped));
        assert_eq!(handled.transition, Transition::To(S::Stopped));
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some("stopped: stop requested")
        );
    }

    #[rstest]
    #[case(S::Preparing)]
    #[case(S::Connecting)]
    #[case(S::Running)]
    fn kill_now_while_active_stops_with_kill(#[case] from: SessionState) {
        let mut session = session_in(from);
        let handled = handle(&mut session, 10, Input::KillNow);
        assert_eq!(handled.transition, Transition::To(S::Stopping));
        assert_eq!(handled.effect, Some(Effect::KillPorts));
        let event = state_event(&handled);
        assert_eq!(
            (event.from, event.to, event.reason.as_deref()),
            (from, S::Stopping, Some("kill requested"))
        );
        let ending = match from {
            S::Preparing => preparation_stopped(),
            _ => Input::RuntimeEnded(RuntimeEnd::Stopped),
        };
        let handled = handle(&mut session, 11, ending);
        assert_eq!(
            state_event(&handled).reason.as_deref(),
            Some("stopped: kill requested")
        );
    }

    #[rstest]
    #[case(S::Preparing)]
    #[case(S::Connecting)]
    #[case(S::Running)]
    #[case(S::Stopping)]
    fn play_while_active_is_reported_and_changes_nothing(#[case] state: SessionState) {
        let mut session = session_in(state);
        let before = session.snapshot();
        let handled = handle(&mut session, 10, Input::Play(RunGoal::Prepare));
        assert_eq!(handled.transition, Transition::PlayIgnored);
        assert_eq!(handled.effect, None);
        let line = session_line(&handled);
        assert_eq!(line.severity, Severity::Info);
        assert_eq!(line.seq, before.last_seq + 1);
        assert_eq!(line.run, 1);
        assert_eq!(line.message, format!("play ignored: run 1 is {state}"));

        let after = session.snapshot();
        assert_eq!(after.state, state);
        assert_eq!(after.run, 1);
        assert_eq!(after.run_first_seq, before.run_first_seq);
        assert_eq!(after.last_seq, before.last_seq + 1);
        assert_eq!(after.runtime, before.runtime);
        // The ignored play's goal is not taken either.
        assert_eq!(session.goal(), RunGoal::Play);
    }

    #[rstest]
    #[case(S::Idle)]
    #[case(S::PrepareFailed)]
    #[case(S::Prepared)]
    #[case(S::RuntimeFailed)]
    #[case(S::Stopped)]
    fn stop_and_kill_with_no_active_run_do_nothing(#[case] state: SessionState) {
        let mut session = session_in(state);
        let before = session.snapshot();
        for input in [stop("SIGINT received"), Input::KillNow] {
            let handled = handle(&mut session, 10, input);
            assert_eq!(handled.transition, Transition::NothingToStop);
            assert_eq!(handled.effect, None);
            assert!(handled.emitted.is_empty());
            assert_eq!(session.snapshot(), before);
        }
    }

    #[rstest]
    #[case(S::Idle, prepared_ok(), InputKind::PreparationSucceeded)]
    #[case(S::Running, prepared_ok(), InputKind::PreparationSucceeded)]
    #[case(S::Running, running(), InputKind::RuntimeRunning)]
    #[case(
        S::Preparing,
        Input::RuntimeEnded(RuntimeEnd::Stopped),
        InputKind::RuntimeStopped
    )]
    #[case(
        S::Connecting,
        exited(Termination::Success),
        InputKind::RuntimeExitedCleanly
    )]
    #[case(
        S::Stopped,
        exited(Termination::from_code(1)),
        InputKind::RuntimeExitedAbnormally
    )]
    fn an_input_the_table_rejects_changes_nothing(
        #[case] state: SessionState,
        #[case] input: Input,
        #[case] kind: InputKind,
    ) {
        let mut session = session_in(state);
        let before = session.snapshot();
        assert_eq!(
            session.handle(at(10), input),
            Err(Rejected { state, input: kind })
        );
        assert_eq!(session.snapshot(), before);
    }

    #[test]
    fn the_runtime_is_in_the_snapshot_from_running_until_the_run_ends() {
        let mut session = session_in(S::Running);
        assert_eq!(session.snapshot().runtime, Some(runtime_info()));
        handle(&mut session, 10, stop("stop requested"));
        assert_eq!(session.snapshot().runtime, Some(runtime_info()));
        handle(
            &mut session,
            11,
            exited(Termination::from_signal(Signal::KILL)),
        );
        assert_eq!(session.snapshot().runtime, None);

        let mut session = session_in(S::Running);
        handle(&mut session, 10, exited(Termination::from_code(101)));
        assert_eq!(session.snapshot().runtime, None);
    }

    #[test]
    fn the_snapshot_follows_the_log_window() {
        let mut session = Session::new(LogLimits {
            max_events: NonZeroUsize::new(3).expect("not zero"),
            max_bytes: NonZeroUsize::MAX,
        });
        handle(&mut session, 0, play());
        for second in 1..=4 {
            session.append_output(LineBatch::session_line(
                at(second),
                Severity::Info,
                "step output",
            ));
        }
        handle(&mut session, 5, stop("stop requested"));
        handle(&mut session, 6, preparation_stopped());
        handle(&mut session, 7, play());
        let snapshot = session.snapshot();
        assert_eq!(snapshot.last_seq, 8);
        assert_eq!(snapshot.oldest_held_seq, 6);
        assert_eq!(snapshot.evicted_total, 5);
        assert_eq!((snapshot.run, snapshot.run_first_seq), (2, 8));
        let held: Vec<(Seq, RunNumber)> = session
            .log()
            .read_after(0, usize::MAX)
            .events
            .iter()
            .map(|event| (event.seq(), event.view().run()))
            .collect();
        assert_eq!(held, [(6, 1), (7, 1), (8, 2)]);
        assert!(matches!(
            session
                .log()
                .read_after(7, 1)
                .events
                .first()
                .map(|event| event.view()),
            Some(EventView::State(state)) if state.to == S::Preparing && state.run == 2
        ));
    }
}
