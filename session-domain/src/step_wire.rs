//! serde's form of a `step` event: the phase's facts flattened beside the common fields, in
//! the canonical order, and parsed back with every rule of docs/events.md checked.

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serializer};

use crate::{
    RunNumber, Seq, Signal, StepEnd, StepEvent, StepName, StepOutcome, StepPhase, StepView,
    Termination, Timestamp,
};

/// The value of `phase` on the wire.
pub(crate) fn phase_name(phase: &StepPhase) -> &'static str {
    match phase {
        StepPhase::Started { .. } => "started",
        StepPhase::Ended(_) => "ended",
    }
}

pub(crate) fn serialize_step<S: Serializer>(
    step: &StepView<'_>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut out = serializer.serialize_struct("StepEvent", 10)?;
    out.serialize_field("kind", "step")?;
    out.serialize_field("seq", &step.seq)?;
    out.serialize_field("run", &step.run)?;
    out.serialize_field("at", &step.at)?;
    out.serialize_field("step", &step.step)?;
    out.serialize_field("phase", phase_name(step.phase))?;
    match step.phase {
        StepPhase::Started { command, pid } => {
            match command {
                Some(command) => out.serialize_field("command", command)?,
                None => out.skip_field("command")?,
            }
            match pid {
                Some(pid) => out.serialize_field("pid", pid)?,
                None => out.skip_field("pid")?,
            }
        }
        StepPhase::Ended(end) => {
            out.serialize_field("duration_ms", &end.duration_ms)?;
            out.serialize_field("outcome", &end.outcome)?;
            match (end.exit_code(), end.signal()) {
                (Some(code), _) => out.serialize_field("exit_code", &code)?,
                (None, Some(signal)) => out.serialize_field("signal", &signal)?,
                (None, None) => {}
            }
        }
    }
    out.end()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum PhaseName {
    Started,
    Ended,
}

/// Every field a `step` event may have; [`StepEvent`] checks which go together.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StepWire {
    seq: Seq,
    run: RunNumber,
    at: Timestamp,
    step: StepName,
    phase: PhaseName,
    command: Option<Vec<String>>,
    pid: Option<u32>,
    duration_ms: Option<u64>,
    outcome: Option<StepOutcome>,
    exit_code: Option<i32>,
    signal: Option<Signal>,
}

impl TryFrom<StepWire> for StepEvent {
    type Error = String;

    fn try_from(wire: StepWire) -> Result<Self, Self::Error> {
        let phase = match wire.phase {
            PhaseName::Started => {
                if wire.duration_ms.is_some()
                    || wire.outcome.is_some()
                    || wire.exit_code.is_some()
                    || wire.signal.is_some()
                {
                    return Err(
                        "a started step has no duration_ms, outcome, exit_code or signal".into(),
                    );
                }
                if wire.step == StepName::Manifest && (wire.command.is_some() || wire.pid.is_some())
                {
                    return Err("the manifest step runs no program: no command, no pid".into());
                }
                if wire.step != StepName::Manifest && wire.command.is_none() {
                    return Err(format!("a started {} step names its command", wire.step));
                }
                StepPhase::Started {
                    command: wire.command,
                    pid: wire.pid,
                }
            }
            PhaseName::Ended => {
                if wire.command.is_some() || wire.pid.is_some() {
                    return Err("an ended step has no command or pid".into());
                }
                let (Some(duration_ms), Some(outcome)) = (wire.duration_ms, wire.outcome) else {
                    return Err("an ended step has duration_ms and outcome".into());
                };
                let exit = match (wire.exit_code, wire.signal) {
                    (Some(_), Some(_)) => {
                        return Err("an ended step has an exit_code or a signal, not both".into());
                    }
                    (Some(code), None) => Some(Termination::from_code(code)),
                    (None, Some(signal)) => Some(Termination::from_signal(signal)),
                    (None, None) => None,
                };
                StepPhase::Ended(StepEnd {
                    duration_ms,
                    outcome,
                    exit,
                })
            }
        };
        Ok(Self {
            seq: wire.seq,
            run: wire.run,
            at: wire.at,
            step: wire.step,
            phase,
        })
    }
}
