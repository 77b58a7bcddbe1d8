//! How long to wait before each attempt to reach the server again: at once the first time (a
//! dropped connection to a live server is resumed without delay), then doubling from 100 ms
//! up to 2 s, so that a restarting server is found quickly and a gone one costs little.

use std::time::Duration;

const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST: Duration = Duration::from_secs(2);

/// The wait before attempt `attempt` (0 is the first reconnection after a drop).
pub fn backoff_delay(attempt: u32) -> Duration {
    match attempt {
        0 => Duration::ZERO,
        _ => FIRST_RETRY
            .checked_mul(1_u32.checked_shl(attempt - 1).unwrap_or(u32::MAX))
            .map_or(LONGEST, |delay| delay.min(LONGEST)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_once_then_doubling_up_to_two_seconds() {
        let table = [
            (0, 0),
            (1, 100),
            (2, 200),
            (3, 400),
            (4, 800),
            (5, 1600),
            (6, 2000),
            (7, 2000),
            (40, 2000),
            (u32::MAX, 2000),
        ];
        for (attempt, millis) in table {
            assert_eq!(
                backoff_delay(attempt),
                Duration::from_millis(millis),
                "attempt {attempt}"
            );
        }
    }
}
