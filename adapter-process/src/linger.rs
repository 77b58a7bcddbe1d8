//! When a pipe's reader waits a little before its next read: pure, no clock and no I/O.
//!
//! A writer that writes a line at a time keeps the pipe nearly empty, and a reader that reads
//! as soon as there is something reads a few lines per wake-up, each wake-up (the reader's,
//! then the sink's) costing more than the lines it brings. Waiting after a short read lets
//! such a writer fill the pipe. A fast writer only rarely leaves a read short (the reader
//! caught up with it once); waiting then leaves it blocked on a full pipe, which the read after
//! the wait shows by filling all the room it had. From then on a single short read no longer
//! makes the reader wait; two in a row (the writer has slowed down) do again.

/// Below how many bytes a read is short, in a pipe of the usual capacity or more.
const SHORT_READ: usize = 16 * 1024;

/// Whether to wait before the next read, given each read as it comes.
#[derive(Debug, Clone)]
pub(crate) struct Linger {
    /// Below how many bytes a read is short: [`SHORT_READ`], or a quarter of a smaller pipe
    /// (a system short of pipe memory gives new pipes a page), so that a fast writer's full
    /// pipe is never short.
    short_read: usize,
    /// What the pipe holds: no read brings more, whatever room it had.
    pipe_capacity: usize,
    /// Whether one short read is reason enough: until a wait has left a fast writer blocked.
    one_short_read_suffices: bool,
    last_read_was_short: bool,
    /// Whether the reader waited before the read that comes next.
    waited: bool,
}

impl Linger {
    /// For a pipe of `pipe_capacity` bytes.
    pub(crate) fn new(pipe_capacity: usize) -> Self {
        Self {
            short_read: SHORT_READ.min(pipe_capacity / 4),
            pipe_capacity,
            one_short_read_suffices: true,
            last_read_was_short: false,
            waited: false,
        }
    }

    /// After a read of `read` bytes into `room` bytes of buffer: `true` when the reader should
    /// wait before it reads again.
    pub(crate) fn after_read(&mut self, read: usize, room: usize) -> bool {
        if self.waited && read >= room.min(self.pipe_capacity) {
            // The writer filled all the room while the reader waited: waiting only held it up.
            self.one_short_read_suffices = false;
        }
        let short = read < self.short_read;
        let two_in_a_row = short && self.last_read_was_short;
        if two_in_a_row {
            self.one_short_read_suffices = true;
        }
        self.last_read_was_short = short;
        self.waited = short && (self.one_short_read_suffices || two_in_a_row);
        self.waited
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROOM: usize = 128 * 1024;
    const PIPE: usize = 256 * 1024;

    fn decisions(reads: &[usize]) -> Vec<bool> {
        decisions_in(PIPE, reads)
    }

    fn decisions_in(pipe_capacity: usize, reads: &[usize]) -> Vec<bool> {
        let mut linger = Linger::new(pipe_capacity);
        reads
            .iter()
            .map(|&read| linger.after_read(read, ROOM))
            .collect()
    }

    #[test]
    fn in_a_pipe_of_one_page_a_full_pipe_is_not_short_and_filling_it_is_filling_the_room() {
        // A fast writer: every read is the whole pipe.
        assert_eq!(
            decisions_in(4096, &[4096, 4096, 4096]),
            [false, false, false]
        );
        // A slow one, then a fast one: one wait, then the pipe filled during it.
        assert_eq!(
            decisions_in(4096, &[100, 4096, 500, 4096]),
            [true, false, false, false]
        );
    }

    #[test]
    fn a_writer_of_a_line_at_a_time_is_waited_for_after_every_short_read() {
        // Short, then what the writer wrote during the wait (not all the room), and again.
        let reads = [600, 66_000, 2_400, 65_000, 1_800, 70_000];
        assert_eq!(decisions(&reads), [true, false, true, false, true, false]);
    }

    #[test]
    fn a_fast_writer_that_filled_the_room_during_a_wait_is_not_waited_for_again_for_one_short_read()
    {
        let reads = [ROOM, 8_000, ROOM, ROOM, 4_000, ROOM, 9_000, ROOM];
        assert_eq!(
            decisions(&reads),
            [false, true, false, false, false, false, false, false]
        );
    }

    #[test]
    fn two_short_reads_in_a_row_make_it_wait_again_after_a_fast_writer() {
        let reads = [8_000, ROOM, 500, 700, 60_000, 900];
        assert_eq!(decisions(&reads), [true, false, false, true, false, true]);
    }

    #[test]
    fn a_read_of_the_whole_room_without_a_wait_changes_nothing() {
        let reads = [ROOM, ROOM, 1_000];
        assert_eq!(decisions(&reads), [false, false, true]);
    }
}
