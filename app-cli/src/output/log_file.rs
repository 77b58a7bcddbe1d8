//! `--log-file`: every event, unfiltered, as canonical JSON lines.

use std::fs::File;
use std::io::Write;
use std::sync::Arc;

use session_domain::{Batch, JsonWriter, Seq};
use session_ports::SinkError;

use super::json_feed::FeedSender;
use super::sink_thread::BatchWriter;

/// How the log file names itself in errors and stop reasons.
const LOG_FILE_SINK: &str = "the log file";

/// Writes every event to the log file.
#[derive(Debug)]
pub(crate) struct LogFileWriter {
    file: File,
    json: JsonWriter,
    buffer: Vec<u8>,
    /// The `seq` of the last event formatted.
    formatted: Seq,
    /// Stdout, when it shows what was written here (`json_feed.rs`).
    feed: Option<FeedSender>,
}

impl LogFileWriter {
    /// A writer to `file`, handing what it wrote to `feed` when there is one.
    pub(crate) fn new(file: File, feed: Option<FeedSender>) -> Self {
        Self {
            file,
            json: JsonWriter::default(),
            buffer: Vec::new(),
            formatted: 0,
            feed,
        }
    }
}

impl BatchWriter for LogFileWriter {
    fn format(&mut self, batch: &Arc<Batch>) {
        self.json.write_batch(batch, &mut self.buffer);
        self.formatted = batch.last_seq();
    }

    fn pending(&self) -> usize {
        self.buffer.len()
    }

    fn write_out(&mut self) -> Result<(), SinkError> {
        let written = self.file.write_all(&self.buffer);
        if written.is_ok() {
            if let Some(feed) = &self.feed {
                if !feed.hand_over(&mut self.buffer, self.formatted) {
                    // Stdout is gone (its own failure, reported by its sink).
                    self.feed = None;
                }
            }
        }
        self.buffer.clear();
        written.map_err(|error| SinkError::Failed {
            sink: LOG_FILE_SINK.to_owned(),
            message: error.to_string(),
        })
    }

    fn finish(&mut self) {
        // Stdout shows what it was not handed itself, from here on.
        self.feed = None;
    }
}
