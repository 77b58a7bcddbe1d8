//! The output thread: writes every batch to the log file, then to stdout, from one dedicated
//! thread fed over a bounded channel, flushing whenever the channel runs dry so that a reader
//! who keeps up sees each event at once.

use std::fs::File;
use std::io::{self, Write};
use std::sync::Arc;
use std::thread::JoinHandle;

use async_trait::async_trait;
use session_domain::Batch;
use session_ports::{LogSink, SinkError};
use tokio::sync::mpsc;

use super::filter::Filter;
use super::human::HumanFormat;
use super::json::JsonWriter;

/// How stdout is written.
#[derive(Debug)]
pub(crate) enum StdoutFormat {
    Human(HumanFormat),
    Json,
}

/// Something the output thread could not do; the controller stops the run for it.
#[derive(Debug)]
pub enum OutputFailure {
    /// The reader of stdout went away (`| head`).
    StdoutClosed,
    /// Stdout cannot be written for another reason (a full disk behind a redirection).
    Stdout(io::Error),
    /// The log file cannot be written.
    LogFile(io::Error),
}

impl OutputFailure {
    /// The one-line error it ends the tool with, if any (a closed stdout ends it quietly).
    pub fn error_message(&self) -> Option<String> {
        match self {
            Self::StdoutClosed => None,
            Self::Stdout(error) => Some(format!("cannot write to stdout: {error}")),
            Self::LogFile(error) => Some(format!("the log file cannot be written: {error}")),
        }
    }
}

/// What the output thread leaves behind when it ends.
#[derive(Debug)]
pub(crate) struct OutputReport {
    pub(crate) human: Option<HumanFormat>,
    pub(crate) stdout_closed: bool,
}

/// The sink the service writes to: a bounded channel into the output thread.
#[derive(Debug)]
pub(crate) struct OutputSink {
    batches: mpsc::Sender<Arc<Batch>>,
}

#[async_trait]
impl LogSink for OutputSink {
    async fn write(&mut self, batch: Arc<Batch>) -> Result<(), SinkError> {
        // Waiting here is the back-pressure: the service stops reading the children's pipes.
        self.batches
            .send(batch)
            .await
            .map_err(|_| SinkError::Failed {
                sink: "output".into(),
                message: "the output thread has stopped".into(),
            })
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        // The output thread flushes by itself whenever it runs out of batches.
        Ok(())
    }
}

pub(crate) struct OutputThread {
    pub(crate) sink: OutputSink,
    pub(crate) handle: JoinHandle<OutputReport>,
}

/// Starts the output thread. Failures are reported on `failures` as they happen; the thread
/// keeps writing whatever can still be written.
pub(crate) fn start_output_thread(
    format: StdoutFormat,
    filter: Filter,
    log_file: Option<File>,
    failures: mpsc::UnboundedSender<OutputFailure>,
) -> io::Result<OutputThread> {
    let (batches, receiver) = mpsc::channel(2);
    let handle = std::thread::Builder::new()
        .name("prometeu-output".into())
        .spawn(move || Writer::new(format, filter, log_file, failures).run(receiver))?;
    Ok(OutputThread {
        sink: OutputSink { batches },
        handle,
    })
}

struct Writer {
    format: StdoutFormat,
    filter: Filter,
    log_file: Option<File>,
    stdout: Option<io::Stdout>,
    failures: mpsc::UnboundedSender<OutputFailure>,
    stdout_buffer: Vec<u8>,
    log_buffer: Vec<u8>,
    json: JsonWriter,
}

/// Buffered bytes are written out once they pass this size, even mid-burst.
const WRITE_THRESHOLD: usize = 256 * 1024;

impl Writer {
    fn new(
        format: StdoutFormat,
        filter: Filter,
        log_file: Option<File>,
        failures: mpsc::UnboundedSender<OutputFailure>,
    ) -> Self {
        Self {
            format,
            filter,
            log_file,
            stdout: Some(io::stdout()),
            failures,
            stdout_buffer: Vec::with_capacity(WRITE_THRESHOLD * 2),
            log_buffer: Vec::with_capacity(WRITE_THRESHOLD * 2),
            json: JsonWriter::default(),
        }
    }

    fn run(mut self, mut batches: mpsc::Receiver<Arc<Batch>>) -> OutputReport {
        loop {
            let batch = match batches.try_recv() {
                Ok(batch) => batch,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    self.flush();
                    match batches.blocking_recv() {
                        Some(batch) => batch,
                        None => break,
                    }
                }
            };
            self.format_batch(&batch);
            if self.stdout_buffer.len() >= WRITE_THRESHOLD
                || self.log_buffer.len() >= WRITE_THRESHOLD
            {
                self.flush();
            }
        }
        self.flush();
        OutputReport {
            stdout_closed: self.stdout.is_none(),
            human: match self.format {
                StdoutFormat::Human(human) => Some(human),
                StdoutFormat::Json => None,
            },
        }
    }

    fn format_batch(&mut self, batch: &Batch) {
        for event in batch.iter() {
            if self.log_file.is_some() {
                self.json.write_line(&event, &mut self.log_buffer);
            }
            if let StdoutFormat::Human(human) = &mut self.format {
                human.observe(&event);
            }
            if self.stdout.is_none() || !self.filter.passes(&event) {
                continue;
            }
            match &mut self.format {
                StdoutFormat::Human(human) => human.write_event(&event, &mut self.stdout_buffer),
                StdoutFormat::Json => self.json.write_line(&event, &mut self.stdout_buffer),
            }
        }
    }

    /// The log file first: it must hold every batch before stdout shows it.
    fn flush(&mut self) {
        if let Some(file) = &mut self.log_file {
            if let Err(error) = file.write_all(&self.log_buffer) {
                self.log_file = None;
                let _ = self.failures.send(OutputFailure::LogFile(error));
            }
        }
        self.log_buffer.clear();
        if let Some(stdout) = &mut self.stdout {
            let mut lock = stdout.lock();
            let written = write_all_waiting(&mut lock, &self.stdout_buffer)
                .and_then(|()| flush_waiting(&mut lock));
            drop(lock);
            if let Err(error) = written {
                self.stdout = None;
                let failure = if error.kind() == io::ErrorKind::BrokenPipe {
                    OutputFailure::StdoutClosed
                } else {
                    OutputFailure::Stdout(error)
                };
                let _ = self.failures.send(failure);
            }
        }
        self.stdout_buffer.clear();
    }
}

/// `write_all` that also works when whoever started us left stdout non-blocking (some CI
/// runners do): `EAGAIN` waits for the descriptor to be writable instead of failing the run.
fn write_all_waiting(out: &mut impl Write, mut bytes: &[u8]) -> io::Result<()> {
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

fn flush_waiting(out: &mut impl Write) -> io::Result<()> {
    loop {
        match out.flush() {
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => wait_writable(),
            Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn wait_writable() {
    let mut stdout = libc::pollfd {
        fd: libc::STDOUT_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: poll reads and writes the one pollfd we own for the duration of the call; an
    // error or a hang-up shows up in the next write.
    unsafe { libc::poll(&mut stdout, 1, -1) };
}
