//! Reading the DevTools socket as lines, capped at `max_line`, through the domain's framer.

use std::io;
use std::num::NonZeroUsize;

use session_domain::{FramedLine, LineFramer};
use tokio::io::{AsyncRead, AsyncReadExt};

/// One socket read at most this many bytes: messages are small, bursts are not.
const READ_SIZE: usize = 16 * 1024;

/// Reads a byte stream and frames it into lines. A line longer than `max_line` comes out cut,
/// with `truncated`, and the rest of it is skipped without being buffered.
#[derive(Debug)]
pub(crate) struct LineReader<R> {
    read: R,
    framer: LineFramer,
    buffer: Vec<u8>,
    filled: usize,
}

/// A line kept beyond the read that produced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct OwnedLine {
    pub(crate) bytes: Vec<u8>,
    pub(crate) truncated: bool,
}

impl OwnedLine {
    pub(crate) fn framed(&self) -> FramedLine<'_> {
        FramedLine {
            bytes: &self.bytes,
            truncated: self.truncated,
            chunk_offset: None,
        }
    }
}

impl From<FramedLine<'_>> for OwnedLine {
    fn from(line: FramedLine<'_>) -> Self {
        Self {
            bytes: line.bytes.to_vec(),
            truncated: line.truncated,
        }
    }
}

impl<R: AsyncRead + Unpin> LineReader<R> {
    pub(crate) fn new(read: R, max_line: NonZeroUsize) -> Self {
        Self {
            read,
            framer: LineFramer::new(max_line),
            buffer: vec![0; READ_SIZE],
            filled: 0,
        }
    }

    /// Reads once. `Ok(false)` at end of file. The bytes wait for [`frame`](Self::frame), so
    /// that the caller can take the time between the read and the framing.
    pub(crate) async fn read(&mut self) -> io::Result<bool> {
        self.filled = 0;
        loop {
            match self.read.read(&mut self.buffer).await {
                Ok(0) => return Ok(false),
                Ok(read) => {
                    self.filled = read;
                    return Ok(true);
                }
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(error) => return Err(error),
            }
        }
    }

    /// Frames what the last [`read`](Self::read) returned.
    pub(crate) fn frame(&mut self, emit: impl FnMut(FramedLine<'_>)) {
        let chunk = &self.buffer[..self.filled];
        self.framer.push(chunk, emit);
        self.filled = 0;
    }

    /// At end of file: a last line without `\n`, if any.
    pub(crate) fn finish(&mut self, emit: impl FnMut(FramedLine<'_>)) {
        self.framer.finish(emit);
    }

    /// How many lines were cut at `max_line` so far.
    pub(crate) fn truncated_lines(&self) -> u64 {
        self.framer.truncated_lines()
    }
}
