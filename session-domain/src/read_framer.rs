//! Framing one pipe's reads into batches: the hot path of every line a child prints.
//!
//! A read lands in the framer's buffer after the start of the line the last read left
//! unfinished, so that its lines lie wholly in it. It is validated as UTF-8 once, its lines
//! found 64 bytes at a time, and each line costs one small record. When there are 16 KiB of
//! lines or more, the buffer becomes the batch's text, cut to them; otherwise the stretch that
//! holds them is copied in one piece. Only the rare lines that need work of their own (one
//! longer than a read, invalid UTF-8) are decoded one by one, after that stretch. Every batch
//! is at its exact size, so what it costs against the buffer's budget is what it holds.

use std::num::NonZeroUsize;
use std::ops::Range;

use crate::batch::{LineRecord, push_decoded};
use crate::framer::ChunkLine;
use crate::severity::{severity_or, starts_with_no_level_word};
use crate::{
    FramedLine, LineBatch, LineFramer, LineMeta, Severity, Source, Stream, Timestamp,
    default_severity, severity_of,
};

/// Where a read's lines come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadOrigin {
    /// The program's output they are.
    pub source: Source,
    /// The pipe they were read from.
    pub stream: Stream,
}

/// From how many bytes of lines a buffer is handed over as a batch's text rather than copied:
/// below it, copying the lines costs less than allocating the next read's buffer, and a small
/// batch does not pin a large block.
const HANDOVER_BYTES: usize = 16 * 1024;

/// Turns the reads of one stream into [`LineBatch`]es.
///
/// The reads go into the framer's own buffer ([`read_buffer`](Self::read_buffer)), after the
/// start of a line the last read left unfinished: a line then lies wholly in one buffer. When a
/// read brings [`HANDOVER_BYTES`] of lines or more and none needed decoding (the steady state
/// of a fast writer), the buffer itself becomes the batch's text, cut to its lines, and no byte
/// of them is copied; otherwise their stretch is copied into a batch of its exact size.
#[derive(Debug)]
pub struct ReadFramer {
    origin: ReadOrigin,
    framer: LineFramer,
    scratch: Scratch,
    /// The unfinished line carried from the last read, then the bytes of the read.
    buffer: Vec<u8>,
    /// How many bytes at the start of `buffer` were carried.
    carried: usize,
    /// The size of a read's buffer, as last asked for.
    room: usize,
}

/// Reused between reads: what the read being framed has produced so far.
#[derive(Debug, Default)]
struct Scratch {
    /// The records of the read's lines. A line of the read has its range in the read's copied
    /// stretch; the others, listed in `decoded_lines`, in `decoded`.
    lines: Vec<LineRecord>,
    decoded_lines: Vec<usize>,
    /// The text of lines that are not a slice of the read.
    decoded: String,
}

impl ReadFramer {
    /// A framer for `origin`'s stream, cutting lines at `max_line` bytes.
    pub fn new(origin: ReadOrigin, max_line: NonZeroUsize) -> Self {
        Self {
            origin,
            framer: LineFramer::new(max_line),
            scratch: Scratch::default(),
            buffer: Vec::new(),
            carried: 0,
            room: 0,
        }
    }

    /// The lines `read` completes, stamped `at`.
    pub fn frame(&mut self, read: &[u8], at: Timestamp) -> LineBatch {
        self.buffer.extend_from_slice(read);
        self.frame_read(at)
    }

    /// Where the next read goes: appended to this buffer, after the carried line, in a buffer
    /// of `room` bytes (none of them zeroed), before a call to [`frame_read`](Self::frame_read).
    /// A carried line longer than half of `room` gets a larger buffer, with half of `room` left.
    pub fn read_buffer(&mut self, room: usize) -> &mut Vec<u8> {
        self.room = room;
        // Exact, and the same size every time but after a long carried line: a buffer handed
        // over as a batch's text comes back to the allocator as a block of that size, which
        // the next buffer then reuses.
        let wanted = room.max(self.buffer.len() + room / 2);
        if self.buffer.capacity() < wanted {
            self.buffer.reserve_exact(wanted - self.buffer.len());
        }
        &mut self.buffer
    }

    /// Forgets what was read into [`read_buffer`](Self::read_buffer) since the last frame, for a
    /// reader that only drains a pipe nobody listens to any more.
    pub fn discard_read(&mut self) {
        self.buffer.truncate(self.carried);
    }

    /// The lines completed by what was read into [`read_buffer`](Self::read_buffer), stamped
    /// `at`.
    pub fn frame_read(&mut self, at: Timestamp) -> LineBatch {
        let read_len = self.buffer.len() - self.carried;
        let mut read = std::mem::take(&mut self.buffer);
        let valid_len = valid_utf8_len(&read);
        // SAFETY: the first `valid_len` bytes are valid UTF-8 (`valid_utf8_len`).
        let valid = unsafe { std::str::from_utf8_unchecked(&read[..valid_len]) };
        let stretch = self.frame_lines(&read, valid, at);
        let (batch, spent) = match stretch {
            // Enough lines start the buffer: it becomes the batch's text, cut to them at no
            // cost (the allocator shrinks a block in place), and the next read gets a new one.
            // Also when the read ends inside a character, as a non-ASCII stream's often do.
            Some(range)
                if range.start == 0
                    && range.end >= HANDOVER_BYTES
                    && self.scratch.decoded_lines.is_empty()
                    && valid.is_char_boundary(range.end) =>
            {
                read.truncate(range.end);
                read.shrink_to_fit();
                // SAFETY: the bytes left are `valid[..range.end]`, valid UTF-8 cut at a
                // character boundary (checked just above).
                let text = unsafe { String::from_utf8_unchecked(read) };
                (self.scratch.take_batch_owning(text), None)
            }
            stretch => {
                let batch = self
                    .scratch
                    .take_batch(stretch.map_or("", |range| &valid[range]));
                (batch, Some(read))
            }
        };
        // The buffer is reused unless the batch took it; either way the next read goes after
        // the unfinished line, when copying it costs no more than the read did.
        let mut next = spent.unwrap_or_else(|| Vec::with_capacity(self.room));
        next.clear();
        self.framer.carry_pending_into(&mut next, read_len);
        self.carried = next.len();
        self.buffer = next;
        batch
    }

    /// Frames `read`, of which `valid` is the valid UTF-8 start, into the scratch: the range of
    /// `read` from its first line that lies in it to its last, if any.
    // Kept out of line: inlined into `frame_read`, its loop had fewer registers for its own
    // values (8 instructions per line more).
    #[inline(never)]
    fn frame_lines(&mut self, read: &[u8], valid: &str, at: Timestamp) -> Option<Range<usize>> {
        let Self {
            origin,
            framer,
            scratch,
            ..
        } = self;
        let origin = *origin;
        let from = framer.push_head(read, &mut |line: FramedLine<'_>| {
            scratch.push_decoded(origin, at, line);
        })?;
        // The copied stretch: the lines that end in `valid`, which are valid UTF-8: a line
        // starts after a `\n` or at the start, and ends before one or where the framer cut it
        // whole. Valid UTF-8 being a prefix of the read, the lines past it come last, and are
        // decoded one by one.
        let valid_read = &read[..valid.len().max(from)];
        let newlines = framer.find_newlines(valid_read, from);
        let meta = LineMeta {
            at,
            source: origin.source,
            severity: default_severity(origin.source, origin.stream),
            stream: Some(origin.stream),
            truncated: false,
        };
        let records = &mut scratch.lines;
        let recorded = records.len();
        records.reserve(newlines);
        let rest = framer.lines_in_chunk(valid_read, from, |line| {
            records.push(LineRecord {
                meta: LineMeta {
                    severity: line_severity(valid_read, line, meta.severity),
                    truncated: line.truncated,
                    ..meta
                },
                text: line.start - from..line.end - from,
            });
        });
        let stretch = match records.len() > recorded {
            false => None,
            true => records.last().map(|record| from..from + record.text.end),
        };
        framer.push_from(read, rest, &mut |line: FramedLine<'_>| {
            scratch.push_decoded(origin, at, line);
        });
        stretch
    }

    /// Ends the stream: the last line if it had no `\n`, stamped `at`.
    pub fn finish(&mut self, at: Timestamp) -> LineBatch {
        let Self {
            origin,
            framer,
            scratch,
            buffer,
            carried,
            ..
        } = self;
        // What was carried goes back to the framer, which holds no line then: no line ends
        // in it, since it has no newline.
        framer.push(&buffer[..*carried], |line| {
            scratch.push_decoded(*origin, at, line);
        });
        buffer.clear();
        *carried = 0;
        framer.finish(|line| scratch.push_decoded(*origin, at, line));
        self.scratch.take_batch("")
    }

    /// How many lines were cut at `max_line` so far.
    pub fn truncated_lines(&self) -> u64 {
        self.framer.truncated_lines()
    }
}

/// Whether every byte is ASCII: 128 bytes per step with AVX2 where the CPU has it, else std's
/// check.
fn is_ascii(bytes: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { crate::byte_class::avx2::is_ascii(bytes) };
    }
    bytes.is_ascii()
}

/// How many bytes at the start of `bytes` are valid UTF-8: most reads are ASCII, which
/// [`is_ascii`] tells faster than the full decoder.
#[inline]
fn valid_utf8_len(bytes: &[u8]) -> usize {
    if is_ascii(bytes) {
        return bytes.len();
    }
    match std::str::from_utf8(bytes) {
        Ok(_) => bytes.len(),
        Err(error) => error.valid_up_to(),
    }
}

/// The severity of `line` of `chunk`, or `default`: told by its first byte for most lines.
#[inline(always)]
fn line_severity(chunk: &[u8], line: ChunkLine, default: Severity) -> Severity {
    match chunk.get(line.start) {
        Some(&first) if line.end > line.start && starts_with_no_level_word(first) => default,
        _ => severity_or(chunk.get(line.start..line.end).unwrap_or_default(), default),
    }
}

impl Scratch {
    /// Records a line that is not a slice of the read, decoding it into `decoded`.
    fn push_decoded(&mut self, origin: ReadOrigin, at: Timestamp, line: FramedLine<'_>) {
        let start = self.decoded.len();
        push_decoded(&mut self.decoded, line);
        self.decoded_lines.push(self.lines.len());
        self.lines.push(LineRecord {
            meta: line_meta(
                origin,
                at,
                severity_of(origin.source, origin.stream, &self.decoded[start..]),
                line,
            ),
            text: start..self.decoded.len(),
        });
    }

    /// The batch of the framed lines of the read, whose stretch is all of `text` (nothing was
    /// decoded); empties the scratch for the next read.
    fn take_batch_owning(&mut self, text: String) -> LineBatch {
        let lines = self.lines.len();
        let mut records = std::mem::replace(&mut self.lines, Vec::with_capacity(lines));
        records.shrink_to_fit();
        LineBatch::from_parts(text, records)
    }

    /// The batch of the framed lines, `stretch` then `decoded`, at its exact size; empties
    /// the scratch for the next read.
    fn take_batch(&mut self, stretch: &str) -> LineBatch {
        let mut text = String::with_capacity(stretch.len() + self.decoded.len());
        text.push_str(stretch);
        text.push_str(&self.decoded);
        let mut records = self.lines.as_slice().to_vec();
        for &index in &self.decoded_lines {
            let range = &mut records[index].text;
            *range = range.start + stretch.len()..range.end + stretch.len();
        }
        self.lines.clear();
        self.decoded_lines.clear();
        self.decoded.clear();
        LineBatch::from_parts(text, records)
    }
}

fn line_meta(
    origin: ReadOrigin,
    at: Timestamp,
    severity: Severity,
    line: FramedLine<'_>,
) -> LineMeta {
    LineMeta {
        at,
        source: origin.source,
        severity,
        stream: Some(origin.stream),
        truncated: line.truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: ReadOrigin = ReadOrigin {
        source: Source::Runtime,
        stream: Stream::Stderr,
    };

    fn at(read: usize) -> Timestamp {
        Timestamp::from_unix_nanos(read as i64)
    }

    /// Every line of every batch, as (meta, message).
    fn lines_of(batches: &[LineBatch]) -> Vec<(LineMeta, String)> {
        batches
            .iter()
            .flat_map(|batch| batch.iter())
            .map(|(meta, message)| (*meta, message.to_owned()))
            .collect()
    }

    /// The same reads framed line by line, through the framer and `push_framed`.
    fn one_by_one(max_line: usize, reads: &[&[u8]]) -> Vec<(LineMeta, String)> {
        let mut framer = LineFramer::new(NonZeroUsize::new(max_line).unwrap_or(NonZeroUsize::MIN));
        let mut batch = LineBatch::new();
        for (index, read) in reads.iter().enumerate() {
            framer.push(read, |line| {
                batch.push_framed(at(index), ORIGIN.source, ORIGIN.stream, line)
            });
        }
        framer
            .finish(|line| batch.push_framed(at(reads.len()), ORIGIN.source, ORIGIN.stream, line));
        lines_of(&[batch])
    }

    fn by_reads(max_line: usize, reads: &[&[u8]]) -> Vec<LineBatch> {
        let mut framer = ReadFramer::new(
            ORIGIN,
            NonZeroUsize::new(max_line).unwrap_or(NonZeroUsize::MIN),
        );
        let mut batches: Vec<LineBatch> = reads
            .iter()
            .enumerate()
            .map(|(index, read)| framer.frame(read, at(index)))
            .collect();
        batches.push(framer.finish(at(reads.len())));
        batches
    }

    const INPUTS: [&[u8]; 6] = [
        b"plain\nerror: bad\r\n\r\nlast",
        "caf\u{e9} \u{1F600}\nwarn x\n".as_bytes(),
        b"bad \xff\xfe utf8\nthen good\n\xc3",
        b"a line much longer than max\nshort\nanother long line here\n",
        "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\n".as_bytes(),
        b"\r\r\n\n\rx\r",
    ];

    #[test]
    fn frames_as_the_line_by_line_path_does_at_any_split() {
        for input in INPUTS {
            for max_line in [8, 64] {
                let expected = one_by_one(max_line, &[input]);
                assert_eq!(lines_of(&by_reads(max_line, &[input])), expected);
                for split in 0..=input.len() {
                    let (head, tail) = input.split_at(split);
                    assert_eq!(
                        lines_of(&by_reads(max_line, &[head, tail])),
                        one_by_one(max_line, &[head, tail]),
                        "{input:?} split at {split}, max_line {max_line}"
                    );
                }
                let bytes: Vec<&[u8]> = input.chunks(1).collect();
                assert_eq!(
                    lines_of(&by_reads(max_line, &bytes)),
                    one_by_one(max_line, &bytes)
                );
            }
        }
    }

    /// Reads `read` the way the reader does: into the framer's buffer, with `room` for it.
    fn read_into(framer: &mut ReadFramer, room: usize, read: &[u8]) -> *const u8 {
        let buffer = framer.read_buffer(room);
        let start = buffer.len();
        buffer.extend_from_slice(read);
        buffer[start..].as_ptr()
    }

    fn messages(batch: &LineBatch) -> Vec<&str> {
        batch.iter().map(|(_, message)| message).collect()
    }

    #[test]
    fn a_read_of_many_lines_becomes_the_batch_and_its_rest_is_carried() {
        let mut framer = ReadFramer::new(
            ORIGIN,
            NonZeroUsize::new(1 << 20).unwrap_or(NonZeroUsize::MIN),
        );
        let filler = "x".repeat(HANDOVER_BYTES);
        let read = format!("{filler}\ntwo\r\nthree\nfo");
        let read_at = read_into(&mut framer, read.len() * 2, read.as_bytes());
        let batch = framer.frame_read(at(0));
        assert_eq!(messages(&batch), [filler.as_str(), "two", "three"]);
        let text = batch.text_storage();
        assert_eq!(text.as_ptr(), read_at, "the buffer itself, not a copy");
        let lines = format!("{filler}\ntwo\r\nthree");
        assert_eq!(
            (text.as_str(), text.capacity()),
            (lines.as_str(), lines.len())
        );
        // The unfinished line starts the next buffer, so the next read's lines are its own.
        read_into(&mut framer, 16, b"ur\nfive\nsix and s");
        let next = framer.frame_read(at(1));
        assert_eq!(messages(&next), ["four", "five"]);
        assert_eq!(next.text_storage().as_str(), "four\nfive");
        assert_eq!(messages(&framer.finish(at(2))), ["six and s"]);
    }

    #[test]
    fn full_pipe_reads_are_handed_over_read_after_read_in_a_buffer_that_does_not_grow() {
        // A pipe delivers at most 64 KiB a read, into room for 128 KiB; each read ends
        // mid-line, so each buffer starts with the line the last one left.
        let line = format!("{}\n", "y".repeat(99));
        let stream = line.repeat(20 * 655);
        let mut framer = ReadFramer::new(
            ORIGIN,
            NonZeroUsize::new(1 << 20).unwrap_or(NonZeroUsize::MIN),
        );
        let mut lines = 0;
        for read in stream.as_bytes().chunks(64 * 1024) {
            let buffer = framer.read_buffer(128 * 1024);
            let buffer_at = buffer.as_ptr();
            buffer.extend_from_slice(read);
            assert!(
                buffer.capacity() <= 129 * 1024,
                "the buffer grew: {}",
                buffer.capacity()
            );
            let batch = framer.frame_read(at(0));
            assert_eq!(
                batch.text_storage().as_ptr(),
                buffer_at,
                "handed over, not copied"
            );
            lines += batch.len();
        }
        assert_eq!(lines, 20 * 655);
    }

    #[test]
    fn non_ascii_reads_that_end_inside_a_character_are_handed_over_whole() {
        // Lines of two- and three-byte characters, cut into reads of 50,001 bytes: many reads
        // end inside a character, whose first bytes go on with the unfinished line.
        let line = "ação é preciso ✓ 漢字\n";
        let stream = line.repeat(20_000);
        let mut framer = ReadFramer::new(
            ORIGIN,
            NonZeroUsize::new(1 << 20).unwrap_or(NonZeroUsize::MIN),
        );
        let (mut lines, mut inside_a_character) = (0, 0);
        for read in stream.as_bytes().chunks(50_001) {
            inside_a_character += usize::from(std::str::from_utf8(read).is_err());
            let buffer = framer.read_buffer(128 * 1024);
            let buffer_at = buffer.as_ptr();
            buffer.extend_from_slice(read);
            let batch = framer.frame_read(at(0));
            assert_eq!(
                batch.text_storage().as_ptr(),
                buffer_at,
                "handed over, not copied"
            );
            assert!(
                messages(&batch)
                    .iter()
                    .all(|message| *message == line.trim_end())
            );
            lines += batch.len();
        }
        lines += framer.finish(at(1)).len();
        assert_eq!(lines, 20_000);
        assert!(inside_a_character > 2, "the reads do end inside characters");
    }

    #[test]
    fn a_small_read_is_copied_at_its_size_and_the_buffer_kept() {
        let mut framer =
            ReadFramer::new(ORIGIN, NonZeroUsize::new(64).unwrap_or(NonZeroUsize::MIN));
        let read_at = read_into(&mut framer, 1024, b"one\ntwo\n");
        let batch = framer.frame_read(at(0));
        assert_eq!(messages(&batch), ["one", "two"]);
        let text = batch.text_storage();
        assert_ne!(text.as_ptr(), read_at);
        assert_eq!(text.capacity(), "one\ntwo".len());
        assert_eq!(
            read_into(&mut framer, 1024, b"x\n"),
            read_at,
            "the same buffer again"
        );
    }

    #[test]
    fn a_tail_longer_than_its_read_stays_with_the_line_framer() {
        // A long line arriving a byte at a time must not be copied again at every byte.
        let mut framer =
            ReadFramer::new(ORIGIN, NonZeroUsize::new(64).unwrap_or(NonZeroUsize::MIN));
        read_into(&mut framer, 64, b"a long line with no end yet");
        assert!(framer.frame_read(at(0)).is_empty());
        assert_eq!(framer.carried, "a long line with no end yet".len());
        read_into(&mut framer, 64, b"!");
        assert!(framer.frame_read(at(1)).is_empty());
        assert_eq!(framer.carried, 0);
        assert_eq!(
            framer.framer.pending_len(),
            "a long line with no end yet!".len()
        );
        read_into(&mut framer, 64, b"\nnext\n");
        let batch = framer.frame_read(at(2));
        assert_eq!(messages(&batch), ["a long line with no end yet!", "next"]);
    }

    #[test]
    fn a_read_nobody_listens_to_is_forgotten_and_the_carried_line_kept() {
        let mut framer =
            ReadFramer::new(ORIGIN, NonZeroUsize::new(64).unwrap_or(NonZeroUsize::MIN));
        read_into(&mut framer, 64, b"one\ntw");
        assert_eq!(messages(&framer.frame_read(at(0))), ["one"]);
        read_into(&mut framer, 64, b"ignored\n");
        framer.discard_read();
        read_into(&mut framer, 64, b"o\n");
        assert_eq!(messages(&framer.frame_read(at(1))), ["two"]);
    }

    #[test]
    fn a_batch_holds_its_lines_and_little_else() {
        let read = b"one\ntwo\r\nthree\npartial";
        let batches = by_reads(64, &[read]);
        assert_eq!(batches[0].text_len(), "one\ntwo\r\nthree".len());
        assert_eq!(batches[0].len(), 3);
        assert_eq!(batches[1].text_len(), "partial".len());
    }
}
