//! The domain session: the state machine and the event log, driven by inputs and the time.
//!
//! This is the sans-I/O core the service wraps: [`Session::handle`] takes the time and what
//! happened, records the events, and answers what the service must do next ([`Effect`]). It
//! never spawns, sleeps, reads a clock or touches a file.

use std::sync::Arc;

use crate::{
    AbnormalExit, Batch, EventLog, Failure, InputKind, LineBatch, LogLimits, Rejected, RunGoal,
    RunNumber, Seq, SessionState, Severity, StateChange, Termination, Timestamp, Transition,
    transition,
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
    /// The failure that ended the last failed run, if the last run failed.
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
