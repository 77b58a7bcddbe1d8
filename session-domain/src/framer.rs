//! The line framer: byte chunks in, lines out (docs/events.md, "Lines").
//!
//! The framer works on bytes and never decodes: invalid UTF-8 passes through and the caller
//! replaces it with U+FFFD at the edge. Memory does not grow with line length: at most
//! `max_line + 1` bytes of an unfinished line are held between chunks (the `+ 1` is a `\r` that
//! may still turn out to be part of a `\r\n` terminator), and whatever an over-long line has
//! beyond its first `max_line` bytes is skipped, never stored.

use std::num::NonZeroUsize;

use crate::byte_block::{BLOCK_LEN, Block};
use crate::byte_class::ByteClass;

/// One framed line: its bytes without the terminator, and whether it was cut at `max_line`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramedLine<'a> {
    /// The line's bytes (at most `max_line`), without `\n` or the `\r` before it.
    pub bytes: &'a [u8],
    /// The line was longer than `max_line`; the rest up to its `\n` was discarded.
    pub truncated: bool,
    /// Where `bytes` starts in the chunk given to [`LineFramer::push`], when the line lies in
    /// that chunk (the common case); `None` when the framer assembled it from several chunks.
    pub chunk_offset: Option<usize>,
}

/// Splits a byte stream into lines.
///
/// A line ends at `\n`; a `\r` right before the `\n` is dropped (also when the two arrive in
/// different chunks), a lone `\r` stays in the line. `max_line` measures the line's content
/// without its `\n` or `\r\n` terminator, so a line of exactly `max_line` bytes ending in
/// `\r\n` is whole, while a trailing lone `\r` counts as content.
///
/// A line longer than `max_line` is emitted as soon as that is known (not at its `\n`): its
/// first `max_line` bytes, cut back further so that no multi-byte UTF-8 character is split,
/// with `truncated: true`. The rest up to the next `\n` is skipped.
///
/// Lines that lie wholly inside one chunk are emitted as slices of that chunk, without a copy;
/// only a line spanning chunks is assembled in the framer's own buffer.
#[derive(Debug)]
pub struct LineFramer {
    max_line: usize,
    /// The start of a line whose `\n` has not arrived yet. Invariant: at most `max_line` bytes,
    /// or exactly `max_line + 1` when the last one is a `\r`.
    pending: Vec<u8>,
    /// An over-long line was already emitted; bytes are skipped up to and including the next
    /// `\n`.
    discarding: bool,
    truncated_lines: u64,
    /// The newline masks of the chunk being framed; the allocation serves chunk after chunk.
    masks: Vec<u64>,
}

impl LineFramer {
    /// A framer that cuts lines at `max_line` bytes.
    pub fn new(max_line: NonZeroUsize) -> Self {
        Self {
            max_line: max_line.get(),
            pending: Vec::new(),
            discarding: false,
            truncated_lines: 0,
            masks: Vec::new(),
        }
    }

    /// Frames `chunk`, calling `emit` for every line it completes.
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(FramedLine<'_>)) {
        if let Some(from) = self.push_head(chunk, &mut emit) {
            self.push_from(chunk, from, &mut emit);
        }
    }

    /// The rest of [`push`](Self::push) once [`push_head`](Self::push_head) has told where
    /// `chunk`'s own lines start: each line from `from` on, then the unfinished rest.
    #[inline]
    pub(crate) fn push_from(
        &mut self,
        chunk: &[u8],
        from: usize,
        emit: &mut impl FnMut(FramedLine<'_>),
    ) {
        self.find_newlines(chunk, from);
        let rest = self.lines_in_chunk(chunk, from, |line| {
            emit(FramedLine {
                bytes: &chunk[line.start..line.end],
                truncated: line.truncated,
                chunk_offset: Some(line.start),
            });
        });
        self.push_tail(chunk, rest, emit);
    }

    /// The first part of [`push`](Self::push): what ends a line carried from earlier chunks,
    /// or the rest of a cut line to skip. Emits the carried line if `chunk` ends it, and tells
    /// where in `chunk` the lines that lie wholly in it start, if it goes on past it.
    #[inline]
    pub(crate) fn push_head(
        &mut self,
        chunk: &[u8],
        emit: &mut impl FnMut(FramedLine<'_>),
    ) -> Option<usize> {
        let mut start = 0;
        if self.discarding {
            let end = memchr::memchr(b'\n', chunk)?;
            self.discarding = false;
            start = end + 1;
        }
        if !self.pending.is_empty() {
            match memchr::memchr(b'\n', &chunk[start..]) {
                Some(end) => {
                    self.complete_pending(&chunk[start..start + end], emit);
                    start += end + 1;
                }
                None => {
                    self.extend_pending(&chunk[start..], start, emit);
                    return None;
                }
            }
        }
        Some(start)
    }

    /// Finds the newlines of `chunk[from..]`, for [`lines_in_chunk`](Self::lines_in_chunk):
    /// how many there are, which is how many lines it gives at most.
    #[inline]
    pub(crate) fn find_newlines(&mut self, chunk: &[u8], from: usize) -> usize {
        newline_masks(&chunk[from..], &mut self.masks);
        self.masks
            .iter()
            .map(|mask| mask.count_ones() as usize)
            .sum()
    }

    /// Gives `line` each line that lies wholly in `chunk` from `from`, where
    /// [`push_head`](Self::push_head) left it: the hot path, since every complete line then is
    /// a slice of `chunk`. Returns where the line after the last one starts: the unfinished
    /// rest of the chunk, for [`push_tail`](Self::push_tail). The newlines must have been
    /// found from `from` ([`find_newlines`](Self::find_newlines)).
    ///
    /// The newlines are found first for the whole chunk, as bit masks sixty-four bytes to a
    /// word (SIMD), then walked here one bit per line: ordinary code that inlines into its
    /// caller, whose state for each line stays in registers. Run inside the AVX2 function, as
    /// it once was, every line reached that state through memory.
    #[inline(always)]
    pub(crate) fn lines_in_chunk(
        &mut self,
        chunk: &[u8],
        from: usize,
        mut line: impl FnMut(ChunkLine),
    ) -> usize {
        let mut start = from;
        let mut truncated = 0;
        let mut base = from;
        for &word in &self.masks {
            let mut mask = word;
            while mask != 0 {
                let newline = base + mask.trailing_zeros() as usize;
                mask &= mask - 1;
                let found = line_to(chunk, start, newline, self.max_line);
                truncated += u64::from(found.truncated);
                line(found);
                start = newline + 1;
            }
            base += 64;
        }
        self.truncated_lines += truncated;
        start
    }

    /// The last part of [`push`](Self::push): `chunk[rest..]`, the start of a line with no
    /// `\n` yet, is kept (or emitted cut, when it already is too long).
    #[inline]
    pub(crate) fn push_tail(
        &mut self,
        chunk: &[u8],
        rest: usize,
        emit: &mut impl FnMut(FramedLine<'_>),
    ) {
        if rest < chunk.len() {
            self.extend_pending(&chunk[rest..], rest, emit);
        }
    }

    /// Ends the stream: emits a last line that had no `\n`, if any.
    ///
    /// The framer is empty afterwards and can frame a new stream; [`Self::truncated_lines`] keeps
    /// counting, so the caller can still read the total for the stream that just ended.
    pub fn finish(&mut self, mut emit: impl FnMut(FramedLine<'_>)) {
        if self.discarding {
            // The over-long last line was already emitted when it overflowed.
            self.discarding = false;
        } else if self.pending.len() > self.max_line {
            // No `\n` will follow, so the pending `\r` is content and makes the line too long.
            self.pending.truncate(self.max_line);
            let kept = utf8_cut(&self.pending);
            self.truncated_lines += 1;
            emit(FramedLine {
                bytes: &self.pending[..kept],
                truncated: true,
                chunk_offset: None,
            });
        } else if !self.pending.is_empty() {
            emit(FramedLine {
                bytes: &self.pending,
                truncated: false,
                chunk_offset: None,
            });
        }
        self.pending.clear();
    }

    /// How many lines were cut at `max_line` since the framer was created.
    pub fn truncated_lines(&self) -> u64 {
        self.truncated_lines
    }

    /// How many bytes of an unfinished line the framer holds; never more than `max_line + 1`.
    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    /// Hands the unfinished line's bytes over to `out` when it holds at most `limit` of them,
    /// so that the caller puts them before the next chunk instead: a line then lies in one
    /// chunk, and the framer's own state is as if these bytes had not come yet (a line that
    /// holds them is cut, or not, by the same rules). A longer one stays here.
    pub fn carry_pending_into(&mut self, out: &mut Vec<u8>, limit: usize) {
        if self.discarding || self.pending.len() > limit {
            return;
        }
        out.extend_from_slice(&self.pending);
        self.pending.clear();
    }

    /// Ends the pending line with `tail`, the bytes of `chunk` before its `\n`.
    fn complete_pending(&mut self, tail: &[u8], emit: &mut impl FnMut(FramedLine<'_>)) {
        let ends_with_cr = tail.last().or(self.pending.last()) == Some(&b'\r');
        let content_len = self.pending.len() + tail.len() - usize::from(ends_with_cr);
        if content_len <= self.max_line {
            // Fits: at most `max_line + 1` bytes including the `\r`, within the reserved room.
            self.reserve(tail.len());
            self.pending.extend_from_slice(tail);
            if ends_with_cr {
                self.pending.pop();
            }
            emit(FramedLine {
                bytes: &self.pending,
                truncated: false,
                chunk_offset: None,
            });
        } else {
            self.emit_pending_cut(tail, emit);
        }
        self.pending.clear();
    }

    /// Adds `tail`, the start or the continuation of a line with no `\n` in sight, to the pending
    /// line, or emits the line cut if that makes it longer than `max_line`.
    fn extend_pending(
        &mut self,
        tail: &[u8],
        tail_offset: usize,
        emit: &mut impl FnMut(FramedLine<'_>),
    ) {
        let held = self.pending.len() + tail.len();
        let last = tail.last().or(self.pending.last());
        if held <= self.max_line || (held == self.max_line + 1 && last == Some(&b'\r')) {
            self.reserve(tail.len());
            self.pending.extend_from_slice(tail);
            return;
        }
        // Whatever follows, the content is longer than `max_line`: even if a `\n` comes next
        // and one trailing `\r` is dropped, at least `max_line + 1` bytes remain.
        self.discarding = true;
        if self.pending.is_empty() {
            self.emit_cut(tail, tail_offset, emit);
        } else {
            self.emit_pending_cut(tail, emit);
            self.pending.clear();
        }
    }

    /// Completes the pending line up to `max_line` bytes from `tail` and emits it cut.
    fn emit_pending_cut(&mut self, tail: &[u8], emit: &mut impl FnMut(FramedLine<'_>)) {
        self.fill_to_max(tail);
        let kept = utf8_cut(&self.pending);
        self.truncated_lines += 1;
        emit(FramedLine {
            bytes: &self.pending[..kept],
            truncated: true,
            chunk_offset: None,
        });
    }

    /// Emits the first `max_line` bytes of `line`, which is longer, as a cut line.
    fn emit_cut(&mut self, line: &[u8], offset: usize, emit: &mut impl FnMut(FramedLine<'_>)) {
        let head = &line[..self.max_line];
        self.truncated_lines += 1;
        emit(FramedLine {
            bytes: &head[..utf8_cut(head)],
            truncated: true,
            chunk_offset: Some(offset),
        });
    }

    /// Makes `pending` hold exactly the first `max_line` bytes of `pending ++ tail`, which is
    /// known to be longer.
    fn fill_to_max(&mut self, tail: &[u8]) {
        match self.max_line.checked_sub(self.pending.len()) {
            Some(missing) => {
                self.reserve(missing);
                self.pending.extend_from_slice(&tail[..missing]);
            }
            // The pending line is `max_line` bytes and a `\r` that turned out to be content.
            None => self.pending.truncate(self.max_line),
        }
    }

    /// Makes room for `additional` more pending bytes, growing geometrically as `Vec` does but
    /// never beyond `max_line + 1`, so a large `max_line` costs memory only when lines use it.
    fn reserve(&mut self, additional: usize) {
        let needed = self.pending.len() + additional;
        let capacity = self.pending.capacity();
        if needed > capacity {
            let target = capacity
                .saturating_mul(2)
                .max(64)
                .min(self.max_line.saturating_add(1))
                .max(needed);
            self.pending.reserve_exact(target - self.pending.len());
        }
    }
}

/// A line that lies wholly in the chunk given to [`LineFramer::lines_in_chunk`]: its bytes are
/// `chunk[start..end]`, without the `\n` or `\r\n`, cut to at most `max_line` if `truncated`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ChunkLine {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) truncated: bool,
}

/// The line of `chunk` from `start` to the `\n` at `newline`, cut at `max_line`.
#[inline(always)]
fn line_to(chunk: &[u8], start: usize, newline: usize, max_line: usize) -> ChunkLine {
    let end = match newline > start && chunk.get(newline - 1) == Some(&b'\r') {
        true => newline - 1,
        false => newline,
    };
    if end - start > max_line {
        return ChunkLine {
            start,
            end: start + cut_len(&chunk[start..], max_line),
            truncated: true,
        };
    }
    ChunkLine {
        start,
        end,
        truncated: false,
    }
}

/// How much of `line`, longer than `max_line`, is kept when it is cut.
#[cold]
fn cut_len(line: &[u8], max_line: usize) -> usize {
    utf8_cut(&line[..max_line])
}

/// Replaces `masks` with one word per sixty-four bytes of `bytes` (the last word for what is
/// left, fewer bytes), bit `i` of word `w` set when `bytes[64 * w + i]` is `\n`. With two AVX2
/// registers per word where the CPU has them (told once, at run time), else four [`Block`]s.
fn newline_masks(bytes: &[u8], masks: &mut Vec<u64>) {
    masks.clear();
    masks.reserve(bytes.len().div_ceil(64));
    let mut words = bytes.chunks_exact(64);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        unsafe { avx2::push_newline_masks(&mut words, masks) };
    }
    masks.extend(words.by_ref().map(newline_word));
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0; 64];
        word[..rest.len()].copy_from_slice(rest);
        masks.push(newline_word(&word));
    }
}

/// The newline mask of sixty-four bytes, from four [`Block`]s, which every target has.
#[inline]
fn newline_word(word: &[u8]) -> u64 {
    (0..4).fold(0_u64, |mask, index| {
        mask | u64::from(newline_mask(&word[index * BLOCK_LEN..])) << (index * BLOCK_LEN)
    })
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::slice::ChunksExact;

    use super::Newline;
    use crate::byte_class::avx2::class_bits;

    /// Pushes the newline mask of each of `words`' sixty-four-byte words, two registers each.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn push_newline_masks(words: &mut ChunksExact<'_, u8>, masks: &mut Vec<u64>) {
        masks.extend(words.map(|word| {
            let (low, high) = word.split_at(32);
            u64::from(class_bits::<Newline>(low)) | u64::from(class_bits::<Newline>(high)) << 32
        }));
    }
}

/// Bit `i` is set when `block[i]` is `\n`; `block` has at least 16 bytes.
#[inline]
fn newline_mask(block: &[u8]) -> u32 {
    let block = block[..BLOCK_LEN]
        .try_into()
        .expect("a block of sixteen bytes");
    Newline::test(Block::load(block)).bits()
}

/// The one byte that ends a line, as a class for the scans of `byte_class`.
struct Newline;
impl ByteClass for Newline {
    const BELOW: u8 = 0;
    const BUT: &'static [u8] = b"";
    const ALSO: &'static [u8] = b"\n";
}

/// The length of `bytes` without a trailing incomplete UTF-8 sequence (a lead byte followed by
/// fewer continuation bytes than it announces), which is what cutting at a byte count leaves
/// when it splits a character. Other invalid bytes stay; the caller replaces them later.
fn utf8_cut(bytes: &[u8]) -> usize {
    let len = bytes.len();
    // An incomplete sequence is at most three bytes long, and starts at the last byte that is
    // not a continuation byte (`10xx_xxxx`).
    let Some(start) = (len.saturating_sub(3)..len)
        .rev()
        .find(|&index| bytes[index] & 0xC0 != 0x80)
    else {
        return len;
    };
    match std::str::from_utf8(&bytes[start..]) {
        // `error_len() == None` is std's "unexpected end of input": a valid but unfinished
        // sequence, as opposed to bytes that could never form a character.
        Err(error) if error.error_len().is_none() => start + error.valid_up_to(),
        _ => len,
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    /// An owned framed line, for comparing.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Line {
        bytes: Vec<u8>,
        truncated: bool,
    }

    fn whole(bytes: &[u8]) -> Line {
        Line {
            bytes: bytes.to_vec(),
            truncated: false,
        }
    }

    fn cut(bytes: &[u8]) -> Line {
        Line {
            bytes: bytes.to_vec(),
            truncated: true,
        }
    }

    fn framer(max_line: usize) -> LineFramer {
        LineFramer::new(NonZeroUsize::new(max_line).unwrap_or(NonZeroUsize::MIN))
    }

    /// Frames `chunks` then finishes, collecting every line.
    fn frame<'a>(max_line: usize, chunks: impl IntoIterator<Item = &'a [u8]>) -> Vec<Line> {
        let mut framer = framer(max_line);
        let mut lines = Vec::new();
        for chunk in chunks {
            framer.push(chunk, |line| {
                // A line said to lie in the chunk is exactly there.
                if let Some(offset) = line.chunk_offset {
                    assert_eq!(&chunk[offset..offset + line.bytes.len()], line.bytes);
                }
                lines.push(Line {
                    bytes: line.bytes.to_vec(),
                    truncated: line.truncated,
                });
            });
            assert!(framer.pending_len() <= max_line + 1);
        }
        framer.finish(|line| {
            assert_eq!(line.chunk_offset, None, "finish has no chunk");
            lines.push(Line {
                bytes: line.bytes.to_vec(),
                truncated: line.truncated,
            });
        });
        assert_eq!(framer.pending_len(), 0);
        lines
    }

    /// Asserts that `input` gives `expected` in one chunk, split in two at every offset, split in
    /// three at every pair of offsets, and in one-byte chunks.
    fn assert_any_split(max_line: usize, input: &[u8], expected: &[Line]) {
        assert_eq!(frame(max_line, [input]), expected, "one chunk");
        assert_eq!(
            frame(max_line, input.chunks(1)),
            expected,
            "one-byte chunks"
        );
        for first in 0..=input.len() {
            let (head, tail) = input.split_at(first);
            assert_eq!(frame(max_line, [head, tail]), expected, "split at {first}");
            for second in first..=input.len() {
                let (middle, last) = tail.split_at(second - first);
                assert_eq!(
                    frame(max_line, [head, middle, last]),
                    expected,
                    "split at {first} and {second}"
                );
            }
        }
    }

    #[rstest]
    #[case::empty_stream(b"", vec![])]
    #[case::one_line(b"hello\n", vec![whole(b"hello")])]
    #[case::no_trailing_newline(b"hello\nworld", vec![whole(b"hello"), whole(b"world")])]
    #[case::empty_lines(b"\n\na\n\n", vec![whole(b""), whole(b""), whole(b"a"), whole(b"")])]
    #[case::crlf(b"one\r\ntwo\r\n", vec![whole(b"one"), whole(b"two")])]
    #[case::crlf_empty(b"\r\n\r\n", vec![whole(b""), whole(b"")])]
    #[case::lone_cr_kept(b"a\rb\n", vec![whole(b"a\rb")])]
    #[case::progress_bar(b"10%\r50%\r100%\r\n", vec![whole(b"10%\r50%\r100%")])]
    #[case::cr_at_end_of_stream(b"a\r", vec![whole(b"a\r")])]
    #[case::only_one_cr_dropped(b"a\r\r\n", vec![whole(b"a\r")])]
    #[case::cr_lf_cr(b"a\r\n\r", vec![whole(b"a"), whole(b"\r")])]
    #[case::invalid_utf8_passes(b"\xff\xfe ok \xc3\n\xe2\x82", vec![whole(b"\xff\xfe ok \xc3"), whole(b"\xe2\x82")])]
    #[case::utf8_passes("héllo wörld ☃\n".as_bytes(), vec![whole("héllo wörld ☃".as_bytes())])]
    fn frames_the_same_however_split(#[case] input: &[u8], #[case] expected: Vec<Line>) {
        assert_any_split(64, input, &expected);
    }

    #[rstest]
    #[case::exactly_max(b"abcd\n", vec![whole(b"abcd")])]
    #[case::exactly_max_crlf(b"abcd\r\nx\n", vec![whole(b"abcd"), whole(b"x")])]
    #[case::exactly_max_at_end(b"abcd", vec![whole(b"abcd")])]
    #[case::one_over(b"abcde\nnext\n", vec![cut(b"abcd"), whole(b"next")])]
    #[case::one_over_at_end(b"abcde", vec![cut(b"abcd")])]
    #[case::long_then_intact(b"abcdefghij\nok\n", vec![cut(b"abcd"), whole(b"ok")])]
    #[case::long_crlf(b"abcdefghij\r\nok\r\n", vec![cut(b"abcd"), whole(b"ok")])]
    #[case::cr_is_content_before_cr(b"abcd\r\r\n", vec![cut(b"abcd")])]
    #[case::lone_cr_over(b"abcd\rx\n", vec![cut(b"abcd")])]
    #[case::cr_over_at_end(b"abcd\r", vec![cut(b"abcd")])]
    #[case::long_last_line(b"ok\nabcdefghij", vec![whole(b"ok"), cut(b"abcd")])]
    #[case::several_long(b"aaaaaa\nbbbbbb\nc\n", vec![cut(b"aaaa"), cut(b"bbbb"), whole(b"c")])]
    #[case::two_byte_char_straddles("abcé\n".as_bytes(), vec![cut(b"abc")])]
    #[case::three_byte_char_straddles("ab☃\nx\n".as_bytes(), vec![cut(b"ab"), whole(b"x")])]
    #[case::four_byte_char_straddles("a😀z\n".as_bytes(), vec![cut(b"a")])]
    #[case::four_byte_char_fits("😀z\n".as_bytes(), vec![cut("😀".as_bytes())])]
    #[case::char_ends_at_cut("abé€\n".as_bytes(), vec![cut("abé".as_bytes())])]
    #[case::invalid_bytes_stay(b"ab\xff\xfez\n", vec![cut(b"ab\xff\xfe")])]
    #[case::stray_continuation_stays(b"a\x80\x80\x80z\n", vec![cut(b"a\x80\x80\x80")])]
    #[case::invalid_lead_pair_stays(b"ab\xe0\x80z\n", vec![cut(b"ab\xe0\x80")])]
    fn cuts_long_lines_however_split(#[case] input: &[u8], #[case] expected: Vec<Line>) {
        assert_any_split(4, input, &expected);
    }

    #[test]
    fn finds_every_newline_at_any_position() {
        for len in 0..150 {
            for newline in 0..=len {
                let mut bytes: Vec<u8> = (0..len)
                    .map(|i| [b'a', 0x8a, 0x0b, 0xff, 0x09][i % 5])
                    .collect();
                if newline < len {
                    bytes[newline] = b'\n';
                    if newline + 3 < len {
                        bytes[newline + 3] = b'\n';
                    }
                }
                let expected: Vec<usize> = (0..len).filter(|&i| bytes[i] == b'\n').collect();
                let mut framer = framer(usize::MAX);
                framer.find_newlines(&bytes, 0);
                let mut found = Vec::new();
                framer.lines_in_chunk(&bytes, 0, |line| found.push(line.end));
                assert_eq!(found, expected, "{bytes:?}");
                // The block scan, which the search above skips on a CPU with AVX2.
                let words: Vec<u64> = bytes
                    .chunks(64)
                    .map(|word| {
                        let mut padded = [0; 64];
                        padded[..word.len()].copy_from_slice(word);
                        newline_word(&padded)
                    })
                    .collect();
                let mut masks = Vec::new();
                newline_masks(&bytes, &mut masks);
                assert_eq!(masks, words, "{bytes:?}");
            }
        }
    }

    #[test]
    fn cut_at_max_line_one_can_be_empty() {
        assert_any_split(1, "é\nab\n".as_bytes(), &[cut(b""), cut(b"a")]);
    }

    #[test]
    fn counts_cut_lines_across_finish() {
        let mut framer = framer(3);
        let mut lines = 0;
        framer.push(b"abcd\nab\nabcdef", |_| lines += 1);
        framer.finish(|_| lines += 1);
        assert_eq!((lines, framer.truncated_lines()), (3, 2));
        framer.push(b"xyzzy\n", |_| lines += 1);
        assert_eq!((lines, framer.truncated_lines()), (4, 3));
    }

    #[test]
    fn finish_twice_gives_nothing_the_second_time() {
        let mut framer = framer(8);
        let mut lines = Vec::new();
        framer.push(b"a\nb", |line| lines.push(line.bytes.to_vec()));
        framer.finish(|line| lines.push(line.bytes.to_vec()));
        framer.finish(|line| lines.push(line.bytes.to_vec()));
        assert_eq!(lines, [b"a".to_vec(), b"b".to_vec()]);
    }

    #[test]
    fn is_reusable_after_finish() {
        let mut framer = framer(4);
        let mut lines = Vec::new();
        // Leaves a discarding state and then a pending `\r` behind; neither may leak.
        framer.push(b"abcdefgh", |line| lines.push(line.bytes.to_vec()));
        framer.finish(|line| lines.push(line.bytes.to_vec()));
        framer.push(b"next\nabcd\r", |line| lines.push(line.bytes.to_vec()));
        framer.finish(|line| lines.push(line.bytes.to_vec()));
        framer.push(b"\nlast\n", |line| lines.push(line.bytes.to_vec()));
        framer.finish(|line| lines.push(line.bytes.to_vec()));
        let expected: [&[u8]; 5] = [b"abcd", b"next", b"abcd", b"", b"last"];
        assert_eq!(lines, expected);
    }

    #[test]
    fn lines_inside_a_chunk_are_not_copied() {
        let chunk = b"one\r\ntwo\nthree";
        let mut framer = framer(16);
        let mut starts = Vec::new();
        framer.push(chunk, |line| starts.push(line.bytes.as_ptr()));
        assert_eq!(starts, [chunk.as_ptr(), chunk[5..].as_ptr()]);
        assert_eq!(framer.pending_len(), b"three".len());
    }

    #[test]
    fn memory_does_not_grow_with_line_length() {
        const MAX_LINE: usize = 1000;
        let mut framer = framer(MAX_LINE);
        let chunk = vec![b'x'; 64 * 1024];
        let mut lines = Vec::new();
        framer.push(b"start ", |line| lines.push(cut(line.bytes)));
        for _ in 0..(10 * 1024 * 1024 / chunk.len()) {
            framer.push(&chunk, |line| {
                lines.push(Line {
                    bytes: line.bytes.to_vec(),
                    truncated: line.truncated,
                });
            });
            assert!(framer.pending_len() <= MAX_LINE + 1);
            assert!(framer.pending.capacity() <= MAX_LINE + 1);
        }
        framer.push(b"tail\r\nafter\n", |line| lines.push(whole(line.bytes)));
        framer.finish(|line| lines.push(whole(line.bytes)));
        let mut first = b"start ".to_vec();
        first.resize(MAX_LINE, b'x');
        assert_eq!(lines, [cut(&first), whole(b"after")]);
        assert_eq!(framer.truncated_lines(), 1);
        assert!(framer.pending.capacity() <= MAX_LINE + 1);
    }

    #[test]
    fn pending_capacity_is_bounded_by_max_line() {
        let mut framer = framer(5);
        for byte in b"abcd\r" {
            framer.push(&[*byte], |_| {});
        }
        assert_eq!(framer.pending_len(), 5);
        assert!(framer.pending.capacity() <= 6);
        let mut lines = Vec::new();
        framer.push(b"\n", |line| lines.push(whole(line.bytes)));
        assert_eq!(lines, [whole(b"abcd")]);
    }

    #[test]
    fn a_huge_max_line_does_not_preallocate() {
        let mut framer = framer(usize::MAX);
        framer.push(b"abc", |_| {});
        assert!(framer.pending.capacity() < 1024);
        let mut lines = Vec::new();
        framer.finish(|line| lines.push(whole(line.bytes)));
        assert_eq!(lines, [whole(b"abc")]);
    }
}
