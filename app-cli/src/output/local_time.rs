//! Local wall-clock time for the human format, with the zone offset looked up once per hour.

use session_domain::Timestamp;

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Converts timestamps to local `HH:MM:SS.mmm`.
#[derive(Debug, Default)]
pub(crate) struct LocalClock {
    /// The UTC hour (seconds / 3600) the cached offset belongs to.
    cached_hour: Option<i64>,
    offset_seconds: i64,
}

impl LocalClock {
    /// Appends `HH:MM:SS.mmm` in local time.
    pub(crate) fn write_hms(&mut self, at: Timestamp, out: &mut Vec<u8>) {
        let seconds = at.unix_nanos().div_euclid(NANOS_PER_SECOND);
        let hour = seconds.div_euclid(3600);
        if self.cached_hour != Some(hour) {
            self.offset_seconds = utc_offset_seconds(seconds);
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
}

/// The local zone's offset from UTC at `seconds` since the epoch (0 if unknown).
fn utc_offset_seconds(seconds: i64) -> i64 {
    // time_t is 64 bits on every platform this tool supports.
    let time = seconds as libc::time_t;
    // SAFETY: localtime_r reads `time` and writes the broken-down time into `tm`, both live
    // locals; a zeroed tm is a valid value of this plain C struct.
    unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        if libc::localtime_r(&time, &mut tm).is_null() {
            return 0;
        }
        tm.tm_gmtoff as i64
    }
}
