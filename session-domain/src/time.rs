//! Time as a value: the domain never reads a clock, it is handed [`Timestamp`]s.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

const NANOS_PER_SECOND: i64 = 1_000_000_000;
const SECONDS_PER_DAY: i64 = 86_400;

/// A point in time as nanoseconds since the Unix epoch, UTC.
///
/// Serialises as RFC 3339 with exactly nine fraction digits and `Z`
/// (`2026-04-06T10:00:00.120000000Z`), the form every event's `at` uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The Unix epoch.
    pub const EPOCH: Self = Self(0);

    /// A timestamp from nanoseconds since the Unix epoch.
    pub const fn from_unix_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since the Unix epoch.
    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// Nanoseconds from `earlier` to `self`, saturating at zero when time went backwards.
    pub fn nanos_since(self, earlier: Self) -> u64 {
        u64::try_from(self.0.saturating_sub(earlier.0)).unwrap_or(0)
    }

    /// Writes the canonical RFC 3339 form into `out` without allocating.
    pub fn write_rfc3339(self, out: &mut impl fmt::Write) -> fmt::Result {
        let parts = CivilTime::from_unix_nanos(self.0);
        write!(
            out,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z",
            parts.year, parts.month, parts.day, parts.hour, parts.minute, parts.second, parts.nanos
        )
    }

    /// Parses the canonical form (also accepting fewer fraction digits or none).
    pub fn parse_rfc3339(text: &str) -> Result<Self, TimestampParseError> {
        parse_rfc3339(text).ok_or_else(|| TimestampParseError {
            found: text.chars().take(40).collect(),
        })
    }

    /// The broken-down UTC time, for formatters that show parts of it.
    pub fn civil(self) -> CivilTime {
        CivilTime::from_unix_nanos(self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_rfc3339(f)
    }
}

/// A timestamp string that is not RFC 3339 UTC (`YYYY-MM-DDTHH:MM:SS[.fraction]Z`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expected an RFC 3339 UTC time such as 2026-04-06T10:00:00.120000000Z, found {found:?}")]
pub struct TimestampParseError {
    found: String,
}

/// A UTC time broken into calendar parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    /// Proleptic Gregorian year.
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    /// 0 to 23.
    pub hour: u32,
    /// 0 to 59.
    pub minute: u32,
    /// 0 to 59.
    pub second: u32,
    /// 0 to 999,999,999.
    pub nanos: u32,
}

impl CivilTime {
    fn from_unix_nanos(nanos: i64) -> Self {
        let seconds = nanos.div_euclid(NANOS_PER_SECOND);
        let fraction = nanos.rem_euclid(NANOS_PER_SECOND) as u32;
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let second_of_day = seconds.rem_euclid(SECONDS_PER_DAY) as u32;
        let (year, month, day) = civil_from_days(days);
        Self {
            year,
            month,
            day,
            hour: second_of_day / 3600,
            minute: second_of_day / 60 % 60,
            second: second_of_day % 60,
            nanos: fraction,
        }
    }
}

/// Howard Hinnant's `civil_from_days`: days since 1970-01-01 to (year, month, day).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Howard Hinnant's `days_from_civil`, the inverse of [`civil_from_days`].
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let part = bytes.get(range)?;
        if !part.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(part).ok()?.parse().ok()
    };
    let separators_ok = bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && matches!(bytes.get(10), Some(b'T' | b't'))
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':');
    if !separators_ok {
        return None;
    }
    let year = number(0..4)?;
    let month = number(5..7)?;
    let day = number(8..10)?;
    let hour = number(11..13)?;
    let minute = number(14..16)?;
    let second = number(17..19)?;
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut rest = bytes.get(19..)?;
    let mut nanos: i64 = 0;
    if let Some((b'.', fraction)) = rest.split_first() {
        let digits = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        for (position, digit) in fraction[..digits].iter().enumerate() {
            nanos += i64::from(digit - b'0') * 10_i64.pow(8 - position as u32);
        }
        rest = &fraction[digits..];
    }
    if !matches!(rest, [b'Z' | b'z']) {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let seconds = days * SECONDS_PER_DAY + i64::from(hour * 3600 + minute * 60 + second);
    // In 128 bits: the earliest times there are (1677) lie below `i64::MIN` by their whole
    // seconds alone, and come back within it with their fraction.
    let nanos = i128::from(seconds) * i128::from(NANOS_PER_SECOND) + i128::from(nanos);
    i64::try_from(nanos).ok().map(Timestamp)
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case(0, "1970-01-01T00:00:00.000000000Z")]
    #[case(1_775_469_600_120_000_000, "2026-04-06T10:00:00.120000000Z")]
    #[case(951_782_400_000_000_001, "2000-02-29T00:00:00.000000001Z")]
    #[case(-1, "1969-12-31T23:59:59.999999999Z")]
    #[case(4_102_444_799_999_999_999, "2099-12-31T23:59:59.999999999Z")]
    #[case(i64::MIN, "1677-09-21T00:12:43.145224192Z")]
    #[case(i64::MAX, "2262-04-11T23:47:16.854775807Z")]
    fn formats_and_parses_canonical_form(#[case] nanos: i64, #[case] text: &str) {
        let at = Timestamp::from_unix_nanos(nanos);
        assert_eq!(at.to_string(), text);
        assert_eq!(Timestamp::parse_rfc3339(text), Ok(at));
    }

    #[rstest]
    #[case("2026-04-06T10:00:00Z", 1_775_469_600_000_000_000)]
    #[case("2026-04-06T10:00:00.5Z", 1_775_469_600_500_000_000)]
    fn parses_shorter_fractions(#[case] text: &str, #[case] nanos: i64) {
        assert_eq!(
            Timestamp::parse_rfc3339(text),
            Ok(Timestamp::from_unix_nanos(nanos))
        );
    }

    #[rstest]
    #[case("")]
    #[case("2026-04-06 10:00:00Z")]
    #[case("2026-13-06T10:00:00Z")]
    #[case("2026-04-06T10:00:00.Z")]
    #[case("2026-04-06T10:00:00.1234567890Z")]
    #[case("2026-04-06T10:00:00+01:00")]
    #[case("2026-04-06T10:00:00")]
    #[case("1677-09-21T00:12:43.145224191Z")]
    #[case("2262-04-11T23:47:16.854775808Z")]
    #[case("0000-01-01T00:00:00Z")]
    fn rejects_other_forms(#[case] text: &str) {
        assert!(Timestamp::parse_rfc3339(text).is_err());
    }
}
