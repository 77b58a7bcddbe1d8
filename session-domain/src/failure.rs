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

    /// The `cause` value on the wire, when the failure has one.
    pub fn cause(&self) -> Option<&'static str> {
        self.cause_and_exit().0
    }

    /// How the failing process ended, when the failure carries it (`exit_code` or `signal`).
    pub fn exit(&self) -> Option<AbnormalExit> {
        self.cause_and_exit().1
    }

    fn cause_and_exit(&self) -> (Option<&'static str>, Option<AbnormalExit>) {
        match *self {
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
        }
    }

    fn repr(&self) -> FailureRepr<'static> {
        let (cause, exit) = self.cause_and_exit();
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
                    .ok_or_else(|| match step {
                        // A known stage that reached here has the wrong cause or exit for it.
                        "manifest" | "spawn" | "handshake" | "running" => format!(
                            "a {step:?} failure cannot have cause {cause:?} with {}",
                            describe_exit(exit)
                        ),
                        _ => format!("unknown failure stage {step:?}"),
                    })?;
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

fn describe_exit(exit: Option<AbnormalExit>) -> String {
    match exit {
        None => "no exit_code or signal".to_owned(),
        Some(AbnormalExit::Code(code)) => format!("exit_code {code}"),
        Some(AbnormalExit::Signal(signal)) => format!("signal {signal}"),
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

#[cfg(test)]
mod tests {
    use std::num::NonZeroI32;

    use rstest::rstest;

    use super::*;

    fn code(code: i32) -> AbnormalExit {
        AbnormalExit::Code(NonZeroI32::new(code).expect("a test exit code is never 0"))
    }

    fn signal(number: i32) -> AbnormalExit {
        AbnormalExit::Signal(Signal::from_number(number).expect("a test signal is never 0"))
    }

    fn step(step: Step, cause: StepFailure) -> Failure {
        Failure::Step { step, cause }
    }

    /// Every row of the brief's failure table (section 4), both ways.
    #[rstest]
    #[case::step_spawn(
        step(Step::Build, StepFailure::Spawn),
        r#"{"stage":"build","cause":"spawn"}"#
    )]
    #[case::validation_spawn(
        step(Step::PackValidation, StepFailure::Spawn),
        r#"{"stage":"pack-validation","cause":"spawn"}"#
    )]
    #[case::step_exit_code(
        step(Step::Pack, StepFailure::Exit(code(2))),
        r#"{"stage":"pack","exit_code":2}"#
    )]
    #[case::step_negative_code(
        step(Step::Build, StepFailure::Exit(code(-1))),
        r#"{"stage":"build","exit_code":-1}"#
    )]
    #[case::step_signal(
        step(Step::PackValidation, StepFailure::Exit(signal(9))),
        r#"{"stage":"pack-validation","signal":"SIGKILL"}"#
    )]
    #[case::manifest(Failure::Manifest, r#"{"stage":"manifest"}"#)]
    #[case::runtime_spawn(Failure::RuntimeSpawn, r#"{"stage":"spawn"}"#)]
    #[case::handshake_exited_code(
        Failure::Handshake(HandshakeFailure::Exited(Termination::Abnormal(code(3)))),
        r#"{"stage":"handshake","cause":"exited","exit_code":3}"#
    )]
    #[case::handshake_exited_signal(
        Failure::Handshake(HandshakeFailure::Exited(Termination::Abnormal(signal(6)))),
        r#"{"stage":"handshake","cause":"exited","signal":"SIGABRT"}"#
    )]
    #[case::handshake_exited_zero(
        Failure::Handshake(HandshakeFailure::Exited(Termination::Success)),
        r#"{"stage":"handshake","cause":"exited"}"#
    )]
    #[case::handshake_timeout(
        Failure::Handshake(HandshakeFailure::Timeout),
        r#"{"stage":"handshake","cause":"timeout"}"#
    )]
    #[case::handshake_closed(
        Failure::Handshake(HandshakeFailure::Closed),
        r#"{"stage":"handshake","cause":"closed"}"#
    )]
    #[case::bad_handshake(
        Failure::Handshake(HandshakeFailure::BadHandshake),
        r#"{"stage":"handshake","cause":"bad_handshake"}"#
    )]
    #[case::version_mismatch(
        Failure::Handshake(HandshakeFailure::VersionMismatch),
        r#"{"stage":"handshake","cause":"version_mismatch"}"#
    )]
    #[case::running_signal(
        Failure::Running(signal(11)),
        r#"{"stage":"running","signal":"SIGSEGV"}"#
    )]
    #[case::running_unnamed_signal(
        Failure::Running(signal(40)),
        r#"{"stage":"running","signal":"SIG40"}"#
    )]
    #[case::running_code(Failure::Running(code(101)), r#"{"stage":"running","exit_code":101}"#)]
    fn failure_objects_are_canonical(#[case] failure: Failure, #[case] json: &str) {
        assert_eq!(
            serde_json::to_string(&failure).expect("a failure serialises"),
            json
        );
        let parsed: Failure = serde_json::from_str(json).expect("a canonical failure parses");
        assert_eq!(parsed, failure);
    }

    #[rstest]
    #[case::exit_code_zero(r#"{"stage":"pack","exit_code":0}"#, "never 0")]
    #[case::running_exit_code_zero(r#"{"stage":"running","exit_code":0}"#, "never 0")]
    #[case::handshake_exit_code_zero(
        r#"{"stage":"handshake","cause":"exited","exit_code":0}"#,
        "never 0"
    )]
    #[case::code_and_signal(r#"{"stage":"running","exit_code":1,"signal":"SIGKILL"}"#, "not both")]
    #[case::step_code_and_signal(
        r#"{"stage":"build","exit_code":1,"signal":"SIGKILL"}"#,
        "not both"
    )]
    #[case::unknown_stage(r#"{"stage":"deploy"}"#, "unknown failure stage")]
    #[case::unknown_stage_with_exit(r#"{"stage":"deploy","exit_code":1}"#, "unknown failure stage")]
    #[case::running_without_exit(r#"{"stage":"running"}"#, "cannot have")]
    #[case::step_without_cause_or_exit(r#"{"stage":"build"}"#, "either cause")]
    #[case::step_spawn_and_exit(
        r#"{"stage":"build","cause":"spawn","exit_code":1}"#,
        "either cause"
    )]
    #[case::step_unknown_cause(r#"{"stage":"pack","cause":"timeout"}"#, "either cause")]
    #[case::handshake_without_cause(r#"{"stage":"handshake"}"#, "cannot have")]
    #[case::handshake_unknown_cause(r#"{"stage":"handshake","cause":"refused"}"#, "cannot have")]
    #[case::handshake_timeout_with_code(
        r#"{"stage":"handshake","cause":"timeout","exit_code":1}"#,
        "cannot have"
    )]
    #[case::manifest_with_cause(r#"{"stage":"manifest","cause":"spawn"}"#, "cannot have")]
    #[case::spawn_with_code(r#"{"stage":"spawn","exit_code":1}"#, "cannot have")]
    #[case::unknown_signal_name(r#"{"stage":"running","signal":"SIGNOPE"}"#, "signal name")]
    #[case::signal_zero(r#"{"stage":"running","signal":"SIG0"}"#, "signal name")]
    #[case::signal_as_number(r#"{"stage":"running","signal":11}"#, "invalid type")]
    #[case::unknown_field(r#"{"stage":"manifest","detail":"disk full"}"#, "unknown field")]
    #[case::missing_stage(r#"{"cause":"spawn"}"#, "missing field")]
    #[case::running_with_null_exit_code(r#"{"stage":"running","exit_code":null}"#, "cannot have")]
    fn malformed_failure_objects_are_rejected(#[case] json: &str, #[case] says: &str) {
        let error = serde_json::from_str::<Failure>(json)
            .expect_err("a malformed failure object must not parse");
        assert!(
            error.to_string().contains(says),
            "{json}: {error} does not say {says:?}"
        );
    }

    #[test]
    fn only_step_and_manifest_failures_belong_to_preparation() {
        assert!(step(Step::Build, StepFailure::Spawn).is_preparation());
        assert!(Failure::Manifest.is_preparation());
        assert!(!Failure::RuntimeSpawn.is_preparation());
        assert!(!Failure::Handshake(HandshakeFailure::Timeout).is_preparation());
        assert!(!Failure::Running(code(1)).is_preparation());
    }

    #[rstest]
    #[case(step(Step::Build, StepFailure::Spawn), "build could not be started")]
    #[case(step(Step::Pack, StepFailure::Exit(code(2))), "pack failed (exit 2)")]
    #[case(
        Failure::Running(signal(11)),
        "the runtime ended abnormally (killed by SIGSEGV)"
    )]
    fn failures_read_as_sentences(#[case] failure: Failure, #[case] text: &str) {
        assert_eq!(failure.to_string(), text);
    }
}
