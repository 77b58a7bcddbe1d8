//! Why a run failed: the `failure` object of a `prepare_failed` or `runtime_failed` event.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{AbnormalExit, Signal, Step, Termination};

/// The cause of a failed run. Each variant serialises as the brief's `failure` object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Failure {
    /// A preparation step failed: `{"stage":"<step>", …}`.
    Step {
        /// The step that failed.
        step: Step,
        /// How it failed.
        cause: StepFailure,
    },
    /// `build/manifest.json` could not be written, or is missing without metadata.
    Manifest,
    /// The runtime could not be started, or its debug address was already taken.
    RuntimeSpawn,
    /// Debug mode: the DevTools handshake did not complete.
    Handshake(HandshakeFailure),
    /// The runtime ended abnormally after it was running.
    Running(AbnormalExit),
}

/// How a preparation step failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepFailure {
    /// Its program could not be started.
    Spawn,
    /// It exited non-zero or died by a signal.
    Exit(AbnormalExit),
}

/// Why the DevTools handshake did not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HandshakeFailure {
    /// The runtime exited before the handshake.
    Exited(Termination),
    /// Nothing to connect to, or no handshake, within `handshake_timeout`.
    Timeout,
    /// The socket closed before the handshake while the process stayed alive.
    Closed,
    /// The first message was not JSON or not a handshake.
    BadHandshake,
    /// The protocol's major version is not 1.
    VersionMismatch,
}

impl HandshakeFailure {
    /// The `cause` value on the wire.
    pub fn cause(self) -> &'static str {
        match self {
            Self::Exited(_) => "exited",
            Self::Timeout => "timeout",
            Self::Closed => "closed",
            Self::BadHandshake => "bad_handshake",
            Self::VersionMismatch => "version_mismatch",
        }
    }
}

impl Failure {
    /// The `stage` value on the wire.
    pub fn stage(&self) -> &'static str {
        match self {
            Self::Step { step, .. } => step.as_str(),
            Self::Manifest => "manifest",
            Self::RuntimeSpawn => "spawn",
            Self::Handshake(_) => "handshake",
            Self::Running(_) => "running",
        }
    }

    /// `true` when the failure belongs to preparation (`prepare_failed`).
    pub fn is_preparation(&self) -> bool {
        matches!(self, Self::Step { .. } | Self::Manifest)
    }

    fn repr(&self) -> FailureRepr<'static> {
        let (cause, exit) = match *self {
            Self::Step {
                cause: StepFailure::Spawn,
                ..
            } => (Some("spawn"), None),
            Self::Step {
                cause: StepFailure::Exit(exit),
                ..
            } => (None, Some(exit)),
            Self::Manifest | Self::RuntimeSpawn => (None, None),
            Self::Handshake(handshake) => (
                Some(handshake.cause()),
                match handshake {
                    HandshakeFailure::Exited(termination) => termination.abnormal(),
                    _ => None,
                },
            ),
            Self::Running(exit) => (None, Some(exit)),
        };
        FailureRepr {
            stage: std::borrow::Cow::Borrowed(self.stage()),
            cause: cause.map(std::borrow::Cow::Borrowed),
            exit_code: match exit {
                Some(AbnormalExit::Code(code)) => Some(code.get()),
                _ => None,
            },
            signal: match exit {
                Some(AbnormalExit::Signal(signal)) => Some(signal),
                _ => None,
            },
        }
    }

    fn from_repr(repr: &FailureRepr<'_>) -> Result<Self, String> {
        let exit = match (repr.exit_code, repr.signal) {
            (Some(_), Some(_)) => {
                return Err("a failure has an exit_code or a signal, not both".into());
            }
            (Some(code), None) => match Termination::from_code(code) {
                Termination::Abnormal(exit) => Some(exit),
                Termination::Success => return Err("exit_code is never 0 in a failure".into()),
            },
            (None, Some(signal)) => Some(AbnormalExit::Signal(signal)),
            (None, None) => None,
        };
        let cause = repr.cause.as_deref();
        let stage = repr.stage.as_ref();
        let failure = match (stage, cause, exit) {
            ("manifest", None, None) => Self::Manifest,
            ("spawn", None, None) => Self::RuntimeSpawn,
            ("running", None, Some(exit)) => Self::Running(exit),
            ("handshake", Some("exited"), exit) => Self::Handshake(HandshakeFailure::Exited(
                exit.map_or(Termination::Success, Termination::Abnormal),
            )),
            ("handshake", Some("timeout"), None) => Self::Handshake(HandshakeFailure::Timeout),
            ("handshake", Some("closed"), None) => Self::Handshake(HandshakeFailure::Closed),
            ("handshake", Some("bad_handshake"), None) => {
                Self::Handshake(HandshakeFailure::BadHandshake)
            }
            ("handshake", Some("version_mismatch"), None) => {
                Self::Handshake(HandshakeFailure::VersionMismatch)
            }
            (step, cause, exit) => {
                let step = Step::ORDER
                    .into_iter()
                    .find(|known| known.as_str() == step)
                    .ok_or_else(|| format!("unknown failure stage {step:?}"))?;
                let cause = match (cause, exit) {
                    (Some("spawn"), None) => StepFailure::Spawn,
                    (None, Some(exit)) => StepFailure::Exit(exit),
                    _ => {
                        return Err(format!(
                            "a {step} failure has either cause \"spawn\" or an exit"
                        ));
                    }
                };
                Self::Step { step, cause }
            }
        };
        Ok(failure)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Step {
                step,
                cause: StepFailure::Spawn,
            } => write!(f, "{step} could not be started"),
            Self::Step {
                step,
                cause: StepFailure::Exit(exit),
            } => write!(f, "{step} failed ({exit})"),
            Self::Manifest => f.write_str("the cartridge manifest could not be produced"),
            Self::RuntimeSpawn => f.write_str("the runtime could not be started"),
            Self::Handshake(HandshakeFailure::Exited(end)) => {
                write!(
                    f,
                    "the runtime exited before the DevTools handshake ({end})"
                )
            }
            Self::Handshake(HandshakeFailure::Timeout) => {
                f.write_str("the DevTools handshake timed out")
            }
            Self::Handshake(HandshakeFailure::Closed) => {
                f.write_str("the DevTools socket closed before the handshake")
            }
            Self::Handshake(HandshakeFailure::BadHandshake) => {
                f.write_str("the DevTools handshake was malformed")
            }
            Self::Handshake(HandshakeFailure::VersionMismatch) => {
                f.write_str("the runtime speaks an unsupported DevTools protocol version")
            }
            Self::Running(exit) => write!(f, "the runtime ended abnormally ({exit})"),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct FailureRepr<'a> {
    #[serde(borrow)]
    stage: std::borrow::Cow<'a, str>,
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    cause: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exit_code: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signal: Option<Signal>,
}

impl Serialize for Failure {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.repr().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Failure {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let repr = FailureRepr::deserialize(deserializer)?;
        Self::from_repr(&repr).map_err(serde::de::Error::custom)
    }
}
