//! The line framer: byte chunks in, lines out (BRIEF section 4, "Lines").

use std::num::NonZeroUsize;

/// One framed line: its bytes without the terminator, and whether it was cut at `max_line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramedLine<'a> {
    /// The line's bytes (at most `max_line`), without `\n` or the `\r` before it.
    pub bytes: &'a [u8],
    /// The line was longer than `max_line`; the rest up to its `\n` was discarded.
    pub truncated: bool,
}

/// Splits a byte stream into lines.
///
/// TODO(framer): implementation pending.
#[derive(Debug)]
pub struct LineFramer {
    max_line: NonZeroUsize,
}

impl LineFramer {
    /// A framer that cuts lines at `max_line` bytes.
    pub fn new(max_line: NonZeroUsize) -> Self {
        Self { max_line }
    }

    /// Frames `chunk`, calling `emit` for every line it completes.
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(FramedLine<'_>)) {
        let _ = (chunk, &mut emit, self.max_line);
    }

    /// Ends the stream: emits a last line that had no `\n`, if any.
    pub fn finish(&mut self, mut emit: impl FnMut(FramedLine<'_>)) {
        let _ = &mut emit;
    }

    /// How many lines were cut at `max_line` so far.
    pub fn truncated_lines(&self) -> u64 {
        0
    }
}
