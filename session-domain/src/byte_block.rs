//! Sixteen bytes tested at once, for the searches that every line goes through (its newline,
//! the bytes a formatter must escape). On x86_64 a [`Block`] is one SSE2 register, which every
//! x86_64 CPU has; elsewhere it is two `u64` words tested a byte lane at a time with plain
//! arithmetic (SWAR). Both give the same answers, which the tests check byte for byte.
//!
//! A test gives a [`Block`] whose lanes are all ones where a byte matches and all zeros
//! elsewhere, so tests combine with `|`, `&` and [`Block::and_not`]; [`Block::bits`] then
//! says which lanes matched, bit `i` for byte `i`.

use std::ops::{BitAnd, BitOr};

/// How many bytes a [`Block`] holds.
pub const BLOCK_LEN: usize = 16;

/// Sixteen bytes, or the lanes of a test on them.
#[derive(Clone, Copy, Debug)]
pub struct Block(imp::Lanes);

impl Block {
    /// The sixteen bytes of `bytes`.
    #[inline]
    pub fn load(bytes: &[u8; BLOCK_LEN]) -> Self {
        Self(imp::load(bytes))
    }

    /// The lanes whose byte is below `limit`, which is at most `0x80` (all the searches need).
    #[inline]
    pub fn below(self, limit: u8) -> Self {
        debug_assert!(limit <= 0x80, "a limit above 0x80 is not portable");
        Self(imp::below(self.0, limit))
    }

    /// The lanes whose byte is `byte`.
    #[inline]
    pub fn equal(self, byte: u8) -> Self {
        Self(imp::equal(self.0, byte))
    }

    /// The lanes of `self` that are not lanes of `other`.
    #[inline]
    pub fn and_not(self, other: Self) -> Self {
        Self(imp::and_not(self.0, other.0))
    }

    /// Bit `i` set when lane `i` is set.
    #[inline]
    pub fn bits(self) -> u32 {
        imp::bits(self.0)
    }
}

impl BitOr for Block {
    type Output = Self;
    #[inline]
    fn bitor(self, other: Self) -> Self {
        Self(imp::or(self.0, other.0))
    }
}

impl BitAnd for Block {
    type Output = Self;
    #[inline]
    fn bitand(self, other: Self) -> Self {
        Self(imp::and(self.0, other.0))
    }
}

#[cfg(target_arch = "x86_64")]
use sse2 as imp;

#[cfg(not(target_arch = "x86_64"))]
use swar as imp;

#[cfg(target_arch = "x86_64")]
// SAFETY (every block of this module): the intrinsics are SSE2 instructions, which every x86_64
// CPU has; they are `unsafe` to call only for want of a `#[target_feature]` on the caller.
// The one that touches memory, the load, reads the sixteen bytes that its `&[u8; 16]` is (an
// unaligned load is allowed).
mod sse2 {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_min_epu8,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_setzero_si128,
    };

    use super::BLOCK_LEN;

    pub(super) type Lanes = __m128i;

    #[inline]
    pub(super) fn load(bytes: &[u8; BLOCK_LEN]) -> Lanes {
        unsafe { _mm_loadu_si128(bytes.as_ptr().cast()) }
    }

    #[inline]
    pub(super) fn below(lanes: Lanes, limit: u8) -> Lanes {
        match limit.checked_sub(1) {
            // A byte is at most `limit - 1` when the smaller of the two is the byte itself.
            Some(highest) => unsafe { _mm_cmpeq_epi8(_mm_min_epu8(lanes, splat(highest)), lanes) },
            None => unsafe { _mm_setzero_si128() },
        }
    }

    #[inline]
    pub(super) fn equal(lanes: Lanes, byte: u8) -> Lanes {
        unsafe { _mm_cmpeq_epi8(lanes, splat(byte)) }
    }

    #[inline]
    pub(super) fn and_not(lanes: Lanes, other: Lanes) -> Lanes {
        unsafe { _mm_andnot_si128(other, lanes) }
    }

    #[inline]
    pub(super) fn or(lanes: Lanes, other: Lanes) -> Lanes {
        unsafe { _mm_or_si128(lanes, other) }
    }

    #[inline]
    pub(super) fn and(lanes: Lanes, other: Lanes) -> Lanes {
        unsafe { _mm_and_si128(lanes, other) }
    }

    #[inline]
    pub(super) fn bits(lanes: Lanes) -> u32 {
        unsafe { _mm_movemask_epi8(lanes) as u32 }
    }

    #[inline]
    fn splat(byte: u8) -> Lanes {
        unsafe { _mm_set1_epi8(byte as i8) }
    }
}

/// The portable form, also built (and checked against SSE2) on x86_64 by the tests.
#[cfg_attr(
    all(target_arch = "x86_64", not(test)),
    expect(dead_code, reason = "only the tests use the portable form on x86_64")
)]
mod swar {
    use super::BLOCK_LEN;

    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    const LOW_BITS: u64 = 0x7f7f_7f7f_7f7f_7f7f;

    /// Two words, the first byte lowest in the first; a set lane is `0xff`.
    pub(super) type Lanes = [u64; 2];

    pub(super) fn load(bytes: &[u8; BLOCK_LEN]) -> Lanes {
        let (first, second) = bytes.split_at(8);
        [word(first), word(second)]
    }

    fn word(chunk: &[u8]) -> u64 {
        let mut bytes = [0; 8];
        bytes.copy_from_slice(chunk);
        u64::from_le_bytes(bytes)
    }

    pub(super) fn below(lanes: Lanes, limit: u8) -> Lanes {
        lanes.map(|word| widen(word_below(word, limit)))
    }

    pub(super) fn equal(lanes: Lanes, byte: u8) -> Lanes {
        lanes.map(|word| widen(word_equal(word, byte)))
    }

    pub(super) fn and_not(lanes: Lanes, other: Lanes) -> Lanes {
        [lanes[0] & !other[0], lanes[1] & !other[1]]
    }

    pub(super) fn or(lanes: Lanes, other: Lanes) -> Lanes {
        [lanes[0] | other[0], lanes[1] | other[1]]
    }

    pub(super) fn and(lanes: Lanes, other: Lanes) -> Lanes {
        [lanes[0] & other[0], lanes[1] & other[1]]
    }

    pub(super) fn bits(lanes: Lanes) -> u32 {
        let mut bits = 0;
        for (index, byte) in lanes.iter().flat_map(|word| word.to_le_bytes()).enumerate() {
            bits |= u32::from(byte >> 7) << index;
        }
        bits
    }

    /// A lane's high bit (its flag) spread to its whole byte.
    fn widen(flags: u64) -> u64 {
        (flags >> 7) * 0xff
    }

    /// Flags (high bit) the bytes of `word` below `limit`, which is at most `0x80`.
    fn word_below(word: u64, limit: u8) -> u64 {
        // The low seven bits plus `0x80 - limit` reach the high bit exactly when they are at
        // least `limit`, and never carry into the next byte; a byte with its own high bit set
        // is not below `limit` either.
        let at_least = (word & LOW_BITS) + ONES * (0x80 - u64::from(limit));
        !(at_least | word) & HIGH_BITS
    }

    /// Flags (high bit) the bytes of `word` equal to `byte`.
    fn word_equal(word: u64, byte: u8) -> u64 {
        let difference = word ^ (ONES * u64::from(byte));
        // Non-zero low seven bits plus 0x7f reach the high bit, without carrying out of the
        // byte.
        let nonzero = (difference & LOW_BITS) + LOW_BITS;
        !(nonzero | difference) & HIGH_BITS
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block_with(byte: u8, at: usize, fill: u8) -> [u8; BLOCK_LEN] {
        let mut bytes = [fill; BLOCK_LEN];
        bytes[at] = byte;
        bytes
    }

    #[test]
    fn every_test_is_exact_for_every_byte_in_every_lane_in_both_forms() {
        for fill in [0x00, 0x1f, 0x20, 0x22, 0x7f, 0x80, 0xc2, 0xff] {
            for at in 0..BLOCK_LEN {
                for byte in 0..=u8::MAX {
                    let bytes = block_with(byte, at, fill);
                    let block = Block::load(&bytes);
                    let portable = swar::load(&bytes);
                    let expect = |wanted: bool, fill_wanted: bool| {
                        let mut bits = if fill_wanted { 0xffff } else { 0 };
                        bits &= !(1 << at);
                        bits | u32::from(wanted) << at
                    };
                    for limit in [0x00, 0x01, 0x20, 0x7f, 0x80] {
                        let expected = expect(byte < limit, fill < limit);
                        assert_eq!(
                            block.below(limit).bits(),
                            expected,
                            "{byte:#x} < {limit:#x}"
                        );
                        assert_eq!(swar::bits(swar::below(portable, limit)), expected);
                    }
                    for wanted in [0x00, 0x09, 0x22, 0x5c, 0x7f, 0xc2, 0xff] {
                        let expected = expect(byte == wanted, fill == wanted);
                        assert_eq!(block.equal(wanted).bits(), expected, "{byte:#x}");
                        assert_eq!(swar::bits(swar::equal(portable, wanted)), expected);
                    }
                }
            }
        }
    }

    #[test]
    fn lanes_combine_as_sets() {
        let bytes = *b"a\"b\\c\td\x01e\"\"fgh\t\\";
        let block = Block::load(&bytes);
        let quote = block.equal(b'"').bits();
        let backslash = block.equal(b'\\').bits();
        let control = block.below(0x20).bits();
        let tab = block.equal(b'\t').bits();
        assert_eq!(
            (block.equal(b'"') | block.equal(b'\\')).bits(),
            quote | backslash
        );
        assert_eq!((block.below(0x20) & block.equal(b'\t')).bits(), tab);
        assert_eq!(
            block.below(0x20).and_not(block.equal(b'\t')).bits(),
            control & !tab
        );
        let portable = swar::load(&bytes);
        let portable_quote = swar::equal(portable, b'"');
        let portable_tab = swar::equal(portable, b'\t');
        let portable_control = swar::below(portable, 0x20);
        assert_eq!(
            swar::bits(swar::or(portable_quote, swar::equal(portable, b'\\'))),
            quote | backslash
        );
        assert_eq!(swar::bits(swar::and(portable_control, portable_tab)), tab);
        assert_eq!(
            swar::bits(swar::and_not(portable_control, portable_tab)),
            control & !tab
        );
    }
}
