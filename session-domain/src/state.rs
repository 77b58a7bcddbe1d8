//! The session's states and run goals.

use serde::{Deserialize, Serialize};

/// A run's number: 1 for the session's first run, one more for each `play`.
pub type RunNumber = u64;

/// An event's position in the session's one ordered stream; the first event is 1.
pub type Seq = u64;

/// The state of the execution session (docs/states.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionState {
    /// No run has started yet.
    Idle,
    /// The shipper is building, validating and packing.
    Preparing,
    /// Preparation failed (terminal).
    PrepareFailed,
    /// A prepare-only run finished (terminal).
    Prepared,
    /// The runtime is being started (and, in debug mode, connected to).
    Connecting,
    /// The runtime runs the cartridge.
    Running,
    /// The runtime could not start, or ended abnormally (terminal).
    RuntimeFailed,
    /// A stop was asked; nothing new starts; waiting for every process to be reaped.
    Stopping,
    /// The run ended: stopped on request, or the runtime exited with status 0 (terminal).
    Stopped,
}

impl SessionState {
    /// Every state, in the order of the brief's table.
    pub const ALL: [Self; 9] = [
        Self::Idle,
        Self::Preparing,
        Self::PrepareFailed,
        Self::Prepared,
        Self::Connecting,
        Self::Running,
        Self::RuntimeFailed,
        Self::Stopping,
        Self::Stopped,
    ];

    /// A terminal state ends a run; the next `play` starts a new one.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            Self::PrepareFailed | Self::Prepared | Self::RuntimeFailed | Self::Stopped
        )
    }

    /// A run is active from `preparing` until it reaches a terminal state.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Self::Preparing | Self::Connecting | Self::Running | Self::Stopping
        )
    }

    /// The snake_case name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::Preparing => "preparing",
            Self::PrepareFailed => "prepare_failed",
            Self::Prepared => "prepared",
            Self::Connecting => "connecting",
            Self::Running => "running",
            Self::RuntimeFailed => "runtime_failed",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
        }
    }
}

/// What a run is for, fixed when it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunGoal {
    /// Prepare, then launch the runtime.
    Play,
    /// Prepare only; the run ends `prepared`.
    Prepare,
}

crate::display_as_wire_name!(SessionState);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_are_snake_case_and_match_serde() {
        let names: Vec<&str> = SessionState::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "idle",
                "preparing",
                "prepare_failed",
                "prepared",
                "connecting",
                "running",
                "runtime_failed",
                "stopping",
                "stopped"
            ]
        );
        for state in SessionState::ALL {
            let json = serde_json::to_string(&state).expect("a state serialises");
            assert_eq!(json, format!("\"{state}\""));
            assert_eq!(
                serde_json::from_str::<SessionState>(&json).expect("parses back"),
                state
            );
        }
        assert_eq!(
            serde_json::to_string(&[RunGoal::Play, RunGoal::Prepare]).expect("goals serialise"),
            r#"["play","prepare"]"#
        );
    }

    #[test]
    fn every_state_but_idle_is_either_terminal_or_active() {
        use SessionState as S;
        let terminal: Vec<_> = S::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        let active: Vec<_> = S::ALL.into_iter().filter(|s| s.is_active()).collect();
        assert_eq!(
            terminal,
            [S::PrepareFailed, S::Prepared, S::RuntimeFailed, S::Stopped]
        );
        assert_eq!(
            active,
            [S::Preparing, S::Connecting, S::Running, S::Stopping]
        );
        assert!(!S::Idle.is_terminal() && !S::Idle.is_active());
    }
}
