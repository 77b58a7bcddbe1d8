//! Finding the first byte of a text that a test flags, sixteen bytes at a time
//! ([`Block`]), for the formatters' fast paths: almost every line needs no escaping at all, and
//! finding that out one byte at a time costs more than writing the line.

use std::ops::Range;

use crate::byte_block::{BLOCK_LEN, Block};

/// The index of the first byte at or after `from` that `test` flags; `None` when there is
/// none (or `from` is past the end). `test` gets sixteen bytes and returns the lanes it flags.
#[inline]
pub fn find_flagged(bytes: &[u8], from: usize, test: impl Fn(Block) -> Block) -> Option<usize> {
    let whole = bytes.get(from..)?;
    let flags = |chunk: &[u8]| test(Block::load(block_of(chunk))).bits();
    let mut offset = from;
    // Four blocks per step, their lanes merged before they are looked at: one branch for
    // sixty-four bytes, and the exact place worked out only once something was found.
    let mut quads = whole.chunks_exact(4 * BLOCK_LEN);
    for quad in &mut quads {
        let lanes: [Block; 4] =
            std::array::from_fn(|index| test(Block::load(block_of(&quad[index * BLOCK_LEN..]))));
        if (lanes[0] | lanes[1] | lanes[2] | lanes[3]).bits() != 0 {
            let found = lanes
                .iter()
                .enumerate()
                .fold(0_u64, |found, (index, lanes)| {
                    found | u64::from(lanes.bits()) << (index * BLOCK_LEN)
                });
            return Some(offset + found.trailing_zeros() as usize);
        }
        offset += 4 * BLOCK_LEN;
    }
    let mut rest = quads.remainder();
    while rest.len() >= BLOCK_LEN {
        let (next, after) = rest.split_at(BLOCK_LEN);
        let found = flags(next);
        if found != 0 {
            return Some(offset + found.trailing_zeros() as usize);
        }
        offset += BLOCK_LEN;
        rest = after;
    }
    if rest.is_empty() {
        return None;
    }
    // The last one to fifteen bytes: the last sixteen of the text again when there are
    // sixteen, without the flags of those already read, else a block padded with bytes that
    // do not count.
    let found = if whole.len() >= BLOCK_LEN {
        let already_read = BLOCK_LEN - rest.len();
        flags(&whole[whole.len() - BLOCK_LEN..]) >> already_read
    } else {
        let mut padded = [0; BLOCK_LEN];
        padded[..rest.len()].copy_from_slice(rest);
        flags(&padded) & ((1 << rest.len()) - 1)
    };
    (found != 0).then(|| offset + found.trailing_zeros() as usize)
}

/// The first sixteen bytes of `chunk`, which holds at least sixteen.
#[inline]
fn block_of(chunk: &[u8]) -> &[u8; BLOCK_LEN] {
    chunk[..BLOCK_LEN]
        .try_into()
        .expect("a chunk holds a whole block")
}

/// Where the next flagged byte is in a text whose slices are asked about in order: one scan
/// of the whole text, a few long runs, instead of one short scan per slice. `find` is the
/// search (`find_flagged` with a test, or a search that also checks a found byte's context).
#[derive(Debug)]
pub struct NextFlagged<'t, F> {
    text: &'t [u8],
    find: F,
    /// Where the last search started, and what it found.
    from: usize,
    next: Option<usize>,
    /// How many searches it made, for the tests that check it scans a text once.
    searches: usize,
}

impl<'t, F: Fn(&[u8], usize) -> Option<usize>> NextFlagged<'t, F> {
    /// A cursor over `text`.
    pub fn new(text: &'t [u8], find: F) -> Self {
        let next = find(text, 0);
        Self {
            text,
            find,
            from: 0,
            next,
            searches: 1,
        }
    }

    /// How many searches it has made so far, the first in `new` included.
    pub fn searches(&self) -> usize {
        self.searches
    }

    /// Whether `slice` holds a flagged byte. A slice of the text after the last one asked
    /// about costs no new search until it passes the next flagged byte; a slice that is not
    /// part of the text is searched on its own.
    #[inline(always)]
    pub fn holds_flagged(&mut self, slice: &[u8]) -> bool {
        // Where `slice` starts in the text, told by addresses only (nothing is read through
        // them); anything that does not fit inside the text is not a slice of it.
        let start = (slice.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        match start
            .checked_add(slice.len())
            .filter(|end| *end <= self.text.len())
        {
            Some(end) => self.holds_flagged_in(start..end),
            None => self.search_apart(slice),
        }
    }

    /// A slice that is not part of the text, searched on its own.
    #[inline(never)]
    fn search_apart(&mut self, slice: &[u8]) -> bool {
        self.searches += 1;
        (self.find)(slice, 0).is_some()
    }

    /// Whether the text's bytes at `range`, which lies in it, hold a flagged byte: what
    /// [`holds_flagged`](Self::holds_flagged) tells of that slice, for a caller that knows
    /// the range already (a few instructions per clean slice).
    #[inline(always)]
    pub fn holds_flagged_in(&mut self, range: Range<usize>) -> bool {
        if range.start < self.from || self.next.is_some_and(|next| next < range.start) {
            self.search_from(range.start);
        }
        self.next.is_some_and(|next| next < range.end)
    }

    /// The search behind [`holds_flagged_in`](Self::holds_flagged_in), once every many lines:
    /// kept out of line so that the check of every line inlines into its loop.
    #[inline(never)]
    fn search_from(&mut self, start: usize) {
        self.searches += 1;
        self.from = start;
        self.next = (self.find)(self.text, start);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_flagged_tells_each_slice_as_a_search_of_its_own_would() {
        let quote =
            |bytes: &[u8], from| find_flagged(bytes, from, |block: Block| block.equal(b'"'));
        let text = "clean\"one\"clean and clean again, then \"two\" and the end\"";
        let bytes = text.as_bytes();
        let boundaries: Vec<usize> = (0..=bytes.len()).step_by(3).chain([bytes.len()]).collect();
        let slices: Vec<&[u8]> = boundaries
            .windows(2)
            .map(|pair| &bytes[pair[0]..pair[1]])
            .collect();
        let own = |slice: &[u8]| quote(slice, 0).is_some();
        // In order, out of order, repeated, empty, and a slice of another text.
        let mut cursor = NextFlagged::new(bytes, quote);
        for slice in slices.iter().chain(slices.iter().rev()).chain(&slices) {
            assert_eq!(cursor.holds_flagged(slice), own(slice), "{slice:?}");
        }
        for slice in [
            &bytes[..0],
            &bytes[bytes.len()..],
            &bytes[5..6],
            &b"x\"y"[..],
            b"xy",
        ] {
            assert_eq!(cursor.holds_flagged(slice), own(slice), "{slice:?}");
        }
    }

    #[test]
    fn finds_the_first_flagged_byte_from_any_start_and_length() {
        let quote = |block: Block| block.equal(b'"');
        for length in 0..150 {
            for quote_at in 0..=length {
                let mut text = vec![b'a'; length];
                if quote_at < length {
                    text[quote_at] = b'"';
                }
                for from in 0..=length + 1 {
                    let expected = (quote_at < length && from <= quote_at).then_some(quote_at);
                    assert_eq!(
                        find_flagged(&text, from, quote),
                        expected,
                        "{length} {quote_at} {from}"
                    );
                }
            }
        }
        // The padding of a short tail never counts, even for a test that flags zeros.
        let zero = |block: Block| block.equal(0);
        assert_eq!(find_flagged(b"abcdefghijk", 0, zero), None);
        assert_eq!(find_flagged(b"abcdefghij\0", 0, zero), Some(10));
    }
}
