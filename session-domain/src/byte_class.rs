//! The scans every batch of lines goes through once, for the bytes a writer must treat (JSON's
//! escapes, the terminal's controls): a class of bytes known when the program is compiled,
//! searched thirty-two bytes at a time where the CPU has AVX2 (told once, at run time), and
//! otherwise sixteen at a time with the [`Block`] that every target has. Both give the same
//! answer, which the tests check on every CPU that has both.

use crate::byte_block::Block;
use crate::byte_scan::find_flagged;

/// A class of bytes: those below [`BELOW`](Self::BELOW) but the [`BUT`](Self::BUT) ones, and
/// the [`ALSO`](Self::ALSO) ones. Written as constants so that each scan is compiled for its
/// class, with no loop over the lists left at run time.
pub trait ByteClass {
    /// The bytes below this one are in the class (at most `0x80`, [`Block::below`]).
    const BELOW: u8;
    /// ...but these, below [`BELOW`](Self::BELOW), are not.
    const BUT: &'static [u8];
    /// These are in the class too.
    const ALSO: &'static [u8];

    /// The lanes of `block` whose byte is in the class.
    #[inline]
    fn test(block: Block) -> Block {
        let below = Self::BUT
            .iter()
            .fold(block.below(Self::BELOW), |lanes, &byte| {
                lanes.and_not(block.equal(byte))
            });
        Self::ALSO
            .iter()
            .fold(below, |lanes, &byte| lanes | block.equal(byte))
    }
}

/// The index of the first byte of class `C` at or after `from`; `None` when there is none (or
/// `from` is past the end).
#[inline]
pub fn find_in_class<C: ByteClass>(bytes: &[u8], from: usize) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { avx2::find_in_class::<C>(bytes, from) };
    }
    find_in_blocks::<C>(bytes, from)
}

/// [`find_in_class`] with [`Block`]s, which every target has.
fn find_in_blocks<C: ByteClass>(bytes: &[u8], from: usize) -> Option<usize> {
    find_flagged(bytes, from, C::test)
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_andnot_si256, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_min_epu8,
        _mm256_movemask_epi8, _mm256_or_si256, _mm256_set1_epi8, _mm256_setzero_si256,
    };

    use super::ByteClass;

    /// How many bytes one register holds.
    const LANES: usize = 32;

    /// [`super::find_in_class`], two registers (64 bytes) per step; the last bytes, fewer than
    /// 64, in blocks.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn find_in_class<C: ByteClass>(bytes: &[u8], from: usize) -> Option<usize> {
        let whole = bytes.get(from..)?;
        let mut pairs = whole.chunks_exact(2 * LANES);
        let mut offset = from;
        for pair in &mut pairs {
            let (low, high) = pair.split_at(LANES);
            let low = flags::<C>(low);
            let high = flags::<C>(high);
            if mask(_mm256_or_si256(low, high)) != 0 {
                let found = u64::from(mask(low)) | u64::from(mask(high)) << LANES;
                return Some(offset + found.trailing_zeros() as usize);
            }
            offset += 2 * LANES;
        }
        super::find_in_blocks::<C>(bytes, offset)
    }

    /// The lanes of the first 32 bytes of `chunk` whose byte is in class `C`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn flags<C: ByteClass>(chunk: &[u8]) -> __m256i {
        let chunk = &chunk[..LANES];
        // SAFETY: the load reads the 32 bytes of `chunk`, unaligned loads allowed.
        let bytes = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
        let equal = |byte: u8| _mm256_cmpeq_epi8(bytes, _mm256_set1_epi8(byte as i8));
        let below = match C::BELOW {
            0 => _mm256_setzero_si256(),
            limit => _mm256_cmpeq_epi8(
                _mm256_min_epu8(bytes, _mm256_set1_epi8((limit - 1) as i8)),
                bytes,
            ),
        };
        let but = C::BUT.iter().fold(_mm256_setzero_si256(), |lanes, &byte| {
            _mm256_or_si256(lanes, equal(byte))
        });
        C::ALSO
            .iter()
            .fold(_mm256_andnot_si256(but, below), |lanes, &byte| {
                _mm256_or_si256(lanes, equal(byte))
            })
    }

    #[inline]
    #[target_feature(enable = "avx2")]
    fn mask(lanes: __m256i) -> u32 {
        _mm256_movemask_epi8(lanes) as u32
    }

    /// Whether every byte of `bytes` is ASCII: four registers (128 bytes) per step, their
    /// bytes' high bits gathered once; the last bytes, fewer than 128, by std.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(crate) unsafe fn is_ascii(bytes: &[u8]) -> bool {
        let mut steps = bytes.chunks_exact(4 * LANES);
        for step in &mut steps {
            let any = step
                .chunks_exact(LANES)
                .fold(_mm256_setzero_si256(), |any, chunk| {
                    // SAFETY: the load reads the 32 bytes of `chunk`, unaligned loads allowed.
                    _mm256_or_si256(any, unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) })
                });
            if mask(any) != 0 {
                return false;
            }
        }
        steps.remainder().is_ascii()
    }

    /// Bit `i` set when `chunk[i]` is in class `C`, for the first 32 bytes of `chunk`.
    #[inline]
    #[target_feature(enable = "avx2")]
    pub(crate) fn class_bits<C: ByteClass>(chunk: &[u8]) -> u32 {
        mask(flags::<C>(chunk))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Sample;
    impl ByteClass for Sample {
        const BELOW: u8 = 0x20;
        const BUT: &'static [u8] = b"\n\t";
        const ALSO: &'static [u8] = b"\"\\\x7f\xc2";
    }

    fn in_sample(byte: u8) -> bool {
        (byte < 0x20 && !b"\n\t".contains(&byte)) || b"\"\\\x7f\xc2".contains(&byte)
    }

    #[test]
    fn the_block_test_flags_exactly_the_class() {
        for first in (0..=255_u8).step_by(16) {
            let bytes: [u8; 16] = std::array::from_fn(|index| first + index as u8);
            let expected = (0..16).fold(0, |bits, index| {
                bits | u32::from(in_sample(bytes[index])) << index
            });
            assert_eq!(Sample::test(Block::load(&bytes)).bits(), expected);
        }
    }

    /// Every byte of the class and some that are not, at many positions in texts of many
    /// lengths: the dispatched scan (AVX2 on a CPU that has it) says what the block scan says.
    #[test]
    fn finds_what_the_block_scan_finds() {
        for special in [
            b'"', b'\\', 0x00, 0x1f, b'\r', 0x7f, 0xc2, b'\t', b'\n', b'~',
        ] {
            for len in 0..200 {
                let mut text: Vec<u8> = (0..len).map(|i| b"ab\ncd \xc3\xa9~\t"[i % 10]).collect();
                for at in (0..len).step_by(7) {
                    let saved = text[at];
                    text[at] = special;
                    for from in [0, 1, at.saturating_sub(1), at, at + 1, len, len + 1] {
                        let expected = find_in_blocks::<Sample>(&text, from);
                        let own = (from..len).find(|&index| in_sample(text[index]));
                        assert_eq!(expected, own, "{special} at {at} of {len} from {from}");
                        assert_eq!(
                            find_in_class::<Sample>(&text, from),
                            expected,
                            "{special} at {at} of {len} from {from}"
                        );
                    }
                    text[at] = saved;
                }
            }
        }
    }

    /// One byte that is not ASCII, at every position of texts of every length around the
    /// AVX2 check's step of 128 bytes: it says what std's check says.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_avx2_ascii_check_says_what_std_says() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        for len in 0..300 {
            let mut text = vec![b'a'; len];
            // SAFETY: the CPU has AVX2, checked above.
            assert!(unsafe { avx2::is_ascii(&text) }, "{len}");
            for at in 0..len {
                for byte in [0x80, 0xc3, 0xff] {
                    text[at] = byte;
                    // SAFETY: as above.
                    assert!(!unsafe { avx2::is_ascii(&text) }, "{byte} at {at} of {len}");
                    text[at] = 0x7f;
                    // SAFETY: as above.
                    assert!(unsafe { avx2::is_ascii(&text) }, "0x7f at {at} of {len}");
                }
                text[at] = b'a';
            }
        }
    }
}
