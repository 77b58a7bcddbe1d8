//! Deadlines that a huge configured duration cannot overflow.

use std::time::Duration;

use tokio::time::Instant;

/// `start + duration`, or a deadline so far ahead that it never comes when the sum does not fit
/// (a huge configured duration must not panic).
///
/// It lives here rather than in the domain because it works on tokio's `Instant`, the type the
/// timers take, and the domain knows nothing of tokio.
pub fn deadline_after(start: Instant, duration: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
    start
        .checked_add(duration)
        .or_else(|| start.checked_add(FAR_FUTURE))
        .or_else(|| start.checked_add(Duration::from_secs(24 * 60 * 60)))
        .unwrap_or(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_duration_is_a_far_deadline_not_a_panic() {
        let now = Instant::now();
        let far = deadline_after(now, Duration::MAX);
        assert!(far > now + Duration::from_secs(10 * 365 * 24 * 60 * 60));
        assert_eq!(
            deadline_after(now, Duration::from_secs(2)),
            now + Duration::from_secs(2)
        );
    }
}
