//! Stdout: the human or JSON format, filtered by `--source` and `--min-severity`.

use std::io::{self, Write};
use std::sync::Arc;

use session_domain::{Batch, EventFilter, JsonWriter};
use session_ports::SinkError;

use super::human::HumanFormat;
use super::json_feed::FedJson;
use super::sink_thread::BatchWriter;

/// How stdout names itself in errors and stop reasons.
pub(crate) const STDOUT_SINK: &str = "stdout";

/// How stdout is written.
#[derive(Debug)]
pub(crate) enum StdoutFormat {
    Human(HumanFormat),
    Json(JsonWriter),
}

/// Writes the events that pass the filter to stdout.
#[derive(Debug)]
pub(crate) struct StdoutWriter {
    pub(crate) format: StdoutFormat,
    filter: EventFilter,
    buffer: Vec<u8>,
    /// The reader went away (`| head`): nothing more is written, the summary included.
    pub(crate) closed: bool,
    /// What the log file wrote, shown as it is while the log file goes on (`json_feed.rs`).
    fed: Option<FedJson>,
}

impl StdoutWriter {
    pub(crate) fn new(format: StdoutFormat, filter: EventFilter) -> Self {
        Self {
            format,
            filter,
            buffer: Vec::new(),
            closed: false,
            fed: None,
        }
    }

    /// This writer, showing what the log file wrote instead of formatting, but for what the
    /// log file never writes. Only for JSON with an open filter: the log file's bytes are
    /// exactly those it would format.
    pub(crate) fn fed_by_log_file(mut self, fed: FedJson) -> Self {
        self.fed = Some(fed);
        self
    }

    fn failure(&mut self, error: io::Error) -> SinkError {
        if error.kind() == io::ErrorKind::BrokenPipe {
            self.closed = true;
            SinkError::Closed {
                sink: STDOUT_SINK.to_owned(),
            }
        } else {
            SinkError::Failed {
                sink: STDOUT_SINK.to_owned(),
                message: error.to_string(),
            }
        }
    }

    /// Shows what the log file wrote of the batches kept; once it has ended, what it never
    /// wrote is formatted into the buffer, and every later batch too.
    fn show_fed(&mut self) -> Result<(), SinkError> {
        let (Some(fed), StdoutFormat::Json(json)) = (&mut self.fed, &mut self.format) else {
            return Ok(());
        };
        match fed.show_waiting(write_stdout_waiting, json, &mut self.buffer) {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.fed = None;
                Ok(())
            }
            Err(error) => Err(self.failure(error)),
        }
    }
}

impl BatchWriter for StdoutWriter {
    fn format(&mut self, batch: &Arc<Batch>) {
        if let Some(fed) = &mut self.fed {
            fed.keep(batch);
            return;
        }
        match &mut self.format {
            // The common case, every event as JSON, goes through the batch's lines directly.
            StdoutFormat::Json(json) if self.filter.is_open() => {
                json.write_batch(batch, &mut self.buffer);
            }
            StdoutFormat::Json(json) => {
                for event in batch.iter().filter(|event| self.filter.passes(event)) {
                    json.write_line(&event, &mut self.buffer);
                }
            }
            StdoutFormat::Human(human) => human.write_batch(batch, &self.filter, &mut self.buffer),
        }
    }

    fn pending(&self) -> usize {
        self.buffer.len() + self.fed.as_ref().map_or(0, FedJson::pending)
    }

    fn write_out(&mut self) -> Result<(), SinkError> {
        self.show_fed()?;
        if self.buffer.is_empty() {
            return Ok(());
        }
        let written = write_stdout_waiting(&self.buffer);
        self.buffer.clear();
        written.map_err(|error| self.failure(error))
    }
}

/// Writes `bytes` to stdout and flushes, waiting for room when stdout is non-blocking: what
/// the CLI writes outside the sink (the closing summary) must not be lost to `EAGAIN` either.
pub(crate) fn write_stdout_waiting(bytes: &[u8]) -> io::Result<()> {
    let mut lock = io::stdout().lock();
    write_all_waiting(&mut lock, bytes).and_then(|()| flush_waiting(&mut lock))
}

/// `write_all` that also works when whoever started us left stdout non-blocking (some CI
/// runners do): `EAGAIN` waits for the descriptor to be writable instead of failing the run.
pub(crate) fn write_all_waiting(out: &mut impl Write, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        match out.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(written) => bytes = &bytes[written..],
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => wait_writable(),
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

pub(crate) fn flush_waiting(out: &mut impl Write) -> io::Result<()> {
    loop {
        match out.flush() {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => wait_writable(),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn wait_writable() {
    use rustix::event::{PollFd, PollFlags, poll};
    let mut stdout = [PollFd::from_borrowed_fd(
        rustix::stdio::stdout(),
        PollFlags::OUT,
    )];
    // An error or a hang-up shows up in the next write.
    let _ = poll(&mut stdout, None);
}
