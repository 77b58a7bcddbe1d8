//! Exit codes (docs/manifest.md) and the one-line error that ends the tool.

use session_domain::SessionState;

/// The codes `prometeu-session` exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The run ended on its own, or by `--stop-after`.
    Success,
    /// Another error of the tool.
    ToolError,
    /// Usage or configuration error; nothing ran.
    Usage,
    /// `prepare_failed`.
    PrepareFailed,
    /// `runtime_failed`.
    RuntimeFailed,
    /// A bug: the tool panicked.
    Bug,
    /// Stdout was closed.
    StdoutClosed,
    /// Stopped because of this signal: 128 + its number, the status a shell reports for a
    /// process that the signal killed (129 SIGHUP, 130 SIGINT, 131 SIGQUIT, 143 SIGTERM).
    Signalled(i32),
}

impl ExitCode {
    /// The code a terminal state gives when nobody asked for a stop.
    pub fn of_state(state: SessionState) -> Self {
        match state {
            SessionState::PrepareFailed => Self::PrepareFailed,
            SessionState::RuntimeFailed => Self::RuntimeFailed,
            _ => Self::Success,
        }
    }

    /// As a process exit status.
    pub fn code(self) -> i32 {
        match self {
            Self::Success => 0,
            Self::ToolError => 1,
            Self::Usage => 2,
            Self::PrepareFailed => 3,
            Self::RuntimeFailed => 4,
            Self::Bug => 101,
            Self::StdoutClosed => 141,
            Self::Signalled(signal) => 128 + signal,
        }
    }
}

/// An error that ends the tool: printed as one plain line on stderr.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Fatal {
    /// What went wrong and what to do.
    pub message: String,
    /// 1 or 2.
    pub code: ExitCode,
}

impl Fatal {
    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: ExitCode::Usage,
        }
    }

    /// Another error of the tool (exit 1).
    pub fn tool(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: ExitCode::ToolError,
        }
    }

    /// Prints the one line and returns the code.
    pub fn report(&self) -> i32 {
        // One line, always: a message that somehow holds a newline is folded.
        let line = self.message.replace('\n', " ");
        eprintln!("prometeu-session: error: {line}");
        self.code.code()
    }
}
