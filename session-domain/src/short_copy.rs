//! Copies of a log line's parts (the text before its message, a short message) with a size
//! the compiler knows, for the writers: reading a little past what they append, from text
//! that is there anyway, and cutting what they appended too much.

/// Appends `padded[..len]` with one copy of `N` bytes and cuts what it copied too much: a copy
/// whose size the compiler knows is a few register moves (up to 64 bytes) or the C library's
/// copy without its dispatch on the size, where a log line's few dozen bytes cost more in that
/// dispatch than in the copy. An ordinary copy when `len` is over `N` or `padded` holds fewer
/// than `N` bytes.
#[inline]
pub fn append_with_fixed_copy<const N: usize>(out: &mut Vec<u8>, padded: &[u8], len: usize) {
    match padded.get(..N) {
        Some(block) if len <= N => {
            out.extend_from_slice(block);
            out.truncate(out.len() - (N - len));
        }
        _ => out.extend_from_slice(&padded[..len]),
    }
}
