//! How the C library's allocator keeps freed memory: a process-wide policy, set once at start.
//!
//! A pipe's reader allocates each batch (a read's lines and their records) and a sink thread
//! frees it. With glibc's defaults, a free that leaves more than about 128 KiB at the top of
//! the heap hands it back to the kernel, and the next batches fault it in again: over
//! 2,000,000 lines of JSON output, ~3,200 page faults (BENCHMARKS.md). Keeping up to
//! [`TRIM_THRESHOLD`] of freed memory for the next batches stops that (~1,900 faults, those of
//! the first touch); a fixed [`MMAP_THRESHOLD`] keeps batches on the heap, where they are
//! reused, while a single allocation larger than it still goes straight back to the kernel.

/// Free memory at the top of the heap that is kept rather than returned. 2 MiB still let the
/// heap shrink and fault back in on some runs; 8 MiB is half the peak the bench allows, and is
/// only ever kept after a peak that already used it.
const TRIM_THRESHOLD: libc::c_int = 8 * 1024 * 1024;

/// Allocations from this size up are mapped on their own and unmapped when freed: larger than
/// any batch of one read, so batches are reused from the heap.
const MMAP_THRESHOLD: libc::c_int = 512 * 1024;

/// Sets the policy; call it before any thread starts. Other allocators (musl's) have no such
/// settings and are left as they are.
pub(crate) fn keep_freed_batches_for_reuse() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes two parameters of glibc's allocator, which documents it as
    // not thread-safe: it is called first thing in `main`, before any thread starts. It
    // returns 0 when it refuses a value, which leaves the defaults (only slower).
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD);
    }
}
