//! How durations read in `session` lines and in the CLI's closing summary.

use std::time::Duration;

/// `2.00 s`, `200 ms`, `1.21 s`: milliseconds below a second, else seconds with two decimals.
///
/// Every line that states a duration uses this one form, so that a step's `in 1.21 s`, a
/// runtime's `after 2.00 s` and a stop grace's `of 200 ms` read alike.
pub fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis} ms")
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_below_a_second_then_seconds_with_two_decimals() {
        assert_eq!(human_duration(Duration::ZERO), "0 ms");
        assert_eq!(human_duration(Duration::from_millis(200)), "200 ms");
        assert_eq!(human_duration(Duration::from_micros(999_999)), "999 ms");
        assert_eq!(human_duration(Duration::from_secs(1)), "1.00 s");
        assert_eq!(human_duration(Duration::from_millis(1210)), "1.21 s");
        assert_eq!(human_duration(Duration::from_secs(2)), "2.00 s");
    }
}
