//! The transition table of BRIEF section 3 as one pure function.

use crate::{RunGoal, SessionState};

/// What happened, reduced to what the table looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InputKind {
    /// Play or prepare was asked.
    Play,
    /// A graceful stop was asked.
    Stop,
    /// An immediate kill was asked.
    KillNow,
    /// Every step succeeded and the manifest is in place.
    PreparationSucceeded,
    /// A step or the manifest failed; everything reaped.
    PreparationFailed,
    /// Preparation ended because it was asked to stop; everything reaped.
    PreparationStopped,
    /// The runtime is running (run mode: spawned; debug mode: handshake completed).
    RuntimeRunning,
    /// The runtime could not reach `running`; everything reaped.
    RuntimeLaunchFailed,
    /// The runtime exited with status 0; everything reaped.
    RuntimeExitedCleanly,
    /// The runtime exited non-zero or by a signal; everything reaped.
    RuntimeExitedAbnormally,
    /// The runtime ended because it was asked to stop; everything reaped.
    RuntimeStopped,
}

impl InputKind {
    /// Every input, for exhaustive tables.
    pub const ALL: [Self; 11] = [
        Self::Play,
        Self::Stop,
        Self::KillNow,
        Self::PreparationSucceeded,
        Self::PreparationFailed,
        Self::PreparationStopped,
        Self::RuntimeRunning,
        Self::RuntimeLaunchFailed,
        Self::RuntimeExitedCleanly,
        Self::RuntimeExitedAbnormally,
        Self::RuntimeStopped,
    ];

    /// `true` for the inputs that mean a port finished and reaped everything it started.
    pub fn ends_a_port(self) -> bool {
        matches!(
            self,
            Self::PreparationSucceeded
                | Self::PreparationFailed
                | Self::PreparationStopped
                | Self::RuntimeLaunchFailed
                | Self::RuntimeExitedCleanly
                | Self::RuntimeExitedAbnormally
                | Self::RuntimeStopped
        )
    }
}

/// The table's answer for one (state, input) pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Enter this state.
    To(SessionState),
    /// Stay `stopping`: the event is recorded in the final reason, or (kill now) the ports skip
    /// the rest of the grace.
    StayStopping,
    /// Play while a run is active: ignored and reported, state unchanged.
    PlayIgnored,
    /// Stop while already stopping: nothing happens, nothing escalates.
    AlreadyStopping,
    /// Stop or kill with no active run: nothing happens, nothing is emitted.
    NothingToStop,
}

/// A (state, input) pair that the table does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} cannot happen while the session is {state}")]
pub struct Rejected {
    /// The state the session was in.
    pub state: SessionState,
    /// What was reported.
    pub input: InputKind,
}

/// The transition table: what `input` does to a session in `state` whose run has `goal`.
pub fn transition(
    state: SessionState,
    goal: RunGoal,
    input: InputKind,
) -> Result<Transition, Rejected> {
    use InputKind as I;
    use SessionState as S;
    let outcome = match (state, input) {
        (S::Idle | S::PrepareFailed | S::Prepared | S::RuntimeFailed | S::Stopped, I::Play) => {
            Transition::To(S::Preparing)
        }
        (S::Preparing | S::Connecting | S::Running | S::Stopping, I::Play) => {
            Transition::PlayIgnored
        }

        (
            S::Idle | S::PrepareFailed | S::Prepared | S::RuntimeFailed | S::Stopped,
            I::Stop | I::KillNow,
        ) => Transition::NothingToStop,
        (S::Preparing | S::Connecting | S::Running, I::Stop | I::KillNow) => {
            Transition::To(S::Stopping)
        }
        (S::Stopping, I::Stop) => Transition::AlreadyStopping,
        (S::Stopping, I::KillNow) => Transition::StayStopping,

        (S::Preparing, I::PreparationSucceeded) => match goal {
            RunGoal::Prepare => Transition::To(S::Prepared),
            RunGoal::Play => Transition::To(S::Connecting),
        },
        (S::Preparing, I::PreparationFailed) => Transition::To(S::PrepareFailed),

        (S::Connecting, I::RuntimeRunning) => Transition::To(S::Running),
        (S::Connecting, I::RuntimeLaunchFailed) => Transition::To(S::RuntimeFailed),
        (S::Running, I::RuntimeExitedCleanly) => Transition::To(S::Stopped),
        (S::Running, I::RuntimeExitedAbnormally) => Transition::To(S::RuntimeFailed),

        (S::Stopping, input) if input.ends_a_port() => Transition::To(S::Stopped),
        (S::Stopping, I::RuntimeRunning) => Transition::StayStopping,

        (state, input) => return Err(Rejected { state, input }),
    };
    Ok(outcome)
}
