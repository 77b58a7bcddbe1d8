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
}

impl LineFramer {
    /// A framer that cuts lines at `max_line` bytes.
    pub fn new(max_line: NonZeroUsize) -> Self {
        Self {
            max_line: max_line.get(),
            pending: Vec::new(),
            discarding: false,
            truncated_lines: 0,
        }
    }

    /// Frames `chunk`, calling `emit` for every line it completes.
    pub fn push(&mut self, chunk: &[u8], mut emit: impl FnMut(FramedLine<'_>)) {
        let mut start = 0;
        if self.discarding {
            match memchr::memchr(b'\n', chunk) {
                Some(end) => {
                    self.discarding = false;
                    start = end + 1;
                }
                None => return,
            }
        }
        if !self.pending.is_empty() {
            match memchr::memchr(b'\n', &chunk[start..]) {
                Some(end) => {
                    self.complete_pending(&chunk[start..start + end], &mut emit);
                    start += end + 1;
                }
                None => {
                    self.extend_pending(&chunk[start..], start, &mut emit);
                    return;
                }
            }
        }
        // The hot path: nothing carried over, so every complete line is a slice of `chunk`.
        let searched_from = start;
        for_each_newline(&chunk[searched_from..], |end| {
            let end = searched_from + end;
            let line = strip_cr(&chunk[start..end]);
            if line.len() > self.max_line {
                self.emit_cut(line, start, &mut emit);
            } else {
                emit(FramedLine {
                    bytes: line,
                    truncated: false,
                    chunk_offset: Some(start),
                });
            }
            start = end + 1;
        });
        if start < chunk.len() {
            self.extend_pending(&chunk[start..], start, &mut emit);
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

/// Calls `found` with the position of every `\n` in `bytes`, in order.
///
/// Sixty-four bytes at a time, as a bit mask of the newlines among them, then one step per
/// newline found: a log line costs a few instructions for its search, where calling `memchr`
/// once per line paid its set-up (made for long searches) every time. The mask takes two
/// AVX2 registers where the CPU has them (told once, at run time), else four [`Block`]s.
#[inline]
fn for_each_newline(bytes: &[u8], found: impl FnMut(usize)) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        unsafe { avx2::for_each_newline(bytes, found) };
        return;
    }
    for_each_newline_in_blocks(bytes, found);
}

/// [`for_each_newline`] with [`Block`]s, which every target has.
#[inline]
fn for_each_newline_in_blocks(bytes: &[u8], mut found: impl FnMut(usize)) {
    let mut base = 0;
    let mut quads = bytes.chunks_exact(4 * BLOCK_LEN);
    for quad in &mut quads {
        let mask = (0..4).fold(0_u64, |mask, index| {
            mask | u64::from(newline_mask(&quad[index * BLOCK_LEN..])) << (index * BLOCK_LEN)
        });
        report_each(mask, base, &mut found);
        base += 4 * BLOCK_LEN;
    }
    let mut blocks = quads.remainder().chunks_exact(BLOCK_LEN);
    for block in &mut blocks {
        report_each(u64::from(newline_mask(block)), base, &mut found);
        base += BLOCK_LEN;
    }
    for (index, &byte) in blocks.remainder().iter().enumerate() {
        if byte == b'\n' {
            found(base + index);
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Newline, for_each_newline_in_blocks, report_each};
    use crate::byte_class::avx2::class_bits;

    /// [`super::for_each_newline`], sixty-four bytes in two registers per step; the last
    /// bytes, fewer than 64, in blocks.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn for_each_newline(bytes: &[u8], mut found: impl FnMut(usize)) {
        let mut base = 0;
        let mut pairs = bytes.chunks_exact(64);
        for pair in &mut pairs {
            let (low, high) = pair.split_at(32);
            let mask = u64::from(class_bits::<Newline>(low))
                | u64::from(class_bits::<Newline>(high)) << 32;
            report_each(mask, base, &mut found);
            base += 64;
        }
        for_each_newline_in_blocks(pairs.remainder(), |index| found(base + index));
    }
}

/// Calls `found` with `base` plus the index of each bit set in `mask`, lowest first.
#[inline]
fn report_each(mut mask: u64, base: usize, found: &mut impl FnMut(usize)) {
    while mask != 0 {
        found(base + mask.trailing_zeros() as usize);
        mask &= mask - 1;
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

/// `line` without one trailing `\r`.
#[inline]
fn strip_cr(line: &[u8]) -> &[u8] {
    match line {
        [head @ .., b'\r'] => head,
        _ => line,
    }
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
                let mut found = Vec::new();
                for_each_newline(&bytes, |at| found.push(at));
                assert_eq!(found, expected, "{bytes:?}");
                // The block scan, which the test above skips on a CPU with AVX2.
                found.clear();
                for_each_newline_in_blocks(&bytes, |at| found.push(at));
                assert_eq!(found, expected, "{bytes:?}");
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
