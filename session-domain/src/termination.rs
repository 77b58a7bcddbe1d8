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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_zero_is_success_and_anything_else_is_not() {
        assert_eq!(Termination::from_code(0), Termination::Success);
        assert!(Termination::from_code(0).is_success());
        assert_eq!(Termination::from_code(0).abnormal(), None);
        let failed = Termination::from_code(-2);
        assert!(!failed.is_success());
        assert_eq!(
            failed.abnormal(),
            NonZeroI32::new(-2).map(AbnormalExit::Code)
        );
        assert_eq!(
            Termination::from_signal(Signal::KILL).abnormal(),
            Some(AbnormalExit::Signal(Signal::KILL))
        );
    }

    #[test]
    fn terminations_read_as_fragments() {
        assert_eq!(Termination::Success.to_string(), "exit 0");
        assert_eq!(Termination::from_code(3).to_string(), "exit 3");
        assert_eq!(
            Termination::from_signal(Signal::TERM).to_string(),
            "killed by SIGTERM"
        );
    }
}
