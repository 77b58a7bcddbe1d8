//! The CLI's sinks, wired: the log file (every event) first, then stdout, each on its own
//! thread; stdout shows nothing the log file has not written first. When stdout shows every
//! event as JSON, the log file's thread hands it the bytes it wrote (`json_feed.rs`), so
//! events are formatted once; otherwise stdout formats its own and waits for the log file's
//! watermark.

use std::fs::File;

use session_ports::LogSink;

use super::json_feed::json_feed;
use super::sink_thread::{Finished, SinkThread, start_sink_thread};
use session_domain::EventFilter;

use super::{LogFileWriter, StdoutFormat, StdoutWriter};

/// The sinks to give the session, and their threads to join once it has shut down.
pub(crate) struct Outputs {
    pub(crate) sinks: Vec<Box<dyn LogSink>>,
    pub(crate) threads: OutputThreads,
}

/// The writer threads behind the sinks.
#[derive(Debug)]
pub(crate) struct OutputThreads {
    log_file: Option<SinkThread<LogFileWriter>>,
    stdout: SinkThread<StdoutWriter>,
}

/// What the writers left once everything was written.
#[derive(Debug)]
pub(crate) struct OutputsFinished {
    /// Stdout's writer (`None` if its thread panicked).
    pub(crate) stdout: Option<StdoutWriter>,
    /// Failures met after the session's last flush, which nobody was told of yet.
    pub(crate) unreported: Vec<session_ports::SinkError>,
}

impl std::fmt::Debug for Outputs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outputs")
            .field("sinks", &self.sinks.len())
            .field("threads", &self.threads)
            .finish()
    }
}

/// Starts the writer threads.
pub(crate) fn start_outputs(
    format: StdoutFormat,
    filter: EventFilter,
    log_file: Option<File>,
) -> std::io::Result<Outputs> {
    let mut sinks: Vec<Box<dyn LogSink>> = Vec::new();
    let Some(file) = log_file else {
        let (sink, stdout, _) =
            start_sink_thread("stdout", StdoutWriter::new(format, filter), None)?;
        sinks.push(Box::new(sink));
        return Ok(Outputs {
            sinks,
            threads: OutputThreads {
                log_file: None,
                stdout,
            },
        });
    };
    let shows_the_log_file = matches!(format, StdoutFormat::Json(_)) && filter.is_open();
    let (feed, fed) = shows_the_log_file.then(json_feed).unzip();
    let (sink, log_file, written) =
        start_sink_thread("log-file", LogFileWriter::new(file, feed), None)?;
    sinks.push(Box::new(sink));
    let writer = StdoutWriter::new(format, filter);
    let (writer, after) = match fed {
        // Receiving the log file's bytes is its watermark.
        Some(fed) => (writer.fed_by_log_file(fed), None),
        None => (writer, Some(written)),
    };
    let (sink, stdout, _) = start_sink_thread("stdout", writer, after)?;
    sinks.push(Box::new(sink));
    let log_file = Some(log_file);
    Ok(Outputs {
        sinks,
        threads: OutputThreads { log_file, stdout },
    })
}

impl OutputThreads {
    /// Waits until every writer has written everything it was given. Call it once the session
    /// has shut down (its sinks are dropped then, which ends the threads).
    pub(crate) fn join(self) -> OutputsFinished {
        let mut unreported = Vec::new();
        if let Some(Finished {
            unreported: Some(error),
            ..
        }) = self.log_file.and_then(SinkThread::join)
        {
            unreported.push(error);
        }
        let stdout = self.stdout.join().map(|finished| {
            unreported.extend(finished.unreported);
            finished.writer
        });
        OutputsFinished { stdout, unreported }
    }
}
