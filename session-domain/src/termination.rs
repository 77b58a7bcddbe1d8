//! How a process ended, in types that cannot say "failed with code 0".

use std::fmt;
use std::num::NonZeroI32;

use crate::Signal;

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Termination {
    /// Exited with status 0.
    Success,
    /// Exited with a non-zero status, or was killed by a signal.
    Abnormal(AbnormalExit),
}

/// A process end that is not success.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AbnormalExit {
    /// Exited with this non-zero status.
    Code(NonZeroI32),
    /// Was killed by this signal.
    Signal(Signal),
}

impl Termination {
    /// From a raw exit code: 0 is success.
    pub fn from_code(code: i32) -> Self {
        match NonZeroI32::new(code) {
            None => Self::Success,
            Some(code) => Self::Abnormal(AbnormalExit::Code(code)),
        }
    }

    /// Killed by `signal`.
    pub fn from_signal(signal: Signal) -> Self {
        Self::Abnormal(AbnormalExit::Signal(signal))
    }

    /// `true` for an exit with status 0.
    pub fn is_success(self) -> bool {
        self == Self::Success
    }

    /// The non-success part, if any.
    pub fn abnormal(self) -> Option<AbnormalExit> {
        match self {
            Self::Success => None,
            Self::Abnormal(abnormal) => Some(abnormal),
        }
    }
}

impl fmt::Display for Termination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Success => f.write_str("exit 0"),
            Self::Abnormal(abnormal) => abnormal.fmt(f),
        }
    }
}

impl fmt::Display for AbnormalExit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Code(code) => write!(f, "exit {code}"),
            Self::Signal(signal) => write!(f, "killed by {signal}"),
        }
    }
}
