//! What a client shows: the items of a server's stream in the human or JSON format of `play`,
//! filtered for stdout, and every event, unfiltered, in `--log-file`.
//!
//! Formatting happens on the client's task; writing on a thread of its own, behind a small
//! channel, so that a paused terminal never keeps the client from handling Ctrl-C. The log file
//! gets each chunk before stdout, as in a standalone run.

use std::fs::File;
use std::io::{self, Write};
use std::thread::JoinHandle;

use adapter_http::client::StreamItem;
use session_domain::{EventFilter, JsonWriter, SessionState, write_missed_line};
use tokio::sync::mpsc;

use crate::cli::{Format, ViewArgs};
use crate::exit::Fatal;
use crate::output::{HumanFormat, flush_waiting, write_all_waiting};
use crate::run::terminal_width;

/// Chunks the writer thread may have waiting before the client stops reading the stream.
const CHUNKS: usize = 8;

/// A write that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OutputFailure {
    /// The reader of stdout went away (`| head`).
    StdoutClosed,
    /// Stdout cannot be written.
    Stdout(String),
    /// The log file cannot be written.
    LogFile(String),
}

impl OutputFailure {
    /// The one line that says it (none for a closed stdout, which ends the tool quietly).
    pub(crate) fn message(&self) -> Option<String> {
        match self {
            Self::StdoutClosed => None,
            Self::Stdout(error) => Some(format!("cannot write to stdout: {error}")),
            Self::LogFile(error) => Some(format!("cannot write the log file: {error}")),
        }
    }
}

enum Shown {
    Human(HumanFormat),
    Json(JsonWriter),
}

#[derive(Default)]
struct Chunk {
    log: Vec<u8>,
    out: Vec<u8>,
}

/// The client's stdout and log file.
pub(crate) struct ClientOutput {
    shown: Shown,
    filter: EventFilter,
    log_json: Option<JsonWriter>,
    pending: Chunk,
    chunks: Option<mpsc::Sender<Chunk>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ClientOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOutput")
            .field(
                "pending",
                &(self.pending.log.len() + self.pending.out.len()),
            )
            .finish()
    }
}

impl ClientOutput {
    /// The output `--format`, `--color`, `--source` and `--min-severity` ask for, on a
    /// terminal as wide as stdout's.
    pub(crate) fn for_view(
        view: &ViewArgs,
        log_file: Option<File>,
    ) -> Result<(Self, OutputFailures), Fatal> {
        Self::start(
            view.format,
            view.use_color(),
            terminal_width(),
            view.filter(),
            log_file,
        )
        .map_err(|error| Fatal::tool(format!("cannot start the output thread: {error}")))
    }

    /// Starts the writer thread; its failures arrive on the second half.
    pub(crate) fn start(
        format: Format,
        color: bool,
        width: usize,
        filter: EventFilter,
        log_file: Option<File>,
    ) -> io::Result<(Self, OutputFailures)> {
        let (chunks, receiver) = mpsc::channel(CHUNKS);
        let (failed, failures) = mpsc::unbounded_channel();
        let log_json = log_file.is_some().then(JsonWriter::default);
        let thread = std::thread::Builder::new()
            .name("prometeu-client-output".into())
            .spawn(move || write_chunks(receiver, log_file, failed))?;
        let output = Self {
            shown: match format {
                Format::Human => Shown::Human(HumanFormat::new(color, width)),
                Format::Json => Shown::Json(JsonWriter::default()),
            },
            filter,
            log_json,
            pending: Chunk::default(),
            chunks: Some(chunks),
            thread: Some(thread),
        };
        Ok((output, OutputFailures(failures)))
    }

    /// Formats one item of the stream.
    pub(crate) fn item(&mut self, item: &StreamItem) {
        match item {
            StreamItem::Missed { count } => {
                if self.log_json.is_some() {
                    write_missed_line(*count, &mut self.pending.log);
                }
                match &mut self.shown {
                    Shown::Human(human) => human.write_missed(*count, &mut self.pending.out),
                    Shown::Json(_) => write_missed_line(*count, &mut self.pending.out),
                }
            }
            StreamItem::Event(event) => {
                let view = event.view();
                if let Some(json) = &mut self.log_json {
                    json.write_line(&view, &mut self.pending.log);
                }
                if let Shown::Human(human) = &mut self.shown {
                    human.observe(&view);
                }
                if !self.filter.passes(&view) {
                    return;
                }
                match &mut self.shown {
                    Shown::Human(human) => human.write_event(&view, &mut self.pending.out),
                    Shown::Json(json) => json.write_line(&view, &mut self.pending.out),
                }
            }
        }
    }

    /// The human format's closing line of a run (nothing in JSON).
    pub(crate) fn summary(&mut self, state: SessionState, exit_code: i32) {
        if let Shown::Human(human) = &self.shown {
            self.pending
                .out
                .extend_from_slice(human.summary(state, exit_code).as_bytes());
        }
    }

    /// Whether formatted bytes wait to be handed to the writer.
    pub(crate) fn has_pending(&self) -> bool {
        !self.pending.log.is_empty() || !self.pending.out.is_empty()
    }

    /// Hands what is formatted to the writer once it has room. Cancel-safe: nothing is taken
    /// until there is room.
    pub(crate) async fn flush(&mut self) {
        let Some(chunks) = &self.chunks else {
            self.pending = Chunk::default();
            return;
        };
        match chunks.reserve().await {
            Ok(permit) => permit.send(std::mem::take(&mut self.pending)),
            // The writer is gone (it panicked): what it would have written is lost either way.
            Err(_) => self.pending = Chunk::default(),
        }
    }

    /// Writes everything and ends the writer; its failures are then all in [`OutputFailures`].
    pub(crate) async fn finish(mut self) {
        if self.has_pending() {
            self.flush().await;
        }
        self.chunks = None;
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

/// The writer's failures, as they happen.
#[derive(Debug)]
pub(crate) struct OutputFailures(mpsc::UnboundedReceiver<OutputFailure>);

impl OutputFailures {
    /// The next failure.
    pub(crate) async fn next(&mut self) -> Option<OutputFailure> {
        self.0.recv().await
    }

    /// The failures not taken yet.
    pub(crate) fn drain(&mut self) -> Vec<OutputFailure> {
        std::iter::from_fn(|| self.0.try_recv().ok()).collect()
    }
}

/// The writer thread: each chunk to the log file, then to stdout; a destination that fails is
/// said once and written no more.
fn write_chunks(
    mut chunks: mpsc::Receiver<Chunk>,
    mut log_file: Option<File>,
    failed: mpsc::UnboundedSender<OutputFailure>,
) {
    let mut stdout_open = true;
    while let Some(chunk) = chunks.blocking_recv() {
        if let Some(file) = &mut log_file {
            if !chunk.log.is_empty() {
                if let Err(error) = file.write_all(&chunk.log) {
                    let _ = failed.send(OutputFailure::LogFile(error.to_string()));
                    log_file = None;
                }
            }
        }
        if stdout_open && !chunk.out.is_empty() {
            let mut out = io::stdout().lock();
            let written =
                write_all_waiting(&mut out, &chunk.out).and_then(|()| flush_waiting(&mut out));
            if let Err(error) = written {
                stdout_open = false;
                let _ = failed.send(if error.kind() == io::ErrorKind::BrokenPipe {
                    OutputFailure::StdoutClosed
                } else {
                    OutputFailure::Stdout(error.to_string())
                });
            }
        }
    }
}
