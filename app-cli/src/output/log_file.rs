//! `--log-file`: every event, unfiltered, as canonical JSON lines.

use std::fs::File;
use std::io::Write;

use session_domain::{Batch, JsonWriter};
use session_ports::SinkError;

use super::sink_thread::BatchWriter;

/// How the log file names itself in errors and stop reasons.
const LOG_FILE_SINK: &str = "the log file";

/// Writes every event to the log file.
#[derive(Debug)]
pub(crate) struct LogFileWriter {
    file: File,
    json: JsonWriter,
    buffer: Vec<u8>,
}

impl LogFileWriter {
    pub(crate) fn new(file: File) -> Self {
        Self {
            file,
            json: JsonWriter::default(),
            buffer: Vec::new(),
        }
    }
}

impl BatchWriter for LogFileWriter {
    fn format(&mut self, batch: &Batch) {
        self.json.write_batch(batch, &mut self.buffer);
    }

    fn pending(&self) -> usize {
        self.buffer.len()
    }

    fn write_out(&mut self) -> Result<(), SinkError> {
        let written = self.file.write_all(&self.buffer);
        self.buffer.clear();
        written.map_err(|error| SinkError::Failed {
            sink: LOG_FILE_SINK.to_owned(),
            message: error.to_string(),
        })
    }
}
