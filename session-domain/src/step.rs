//! The typed facts of each step's and the runtime's life: the `step` events of docs/events.md.
//!
//! Frontends build their summaries, timelines and exit reports from these, never from the
//! words of a `session` line.

use serde::{Deserialize, Serialize};

use crate::{AbnormalExit, Signal, Source, Step, Termination, Timestamp};

/// Whose life a `step` event tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepName {
    /// The `build` step.
    Build,
    /// The `pack-validation` step.
    PackValidation,
    /// The `pack` step.
    Pack,
    /// Writing (or checking) `build/manifest.json`.
    Manifest,
    /// The runtime process.
    Runtime,
}

impl StepName {
    /// Every name, in the order a run meets them.
    pub const ALL: [Self; 5] = [
        Self::Build,
        Self::PackValidation,
        Self::Pack,
        Self::Manifest,
        Self::Runtime,
    ];

    /// The name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::PackValidation => "pack-validation",
            Self::Pack => "pack",
            Self::Manifest => "manifest",
            Self::Runtime => "runtime",
        }
    }

    /// The log source of this step's own output.
    pub fn source(self) -> Source {
        match self {
            Self::Build => Source::Build,
            Self::PackValidation => Source::PackValidation,
            Self::Pack => Source::Pack,
            Self::Manifest => Source::Manifest,
            Self::Runtime => Source::Runtime,
        }
    }
}

impl From<Step> for StepName {
    fn from(step: Step) -> Self {
        match step {
            Step::Build => Self::Build,
            Step::PackValidation => Self::PackValidation,
            Step::Pack => Self::Pack,
        }
    }
}

/// How a step or the runtime ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepOutcome {
    /// It did its job (a step exited 0; the runtime exited 0 on its own).
    Succeeded,
    /// It could not be started, exited non-zero or died by a signal we did not send.
    Failed,
    /// It was stopped because a stop was asked.
    Stopped,
}

impl StepOutcome {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
        }
    }
}

/// The two moments a `step` event tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepPhase {
    /// It began.
    Started {
        /// The program and its arguments as run; `None` for the manifest.
        command: Option<Vec<String>>,
        /// The process id, once a process exists; `None` for the manifest and for a program
        /// that could not be started.
        pid: Option<u32>,
    },
    /// It ended.
    Ended(StepEnd),
}

/// The end of a step or of the runtime.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepEnd {
    /// From its start to its end (its process reaped), in milliseconds.
    pub duration_ms: u64,
    /// What it amounted to.
    pub outcome: StepOutcome,
    /// How its process ended; `None` when no process ran (the manifest, a spawn failure).
    pub exit: Option<Termination>,
}

impl StepEnd {
    /// The exit code, when the process exited by code (0 included).
    pub fn exit_code(&self) -> Option<i32> {
        match self.exit? {
            Termination::Success => Some(0),
            Termination::Abnormal(AbnormalExit::Code(code)) => Some(code.get()),
            Termination::Abnormal(AbnormalExit::Signal(_)) => None,
        }
    }

    /// The signal, when the process died by one.
    pub fn signal(&self) -> Option<Signal> {
        match self.exit? {
            Termination::Abnormal(AbnormalExit::Signal(signal)) => Some(signal),
            _ => None,
        }
    }
}

/// A `step` event before it is numbered: what a port reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    /// When it happened.
    pub at: Timestamp,
    /// Whose life.
    pub step: StepName,
    /// Which moment.
    pub phase: StepPhase,
}

impl StepRecord {
    /// A process started: `command` as run, and its pid when the spawn succeeded.
    pub fn started(at: Timestamp, step: StepName, command: Vec<String>, pid: Option<u32>) -> Self {
        Self {
            at,
            step,
            phase: StepPhase::Started {
                command: Some(command),
                pid,
            },
        }
    }

    /// The manifest step began (it runs no program).
    pub fn manifest_started(at: Timestamp) -> Self {
        Self {
            at,
            step: StepName::Manifest,
            phase: StepPhase::Started {
                command: None,
                pid: None,
            },
        }
    }

    /// It ended.
    pub fn ended(at: Timestamp, step: StepName, end: StepEnd) -> Self {
        Self {
            at,
            step,
            phase: StepPhase::Ended(end),
        }
    }

    /// Bytes of text it holds, for the buffer's accounting.
    pub(crate) fn text_len(&self) -> usize {
        match &self.phase {
            StepPhase::Started {
                command: Some(command),
                ..
            } => command.iter().map(String::len).sum(),
            _ => 0,
        }
    }
}

crate::display_as_wire_name!(StepName, StepOutcome);
