//! Exit codes (docs/manifest.md) and the one-line error that ends the tool.

use session_domain::SessionState;

/// The codes `prometeu-session` exits with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// The run ended on its own, or by `--stop-after`.
    Success = 0,
    /// Another error of the tool.
    ToolError = 1,
    /// Usage or configuration error; nothing ran.
    Usage = 2,
    /// `prepare_failed`.
    PrepareFailed = 3,
    /// `runtime_failed`.
    RuntimeFailed = 4,
    /// A bug: the tool panicked.
    Bug = 101,
    /// Stopped because of SIGHUP.
    Hangup = 129,
    /// Stopped because of SIGINT.
    Interrupted = 130,
    /// Stdout was closed.
    StdoutClosed = 141,
    /// Stopped because of SIGTERM.
    Terminated = 143,
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
        self as i32
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
