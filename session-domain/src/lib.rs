//! The execution session's pure core.
//!
//! States and the transition table, the events and their canonical JSON, the line framer, the
//! severity rule and the bounded event log. Nothing here does I/O, reads a clock, spawns or
//! sleeps: time comes in as a [`Timestamp`] value, and every rule is testable without a runtime.
#![warn(missing_docs)]

/// `Display` as the value's wire name (`as_str`), for the enums that travel by name.
macro_rules! display_as_wire_name {
    ($($name:ty),+) => {
        $(impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        })+
    };
}
pub(crate) use display_as_wire_name;

mod batch;
pub mod byte_block;
pub mod byte_class;
pub mod byte_scan;
mod count_text;
mod duration_text;
mod event;
mod failure;
mod filter;
mod framer;
mod json;
mod json_cache;
mod log;
mod machine;
mod read_framer;
mod run_mode;
mod session;
mod severity;
mod short_copy;
mod signal;
mod source;
mod state;
mod step;
mod step_wire;
mod termination;
mod time;

pub use batch::{
    BATCH_OVERHEAD_BYTES, Batch, EVENT_OVERHEAD_BYTES, EventRef, LONGEST_LINE_MARGIN_BYTES,
    LineBatch, LineMeta, StateChange,
};
pub use count_text::counted;
pub use duration_text::human_duration;
pub use event::{Event, EventView, LogEvent, LogView, StateEvent, StateView, StepEvent, StepView};
pub use failure::{Failure, HandshakeFailure, StepFailure};
pub use filter::{EventFilter, EventKind};
pub use framer::{FramedLine, LineFramer};
pub use json::{JsonWriter, write_missed_line};
pub use log::{EventLog, LogLimits, ReadAfter};
pub use machine::{InputKind, Rejected, Transition, transition};
pub use read_framer::{ReadFramer, ReadOrigin};
pub use run_mode::RunMode;
pub use session::{
    CartridgeInfo, Effect, Handled, Input, PortFailure, PreparationEnd, RuntimeEnd, RuntimeInfo,
    Session, Snapshot,
};
pub use severity::{classify_severity, default_severity, severity_of};
pub use short_copy::append_with_fixed_copy;
pub use signal::Signal;
pub use source::{Severity, Source, Step, Stream};
pub use state::{RunGoal, RunNumber, Seq, SessionState};
pub use step::{StepEnd, StepName, StepOutcome, StepPhase, StepRecord};
pub use termination::{AbnormalExit, Termination};
pub use time::{CivilTime, Timestamp, TimestampParseError};
