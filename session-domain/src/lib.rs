//! The execution session's pure core.
//!
//! States and the transition table, the events and their canonical JSON, the line framer, the
//! severity rule and the bounded event log. Nothing here does I/O, reads a clock, spawns or
//! sleeps: time comes in as a [`Timestamp`] value, and every rule is testable without a runtime.
#![warn(missing_docs)]

mod batch;
mod event;
mod failure;
mod framer;
mod log;
mod machine;
mod run_mode;
mod session;
mod severity;
mod signal;
mod source;
mod state;
mod termination;
mod time;

pub use batch::{Batch, EVENT_OVERHEAD_BYTES, EventRef, LineBatch, LineMeta, StateChange};
pub use event::{Event, EventView, LogEvent, LogView, StateEvent, StateView};
pub use failure::{Failure, HandshakeFailure, StepFailure};
pub use framer::{FramedLine, LineFramer};
pub use log::{EventLog, LogLimits, ReadAfter};
pub use machine::{InputKind, Rejected, Transition, transition};
pub use run_mode::RunMode;
pub use session::{
    CartridgeInfo, Effect, Handled, Input, PortFailure, PreparationEnd, RuntimeEnd, RuntimeInfo,
    Session, Snapshot,
};
pub use severity::{classify_severity, default_severity, severity_of};
pub use signal::Signal;
pub use source::{Severity, Source, Step, Stream};
pub use state::{RunGoal, RunNumber, Seq, SessionState};
pub use termination::{AbnormalExit, Termination};
pub use time::{CivilTime, Timestamp, TimestampParseError};
