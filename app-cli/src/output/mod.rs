//! Everything written to stdout and the log file.

mod color;
mod escapes;
mod filter;
mod human;
mod json;
mod local_time;
mod stdout_watch;
mod writer;

pub use color::{ColorChoice, use_color};
pub use filter::Filter;
pub use writer::OutputFailure;

pub(crate) use human::HumanFormat;
pub(crate) use stdout_watch::watch_stdout;
pub(crate) use writer::{StdoutFormat, start_output_thread};
