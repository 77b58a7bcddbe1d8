//! Scanning text eight bytes at a time (SWAR: SIMD within a register), for the formatters'
//! fast paths. Almost every line needs no escaping at all, and finding that out one byte at a
//! time costs more than writing the line; a word at a time, a clean line is a few loads and
//! one copy. No `unsafe`, no dependency: plain `u64` arithmetic.
//!
//! A test gives each byte of a word its high bit as a flag (`0x80` in that byte's position,
//! little-endian: the first byte is the lowest). The tests here are exact for every byte, so
//! flags can be combined with `|`, `&` and `!`.

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// Flags the bytes of `word` below `limit`, which must be at most `0x80`.
#[inline]
pub const fn bytes_below(word: u64, limit: u8) -> u64 {
    // The low seven bits plus `0x80 - limit` reach the high bit exactly when they are at least
    // `limit`, and never carry into the next byte; a byte with its own high bit set is not
    // below `limit` either.
    let at_least = (word & LOW_BITS) + ONES * (0x80 - limit as u64);
    !(at_least | word) & HIGH_BITS
}

/// Flags the bytes of `word` equal to `byte`.
#[inline]
pub const fn bytes_equal(word: u64, byte: u8) -> u64 {
    let difference = word ^ (ONES * byte as u64);
    // Non-zero low seven bits plus 0x7f reach the high bit, without carrying out of the byte.
    let nonzero = (difference & LOW_BITS) + LOW_BITS;
    !(nonzero | difference) & HIGH_BITS
}

/// The index of the first byte at or after `from` that `flags` flags, reading a word at a
/// time, two per step; `None` when there is none (or `from` is past the end).
#[inline]
pub fn find_flagged(bytes: &[u8], from: usize, flags: impl Fn(u64) -> u64) -> Option<usize> {
    let whole = bytes.get(from..)?;
    let mut offset = from;
    // Two words per step: one branch and one count for sixteen bytes.
    let mut pairs = whole.chunks_exact(16);
    for pair in &mut pairs {
        let (first, second) = pair.split_at(8);
        let (first, second) = (flags(word(first)), flags(word(second)));
        if first | second != 0 {
            return Some(match first {
                0 => offset + 8 + first_flagged(second),
                _ => offset + first_flagged(first),
            });
        }
        offset += 16;
    }
    let mut rest = pairs.remainder();
    if rest.len() >= 8 {
        let (next, after) = rest.split_at(8);
        let found = flags(word(next));
        if found != 0 {
            return Some(offset + first_flagged(found));
        }
        offset += 8;
        rest = after;
    }
    if rest.is_empty() {
        return None;
    }
    // The last one to seven bytes: the last eight of the text again when there are eight,
    // without the flags of those already read, else a word padded with zeros that do not count.
    let (last, counted) = if whole.len() >= 8 {
        offset -= 8 - rest.len();
        (
            word(&whole[whole.len() - 8..]),
            !0_u64 << (8 * (8 - rest.len())),
        )
    } else {
        let mut padded = 0_u64;
        for (index, &byte) in rest.iter().enumerate() {
            padded |= u64::from(byte) << (8 * index);
        }
        (padded, (1_u64 << (8 * rest.len())) - 1)
    };
    let found = flags(last) & counted;
    (found != 0).then(|| offset + first_flagged(found))
}

/// The eight bytes of `chunk` (which holds eight) as a word, the first byte lowest.
#[inline]
fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0; 8];
    bytes.copy_from_slice(chunk);
    u64::from_le_bytes(bytes)
}

/// The position in its word of the first flagged byte; `flags` is not zero.
#[inline]
fn first_flagged(flags: u64) -> usize {
    (flags.trailing_zeros() / 8) as usize
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
        }
    }

    /// Whether `slice` holds a flagged byte. A slice of the text after the last one asked
    /// about costs no new search until it passes the next flagged byte; a slice that is not
    /// part of the text is searched on its own.
    pub fn holds_flagged(&mut self, slice: &[u8]) -> bool {
        // Where `slice` starts in the text, told by addresses only (nothing is read through
        // them); anything that does not fit inside the text is not a slice of it.
        let start = (slice.as_ptr() as usize).wrapping_sub(self.text.as_ptr() as usize);
        let Some(end) = start
            .checked_add(slice.len())
            .filter(|end| *end <= self.text.len())
        else {
            return (self.find)(slice, 0).is_some();
        };
        if start < self.from || self.next.is_some_and(|next| next < start) {
            self.from = start;
            self.next = (self.find)(self.text, start);
        }
        self.next.is_some_and(|next| next < end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word_of(byte: u8, at: usize, fill: u8) -> u64 {
        let mut bytes = [fill; 8];
        bytes[at] = byte;
        u64::from_le_bytes(bytes)
    }

    #[test]
    fn the_tests_are_exact_for_every_byte_in_every_position_and_neighbourhood() {
        for fill in [0x00, 0x1f, 0x20, 0x22, 0x7f, 0x80, 0xc2, 0xff] {
            for at in 0..8 {
                for byte in 0..=u8::MAX {
                    let word = word_of(byte, at, fill);
                    let flag = 0x80_u64 << (8 * at);
                    for limit in [0x00, 0x01, 0x20, 0x7f, 0x80] {
                        let below = bytes_below(word, limit);
                        assert_eq!(below & flag != 0, byte < limit, "{byte:#x} < {limit:#x}");
                        assert_eq!(below & !flag != 0, fill < limit, "fill {fill:#x}");
                    }
                    for wanted in [0x00, 0x09, 0x22, 0x5c, 0x7f, 0xc2, 0xff] {
                        let equal = bytes_equal(word, wanted);
                        assert_eq!(
                            equal & flag != 0,
                            byte == wanted,
                            "{byte:#x} == {wanted:#x}"
                        );
                        assert_eq!(equal & !flag != 0, fill == wanted, "fill {fill:#x}");
                    }
                }
            }
        }
    }

    #[test]
    fn next_flagged_tells_each_slice_as_a_search_of_its_own_would() {
        let quote = |bytes: &[u8], from| find_flagged(bytes, from, |word| bytes_equal(word, b'"'));
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
        let quote = |word| bytes_equal(word, b'"');
        for length in 0..40 {
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
        // Zero padding of the tail never counts, even for a test that flags zeros.
        let zero = |word| bytes_equal(word, 0);
        assert_eq!(find_flagged(b"abcdefghijk", 0, zero), None);
        assert_eq!(find_flagged(b"abcdefghij\0", 0, zero), Some(10));
    }
}
