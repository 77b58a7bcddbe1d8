//! Framing one pipe's reads into batches: the hot path of every line a child prints.
//!
//! A read is validated as UTF-8 once, its lines found with `memchr`, and the stretch of the
//! read that holds them copied into the batch in one piece; each line then costs one small
//! record. Only the rare lines that need work of their own (one that began in an earlier read,
//! invalid UTF-8) are decoded one by one, after that stretch. Every batch is allocated at its
//! exact size, so what it costs against the buffer's budget is what it holds.

use std::num::NonZeroUsize;
use std::ops::Range;

use crate::batch::{LineRecord, push_decoded};
use crate::severity::severity_or;
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

/// Turns the reads of one stream into [`LineBatch`]es.
#[derive(Debug)]
pub struct ReadFramer {
    origin: ReadOrigin,
    framer: LineFramer,
    scratch: Scratch,
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
        }
    }

    /// The lines `read` completes, stamped `at`.
    pub fn frame(&mut self, read: &[u8], at: Timestamp) -> LineBatch {
        let valid = match std::str::from_utf8(read) {
            Ok(valid) => valid,
            Err(error) => std::str::from_utf8(&read[..error.valid_up_to()]).unwrap_or_default(),
        };
        let Self {
            origin,
            framer,
            scratch,
        } = self;
        // Where the copied stretch starts: at the first line that lies in the read.
        let mut stretch: Option<Range<usize>> = None;
        let default = default_severity(origin.source, origin.stream);
        framer.push(read, |line| {
            let in_read = line.chunk_offset.and_then(|offset| {
                let end = offset + line.bytes.len();
                valid.get(offset..end).map(|text| (offset, end, text))
            });
            match in_read {
                Some((offset, end, text)) => {
                    let from = stretch.get_or_insert(offset..end);
                    from.end = end;
                    scratch.lines.push(LineRecord {
                        meta: line_meta(*origin, at, severity_or(text, default), line),
                        text: offset - from.start..end - from.start,
                    });
                }
                None => scratch.push_decoded(*origin, at, line),
            }
        });
        let stretch = stretch.map_or("", |range| &valid[range]);
        self.scratch.take_batch(stretch)
    }

    /// Ends the stream: the last line if it had no `\n`, stamped `at`.
    pub fn finish(&mut self, at: Timestamp) -> LineBatch {
        let Self {
            origin,
            framer,
            scratch,
        } = self;
        framer.finish(|line| scratch.push_decoded(*origin, at, line));
        self.scratch.take_batch("")
    }

    /// How many lines were cut at `max_line` so far.
    pub fn truncated_lines(&self) -> u64 {
        self.framer.truncated_lines()
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

    #[test]
    fn a_batch_holds_its_lines_and_little_else() {
        let read = b"one\ntwo\r\nthree\npartial";
        let batches = by_reads(64, &[read]);
        assert_eq!(batches[0].text_len(), "one\ntwo\r\nthree".len());
        assert_eq!(batches[0].len(), 3);
        assert_eq!(batches[1].text_len(), "partial".len());
    }
}
