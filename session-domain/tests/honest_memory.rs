//! What the buffer charges against `buffer_bytes` is what it really holds, within 25%, for
//! every shape of output the benchmarks use. A counting allocator measures the truth, with
//! the allocator's own rounding (glibc: 8 bytes of header, 16-byte steps, 32 at least).

use std::alloc::{GlobalAlloc, Layout, System};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicUsize, Ordering};

use session_domain::{EventLog, LogLimits, ReadFramer, ReadOrigin, Source, Stream, Timestamp};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

fn footprint(size: usize) -> usize {
    (size + 8).div_ceil(16).max(2) * 16
}

// SAFETY: every call is forwarded to the system allocator unchanged; only a counter is kept.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(footprint(layout.size()), Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(footprint(layout.size()), Ordering::Relaxed);
        // SAFETY: the caller's contract is the system allocator's.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const BUDGET: usize = 8 * 1024 * 1024;

/// Feeds `reads` reads of `line_len`-byte lines (`per_read` bytes each) through a framer into
/// a log holding at most `BUDGET` bytes, and returns (charged, really held).
fn fill(line_len: usize, per_read: usize, reads: usize) -> (usize, usize) {
    // The counter is the process's: one measurement at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _alone = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let line: Vec<u8> = (0..line_len - 1).map(|i| b'a' + (i % 26) as u8).collect();
    let mut stream = Vec::new();
    while stream.len() < per_read * reads {
        stream.extend_from_slice(&line);
        stream.push(b'\n');
    }
    let origin = ReadOrigin {
        source: Source::Runtime,
        stream: Stream::Stdout,
    };
    let max_line = NonZeroUsize::new(64 * 1024).expect("non-zero");
    let mut framer = ReadFramer::new(origin, max_line);
    let limits = LogLimits {
        max_events: NonZeroUsize::new(usize::MAX).expect("non-zero"),
        max_bytes: NonZeroUsize::new(BUDGET).expect("non-zero"),
    };
    // Warm the framer's reusable scratch first: it is the reader's, not the buffer's.
    drop(framer.frame(&stream[..per_read], Timestamp::EPOCH));
    let before = LIVE.load(Ordering::Relaxed);
    let mut log = EventLog::new(limits);
    for read in stream.chunks(per_read).skip(1) {
        drop(log.append_lines(1, framer.frame(read, Timestamp::EPOCH)));
    }
    let held = LIVE.load(Ordering::Relaxed) - before;
    (log.held_bytes(), held)
}

fn assert_honest(shape: &str, (charged, held): (usize, usize)) {
    let ratio = charged as f64 / held as f64;
    assert!(
        (0.8..=1.25).contains(&ratio),
        "{shape}: charged {charged} bytes for {held} held (ratio {ratio:.2})"
    );
    assert!(charged <= BUDGET, "{shape}: over the budget");
    assert!(
        held >= BUDGET / 2,
        "{shape}: the buffer was not filled ({held} bytes)"
    );
}

#[test]
fn sixty_byte_lines_read_64_kib_at_a_time() {
    assert_honest("60-byte lines", fill(60, 64 * 1024, 400));
}

#[test]
fn one_150_byte_line_per_read() {
    assert_honest("one line per read", fill(150, 150, 120_000));
}

#[test]
fn ten_kib_lines_that_span_reads() {
    assert_honest("10 KiB lines", fill(10 * 1024, 64 * 1024, 300));
}
