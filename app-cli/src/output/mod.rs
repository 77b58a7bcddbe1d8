//! Everything written to stdout and the log file.

mod color;
mod escapes;
mod human;
mod json_feed;
mod local_time;
mod log_file;
mod outputs;
mod sink_thread;
mod stdout;
mod stdout_watch;
mod summary;

pub use color::{ColorChoice, use_color};
pub(crate) use escapes::escape_controls;
pub use human::HumanFormat;
pub(crate) use log_file::LogFileWriter;
pub(crate) use outputs::{OutputsFinished, start_outputs};
pub(crate) use stdout::{
    STDOUT_SINK, StdoutFormat, StdoutWriter, flush_waiting, write_all_waiting, write_stdout_waiting,
};
pub(crate) use stdout_watch::StdoutWatch;
