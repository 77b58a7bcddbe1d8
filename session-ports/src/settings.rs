//! Values as people write them in settings: durations (`200ms`, `2s`, `1m`) and sizes
//! (`64KiB`). Shared by every frontend and adapter so they all read settings the same way.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A duration written as an integer and `ms`, `s` or `m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DurationSetting(pub Duration);

/// A size written as an integer and `B`, `KiB` or `MiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SizeSetting(pub u64);

/// A setting value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("found {found:?}, expected {expected}")]
pub struct SettingValueError {
    found: String,
    expected: &'static str,
}

const DURATION_FORM: &str =
    "an integer and ms, s or m, such as \"200ms\" or \"2s\", at most one day (\"1440m\")";
const SIZE_FORM: &str =
    "an integer and B, KiB or MiB, such as \"64KiB\", at most 1 GiB (\"1024MiB\")";

/// The longest duration a setting may hold: longer ones are surely mistakes, and keeping
/// them bounded keeps every deadline computed from them representable.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 60 * 60);

/// The largest size a setting may hold.
pub const MAX_SIZE: u64 = 1024 * 1024 * 1024;

fn split_number(text: &str) -> Option<(u64, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    Some((text[..digits].parse().ok()?, &text[digits..]))
}

impl FromStr for DurationSetting {
    type Err = SettingValueError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || SettingValueError {
            found: text.to_owned(),
            expected: DURATION_FORM,
        };
        let (number, unit) = split_number(text).ok_or_else(error)?;
        let duration = match unit {
            "ms" => Duration::from_millis(number),
            "s" => Duration::from_secs(number),
            "m" => Duration::from_secs(number.checked_mul(60).ok_or_else(error)?),
            _ => return Err(error()),
        };
        if duration > MAX_DURATION {
            return Err(error());
        }
        Ok(Self(duration))
    }
}

impl FromStr for SizeSetting {
    type Err = SettingValueError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let error = || SettingValueError {
            found: text.to_owned(),
            expected: SIZE_FORM,
        };
        let (number, unit) = split_number(text).ok_or_else(error)?;
        let factor = match unit {
            "B" => 1,
            "KiB" => 1024,
            "MiB" => 1024 * 1024,
            _ => return Err(error()),
        };
        let bytes = number.checked_mul(factor).ok_or_else(error)?;
        if bytes > MAX_SIZE {
            return Err(error());
        }
        Ok(Self(bytes))
    }
}

impl fmt::Display for DurationSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if millis % 60_000 == 0 && millis > 0 {
            write!(f, "{}m", millis / 60_000)
        } else if millis % 1000 == 0 {
            write!(f, "{}s", millis / 1000)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

impl fmt::Display for SizeSetting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const MIB: u64 = 1024 * 1024;
        match self.0 {
            0 => f.write_str("0B"),
            bytes if bytes % MIB == 0 => write!(f, "{}MiB", bytes / MIB),
            bytes if bytes % 1024 == 0 => write!(f, "{}KiB", bytes / 1024),
            bytes => write!(f, "{bytes}B"),
        }
    }
}

macro_rules! string_serde {
    ($type:ty, $form:expr) => {
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $type {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct Visitor;
                impl serde::de::Visitor<'_> for Visitor {
                    type Value = $type;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($form)
                    }
                    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<$type, E> {
                        text.parse().map_err(E::custom)
                    }
                }
                deserializer.deserialize_str(Visitor)
            }
        }
    };
}

string_serde!(DurationSetting, DURATION_FORM);
string_serde!(SizeSetting, SIZE_FORM);

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    #[rstest]
    #[case("0s", Duration::ZERO)]
    #[case("200ms", Duration::from_millis(200))]
    #[case("2s", Duration::from_secs(2))]
    #[case("1m", Duration::from_secs(60))]
    fn parses_durations(#[case] text: &str, #[case] expected: Duration) {
        assert_eq!(text.parse(), Ok(DurationSetting(expected)));
        assert_eq!(DurationSetting(expected).to_string(), text);
    }

    #[rstest]
    #[case("64KiB", 65_536)]
    #[case("16MiB", 16 * 1024 * 1024)]
    #[case("100B", 100)]
    fn parses_sizes(#[case] text: &str, #[case] expected: u64) {
        assert_eq!(text.parse(), Ok(SizeSetting(expected)));
        assert_eq!(SizeSetting(expected).to_string(), text);
    }

    #[rstest]
    #[case("")]
    #[case("2")]
    #[case("s")]
    #[case("2 s")]
    #[case("-2s")]
    #[case("1.5s")]
    #[case("2h")]
    #[case("64kb")]
    #[case("18446744073709551615s")]
    #[case("1441m")]
    #[case("86400001ms")]
    #[case("1025MiB")]
    #[case("1073741825B")]
    fn rejects_other_forms(#[case] text: &str) {
        assert!(text.parse::<DurationSetting>().is_err());
        assert!(text.parse::<SizeSetting>().is_err());
    }
}

/// One invalid setting, named by table and key; frontends add the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("[{table}] {key}: found {found}, expected {expected}")]
pub struct InvalidSetting {
    /// The table, without brackets (`runtime`).
    pub table: String,
    /// The key within it (`debug_address`, `env.RUST_LOG`).
    pub key: String,
    /// What was found, as people wrote it (quoted where it was a string).
    pub found: String,
    /// What was expected, and what to do about it.
    pub expected: String,
}
