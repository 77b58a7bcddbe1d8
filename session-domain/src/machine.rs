//! The transition table of docs/states.md as one pure function.

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

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;
    use InputKind as I;
    use SessionState as S;
    use Transition::{AlreadyStopping, NothingToStop, PlayIgnored, StayStopping, To};

    /// What one row of the table expects with goal `play`.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    enum Expected {
        /// `Ok(transition)`.
        Ok(Transition),
        /// `Err(Rejected { state, input })` for the row's own state and input.
        Reject,
    }
    use Expected::{Ok, Reject};

    impl Expected {
        fn for_pair(self, state: SessionState, input: InputKind) -> Result<Transition, Rejected> {
            match self {
                Ok(transition) => Result::Ok(transition),
                Reject => Err(Rejected { state, input }),
            }
        }
    }

    /// Writes the table once, as the `TABLE` constant that the guard test checks for
    /// completeness and as the `#[case]`s of the rstest table, so the two cannot drift.
    macro_rules! transition_table {
        ($($state:ident, $input:ident => $expected:expr;)*) => {
            const TABLE: &[(SessionState, InputKind, Expected)] =
                &[$((S::$state, I::$input, $expected)),*];

            /// Every (state, input) pair with goal `play`, against docs/states.md.
            #[rstest]
            $(#[case(S::$state, I::$input, $expected)])*
            fn every_pair_with_goal_play(
                #[case] state: SessionState,
                #[case] input: InputKind,
                #[case] expected: Expected,
            ) {
                assert_eq!(
                    transition(state, RunGoal::Play, input),
                    expected.for_pair(state, input),
                    "{state} + {input:?}"
                );
            }
        };
    }

    transition_table! {
        // idle, or any terminal state: play starts a new run; stop and kill have nothing to stop.
        Idle, Play => Ok(To(S::Preparing));
        Idle, Stop => Ok(NothingToStop);
        Idle, KillNow => Ok(NothingToStop);
        Idle, PreparationSucceeded => Reject;
        Idle, PreparationFailed => Reject;
        Idle, PreparationStopped => Reject;
        Idle, RuntimeRunning => Reject;
        Idle, RuntimeLaunchFailed => Reject;
        Idle, RuntimeExitedCleanly => Reject;
        Idle, RuntimeExitedAbnormally => Reject;
        Idle, RuntimeStopped => Reject;

        Preparing, Play => Ok(PlayIgnored);
        Preparing, Stop => Ok(To(S::Stopping));
        Preparing, KillNow => Ok(To(S::Stopping));
        Preparing, PreparationSucceeded => Ok(To(S::Connecting));
        Preparing, PreparationFailed => Ok(To(S::PrepareFailed));
        // Preparation only reports "stopped" after it was asked to stop, i.e. from stopping.
        Preparing, PreparationStopped => Reject;
        Preparing, RuntimeRunning => Reject;
        Preparing, RuntimeLaunchFailed => Reject;
        Preparing, RuntimeExitedCleanly => Reject;
        Preparing, RuntimeExitedAbnormally => Reject;
        Preparing, RuntimeStopped => Reject;

        PrepareFailed, Play => Ok(To(S::Preparing));
        PrepareFailed, Stop => Ok(NothingToStop);
        PrepareFailed, KillNow => Ok(NothingToStop);
        PrepareFailed, PreparationSucceeded => Reject;
        PrepareFailed, PreparationFailed => Reject;
        PrepareFailed, PreparationStopped => Reject;
        PrepareFailed, RuntimeRunning => Reject;
        PrepareFailed, RuntimeLaunchFailed => Reject;
        PrepareFailed, RuntimeExitedCleanly => Reject;
        PrepareFailed, RuntimeExitedAbnormally => Reject;
        PrepareFailed, RuntimeStopped => Reject;

        Prepared, Play => Ok(To(S::Preparing));
        Prepared, Stop => Ok(NothingToStop);
        Prepared, KillNow => Ok(NothingToStop);
        Prepared, PreparationSucceeded => Reject;
        Prepared, PreparationFailed => Reject;
        Prepared, PreparationStopped => Reject;
        Prepared, RuntimeRunning => Reject;
        Prepared, RuntimeLaunchFailed => Reject;
        Prepared, RuntimeExitedCleanly => Reject;
        Prepared, RuntimeExitedAbnormally => Reject;
        Prepared, RuntimeStopped => Reject;

        Connecting, Play => Ok(PlayIgnored);
        Connecting, Stop => Ok(To(S::Stopping));
        Connecting, KillNow => Ok(To(S::Stopping));
        Connecting, PreparationSucceeded => Reject;
        Connecting, PreparationFailed => Reject;
        Connecting, PreparationStopped => Reject;
        Connecting, RuntimeRunning => Ok(To(S::Running));
        Connecting, RuntimeLaunchFailed => Ok(To(S::RuntimeFailed));
        // Before `running`, any exit is a launch failure (`handshake`/`exited`), not an exit.
        Connecting, RuntimeExitedCleanly => Reject;
        Connecting, RuntimeExitedAbnormally => Reject;
        Connecting, RuntimeStopped => Reject;

        Running, Play => Ok(PlayIgnored);
        Running, Stop => Ok(To(S::Stopping));
        Running, KillNow => Ok(To(S::Stopping));
        Running, PreparationSucceeded => Reject;
        Running, PreparationFailed => Reject;
        Running, PreparationStopped => Reject;
        Running, RuntimeRunning => Reject;
        Running, RuntimeLaunchFailed => Reject;
        Running, RuntimeExitedCleanly => Ok(To(S::Stopped));
        Running, RuntimeExitedAbnormally => Ok(To(S::RuntimeFailed));
        Running, RuntimeStopped => Reject;

        RuntimeFailed, Play => Ok(To(S::Preparing));
        RuntimeFailed, Stop => Ok(NothingToStop);
        RuntimeFailed, KillNow => Ok(NothingToStop);
        RuntimeFailed, PreparationSucceeded => Reject;
        RuntimeFailed, PreparationFailed => Reject;
        RuntimeFailed, PreparationStopped => Reject;
        RuntimeFailed, RuntimeRunning => Reject;
        RuntimeFailed, RuntimeLaunchFailed => Reject;
        RuntimeFailed, RuntimeExitedCleanly => Reject;
        RuntimeFailed, RuntimeExitedAbnormally => Reject;
        RuntimeFailed, RuntimeStopped => Reject;

        // stopping: play ignored, stop never escalates, kill skips the grace, every port end
        // (everything reaped) ends the run `stopped` whatever the status, anything else stays.
        Stopping, Play => Ok(PlayIgnored);
        Stopping, Stop => Ok(AlreadyStopping);
        Stopping, KillNow => Ok(StayStopping);
        Stopping, PreparationSucceeded => Ok(To(S::Stopped));
        Stopping, PreparationFailed => Ok(To(S::Stopped));
        Stopping, PreparationStopped => Ok(To(S::Stopped));
        Stopping, RuntimeRunning => Ok(StayStopping);
        Stopping, RuntimeLaunchFailed => Ok(To(S::Stopped));
        Stopping, RuntimeExitedCleanly => Ok(To(S::Stopped));
        Stopping, RuntimeExitedAbnormally => Ok(To(S::Stopped));
        Stopping, RuntimeStopped => Ok(To(S::Stopped));

        Stopped, Play => Ok(To(S::Preparing));
        Stopped, Stop => Ok(NothingToStop);
        Stopped, KillNow => Ok(NothingToStop);
        Stopped, PreparationSucceeded => Reject;
        Stopped, PreparationFailed => Reject;
        Stopped, PreparationStopped => Reject;
        Stopped, RuntimeRunning => Reject;
        Stopped, RuntimeLaunchFailed => Reject;
        Stopped, RuntimeExitedCleanly => Reject;
        Stopped, RuntimeExitedAbnormally => Reject;
        Stopped, RuntimeStopped => Reject;
    }

    #[test]
    fn the_table_lists_every_pair_exactly_once() {
        assert_eq!(TABLE.len(), SessionState::ALL.len() * InputKind::ALL.len());
        for state in SessionState::ALL {
            for input in InputKind::ALL {
                let rows = TABLE
                    .iter()
                    .filter(|(s, i, _)| *s == state && *i == input)
                    .count();
                assert_eq!(rows, 1, "{state} + {input:?} is listed {rows} times");
            }
        }
    }

    #[test]
    fn goal_prepare_only_changes_where_preparation_succeeds() {
        for &(state, input, expected) in TABLE {
            let expected = match (state, input) {
                (S::Preparing, I::PreparationSucceeded) => Result::Ok(To(S::Prepared)),
                _ => expected.for_pair(state, input),
            };
            assert_eq!(
                transition(state, RunGoal::Prepare, input),
                expected,
                "{state} + {input:?} with goal prepare"
            );
        }
    }

    #[rstest]
    #[case(RunGoal::Prepare, S::Prepared)]
    #[case(RunGoal::Play, S::Connecting)]
    fn preparation_succeeded_follows_the_goal(#[case] goal: RunGoal, #[case] to: SessionState) {
        assert_eq!(
            transition(S::Preparing, goal, I::PreparationSucceeded),
            Result::Ok(To(to))
        );
        // From stopping, the goal no longer matters: nothing new starts.
        assert_eq!(
            transition(S::Stopping, goal, I::PreparationSucceeded),
            Result::Ok(To(S::Stopped))
        );
    }

    #[test]
    fn every_entered_state_follows_the_brief_classes() {
        // Only play leaves a terminal state, only into `preparing`; `stopping` only leads to
        // `stopped`; no transition re-enters the state it came from.
        for &(state, input, expected) in TABLE {
            let Ok(To(to)) = expected else { continue };
            assert_ne!(to, state, "{state} + {input:?}");
            if state.is_terminal() || state == S::Idle {
                assert_eq!((input, to), (I::Play, S::Preparing), "{state} + {input:?}");
            }
            if state == S::Stopping {
                assert_eq!(to, S::Stopped, "{state} + {input:?}");
            }
        }
    }

    #[test]
    fn a_rejection_names_state_and_input() {
        let rejected = transition(S::Idle, RunGoal::Play, I::RuntimeRunning)
            .expect_err("idle cannot hear that the runtime is running");
        assert_eq!(
            rejected.to_string(),
            "RuntimeRunning cannot happen while the session is idle"
        );
    }
}
