//! Local wall-clock time for the human format, with the zone offset looked up once per hour.
//!
//! The zone comes from jiff (`TZ`, else `/etc/localtime`), read once: no C library call, so
//! nothing here races a thread reading or writing the environment as `localtime_r` could.

use jiff::tz::TimeZone;
use session_domain::Timestamp;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Converts timestamps to local `HH:MM:SS.mmm`.
#[derive(Debug)]
pub(crate) struct LocalClock {
    zone: TimeZone,
    /// The UTC hour (seconds / 3600) the cached offset belongs to.
    cached_hour: Option<i64>,
    offset_seconds: i64,
}

impl Default for LocalClock {
    /// The system's zone; one that cannot be read behaves as UTC.
    fn default() -> Self {
        Self::in_zone(TimeZone::system())
    }
}

impl LocalClock {
    fn in_zone(zone: TimeZone) -> Self {
        Self {
            zone,
            cached_hour: None,
            offset_seconds: 0,
        }
    }

    /// Appends `HH:MM:SS.mmm` in local time.
    pub(crate) fn write_hms(&mut self, at: Timestamp, out: &mut Vec<u8>) {
        let seconds = at.unix_nanos().div_euclid(NANOS_PER_SECOND);
        let hour = seconds.div_euclid(3600);
        if self.cached_hour != Some(hour) {
            self.offset_seconds = self.utc_offset_seconds(seconds);
            self.cached_hour = Some(hour);
        }
        let local = Timestamp::from_unix_nanos(
            at.unix_nanos()
                .saturating_add(self.offset_seconds * NANOS_PER_SECOND),
        );
        let civil = local.civil();
        let millis = civil.nanos / 1_000_000;
        let digits = [
            civil.hour / 10,
            civil.hour % 10,
            civil.minute / 10,
            civil.minute % 10,
            civil.second / 10,
            civil.second % 10,
        ];
        let digit = |value: u32| b'0' + value as u8;
        out.extend_from_slice(&[
            digit(digits[0]),
            digit(digits[1]),
            b':',
            digit(digits[2]),
            digit(digits[3]),
            b':',
            digit(digits[4]),
            digit(digits[5]),
            b'.',
            digit(millis / 100),
            digit(millis / 10 % 10),
            digit(millis % 10),
        ]);
    }

    /// The zone's offset from UTC at `seconds` since the epoch (0 outside jiff's range).
    fn utc_offset_seconds(&self, seconds: i64) -> i64 {
        jiff::Timestamp::from_second(seconds)
            .map_or(0, |at| i64::from(self.zone.to_offset(at).seconds()))
    }
}

#[cfg(test)]
mod tests {
    use jiff::tz::Offset;

    use super::*;

    fn hms(clock: &mut LocalClock, unix_nanos: i64) -> String {
        let mut out = Vec::new();
        clock.write_hms(Timestamp::from_unix_nanos(unix_nanos), &mut out);
        String::from_utf8(out).expect("ascii")
    }

    #[test]
    fn writes_the_time_of_day_in_the_zone() {
        // 2024-01-01T12:34:56.789Z
        let noon = 1_704_112_496_789_000_000;
        let mut utc = LocalClock::in_zone(TimeZone::UTC);
        assert_eq!(hms(&mut utc, noon), "12:34:56.789");
        let mut east = LocalClock::in_zone(TimeZone::fixed(Offset::constant(2)));
        assert_eq!(hms(&mut east, noon), "14:34:56.789");
        let mut west = LocalClock::in_zone(TimeZone::fixed(Offset::constant(-13)));
        assert_eq!(hms(&mut west, noon), "23:34:56.789");
    }
}
