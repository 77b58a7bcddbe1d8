//! Finding the next byte JSON must escape in a batch's text, but its newlines: the scan every
//! batch of lines goes through once. Thirty-two bytes at a time where the CPU has AVX2 (told
//! once, at run time), half the instructions of the sixteen-byte [`Block`] scan that every
//! x86_64 CPU can run and that other targets run in plain arithmetic; all give the same answer,
//! which the tests check on every CPU that has both.

use crate::byte_block::Block;
use crate::byte_scan::{but_newlines, find_flagged};

/// The bytes JSON strings must escape: the controls below 0x20, `"` and `\\`.
#[inline]
pub(crate) fn needs_escape(block: Block) -> Block {
    block.below(0x20) | block.equal(b'"') | block.equal(b'\\')
}

/// The first byte to escape at or after `from` in a batch's text, but its newlines; `None`
/// when there is none (or `from` is past the end).
pub(crate) fn find_escape_but_newlines(bytes: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { avx2::find_escape_but_newlines(bytes, from) };
    }
    find_with_blocks(bytes, from)
}

/// The scan of sixteen-byte blocks, which every target runs.
fn find_with_blocks(bytes: &[u8], from: usize) -> Option<usize> {
    find_flagged(bytes, from, but_newlines(needs_escape))
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_andnot_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8,
    };

    /// How many bytes one register holds.
    const LANES: usize = 32;

    /// [`super::find_escape_but_newlines`], two registers (64 bytes) per step; the last
    /// bytes, fewer than 64, by the block scan.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn find_escape_but_newlines(bytes: &[u8], from: usize) -> Option<usize> {
        let whole = bytes.get(from..)?;
        let mut pairs = whole.chunks_exact(2 * LANES);
        let mut offset = from;
        for pair in &mut pairs {
            let (low, high) = pair.split_at(LANES);
            let low = flags(low);
            let high = flags(high);
            let found = mask(_mm256_or_si256(low, high));
            if found != 0 {
                let found = u64::from(mask(low)) | u64::from(mask(high)) << LANES;
                return Some(offset + found.trailing_zeros() as usize);
            }
            offset += 2 * LANES;
        }
        super::find_with_blocks(bytes, offset)
    }

    /// The lanes of the first 32 bytes of `chunk` that are to escape and are not `\n`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn flags(chunk: &[u8]) -> __m256i {
        let chunk = &chunk[..LANES];
        // SAFETY: the load reads the 32 bytes of `chunk`, unaligned loads allowed.
        let bytes = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
        let below_space = _mm256_cmpeq_epi8(_mm256_min_epu8(bytes, splat(0x1f)), bytes);
        let quote = _mm256_cmpeq_epi8(bytes, splat(b'"'));
        let backslash = _mm256_cmpeq_epi8(bytes, splat(b'\\'));
        let newline = _mm256_cmpeq_epi8(bytes, splat(b'\n'));
        _mm256_andnot_si256(
            newline,
            _mm256_or_si256(below_space, _mm256_or_si256(quote, backslash)),
        )
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mask(lanes: __m256i) -> u32 {
        _mm256_movemask_epi8(lanes) as u32
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn splat(byte: u8) -> __m256i {
        _mm256_set1_epi8(byte as i8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every position and length, with each kind of byte to escape and the newline that is not
    /// one: the AVX2 scan says what the block scan says (on a CPU that has AVX2; the test says
    /// so when it has not).
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_scan_finds_what_the_block_scan_finds() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            eprintln!("this CPU has no AVX2: its scan is not tested here");
            return;
        }
        // SAFETY: the CPU has AVX2, checked just above.
        let avx2 = |text: &[u8], from| unsafe { avx2::find_escape_but_newlines(text, from) };
        for special in [b'"', b'\\', 0x00, 0x1f, b'\t', b'\r'] {
            for len in 0..200 {
                let mut text: Vec<u8> = (0..len).map(|i| b"ab\ncd \xc3\xa9~"[i % 9]).collect();
                for at in (0..len).step_by(7) {
                    let saved = text[at];
                    text[at] = special;
                    for from in [0, 1, at.saturating_sub(1), at, at + 1, len, len + 1] {
                        assert_eq!(
                            avx2(&text, from),
                            find_with_blocks(&text, from),
                            "{special} at {at} of {len} from {from}"
                        );
                    }
                    text[at] = saved;
                }
                assert_eq!(avx2(&text, 0), None, "clean, {len}");
                assert_eq!(find_escape_but_newlines(&text, 0), None, "clean, {len}");
            }
        }
    }

    #[test]
    fn the_block_scan_ignores_newlines_only() {
        assert_eq!(find_with_blocks(b"a\nb\nc", 0), None);
        assert_eq!(find_with_blocks(b"a\nb\"c", 0), Some(3));
        assert_eq!(find_with_blocks(b"a\nb\"c", 4), None);
    }
}
