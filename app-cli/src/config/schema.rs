//! What `prometeu-session.toml` may contain: every table, every key and the kind of value.
//!
//! The loader walks the parsed file against this schema before any typed deserialisation, so
//! that the first problem is reported with its table, key, what was found and what was
//! expected, and an unknown key comes with the nearest known one.

use session_ports::{DurationSetting, SizeSetting};
use toml::Value;

/// The kind of value a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `"2s"`; `positive` rejects zero.
    Duration { positive: bool },
    /// `"64KiB"`, positive.
    Size,
    /// A positive integer.
    PositiveInteger,
    /// An integer within u32.
    U32,
    /// A string that is not empty.
    NonEmptyText,
    /// One of these strings.
    OneOf(&'static [&'static str]),
    /// An IP literal and a port.
    SocketAddress,
    /// A non-empty array of strings whose first element is not empty.
    Command,
    /// An array of non-empty strings.
    TextList,
    /// A table of string values.
    TextMap,
}

/// One table of the file.
#[derive(Debug)]
pub(crate) struct TableSchema {
    pub(crate) name: &'static str,
    pub(crate) keys: &'static [(&'static str, Kind)],
}

pub(crate) const TABLES: &[TableSchema] = &[
    TableSchema {
        name: "session",
        keys: &[
            ("stop_grace", Kind::Duration { positive: false }),
            ("pipe_grace", Kind::Duration { positive: false }),
        ],
    },
    TableSchema {
        name: "log",
        keys: &[
            ("max_line", Kind::Size),
            ("buffer_events", Kind::PositiveInteger),
            ("buffer_bytes", Kind::Size),
        ],
    },
    TableSchema {
        name: "runtime",
        keys: &[
            ("path", Kind::NonEmptyText),
            ("mode", Kind::OneOf(&["run", "debug"])),
            ("debug_address", Kind::SocketAddress),
            ("handshake_timeout", Kind::Duration { positive: true }),
            ("env", Kind::TextMap),
        ],
    },
    TableSchema {
        name: "shipper",
        keys: &[
            ("build", Kind::Command),
            ("pack-validation", Kind::Command),
            ("pack", Kind::Command),
            ("env", Kind::TextMap),
        ],
    },
    TableSchema {
        name: "cartridge",
        keys: &[
            ("app_id", Kind::U32),
            ("title", Kind::NonEmptyText),
            ("app_version", Kind::NonEmptyText),
            ("app_mode", Kind::OneOf(&["Game", "System"])),
            ("entrypoint", Kind::NonEmptyText),
            ("capabilities", Kind::TextList),
        ],
    },
];

/// The `[cartridge]` keys that must be present when the table is.
pub(crate) const REQUIRED_CARTRIDGE_KEYS: &[&str] =
    &["app_id", "title", "app_version", "app_mode", "entrypoint"];

/// Checks one value against its kind; `Err` holds what was expected.
pub(crate) fn check(kind: Kind, value: &Value) -> Result<(), String> {
    let expected = |text: &str| Err(text.to_owned());
    match (kind, value) {
        (Kind::Duration { positive }, Value::String(text)) => match text.parse::<DurationSetting>()
        {
            Ok(duration) if positive && duration.0.is_zero() => {
                expected("a duration above zero, such as \"10s\"")
            }
            Ok(_) => Ok(()),
            Err(_) => {
                expected("an integer and ms, s or m, such as \"200ms\" or \"2s\", at most one day")
            }
        },
        (Kind::Duration { .. }, _) => {
            expected("a string: an integer and ms, s or m, such as \"2s\"")
        }
        (Kind::Size, Value::String(text)) => match text.parse::<SizeSetting>() {
            Ok(size) if size.0 == 0 => expected("a size above zero, such as \"64KiB\""),
            Ok(_) => Ok(()),
            Err(_) => expected("an integer and B, KiB or MiB, such as \"64KiB\", at most 1 GiB"),
        },
        (Kind::Size, _) => expected("a string: an integer and B, KiB or MiB, such as \"64KiB\""),
        (Kind::PositiveInteger, Value::Integer(number)) if *number > 0 => Ok(()),
        (Kind::PositiveInteger, _) => expected("a positive integer"),
        (Kind::U32, Value::Integer(number)) if u32::try_from(*number).is_ok() => Ok(()),
        (Kind::U32, _) => expected("an integer from 0 to 4294967295"),
        (Kind::NonEmptyText, Value::String(text)) if !text.is_empty() => Ok(()),
        (Kind::NonEmptyText, _) => expected("a non-empty string"),
        (Kind::OneOf(choices), Value::String(text)) if choices.contains(&text.as_str()) => Ok(()),
        (Kind::OneOf(choices), _) => Err(format!("one of {}", quoted_list(choices))),
        (Kind::SocketAddress, Value::String(text))
            if text.parse::<std::net::SocketAddr>().is_ok() =>
        {
            Ok(())
        }
        (Kind::SocketAddress, _) => {
            expected("an IP literal and a port, such as \"127.0.0.1:7777\"")
        }
        (Kind::Command, Value::Array(items))
            if items.iter().all(Value::is_str)
                && items
                    .first()
                    .and_then(Value::as_str)
                    .is_some_and(|program| !program.is_empty()) =>
        {
            Ok(())
        }
        (Kind::Command, _) => expected(
            "a non-empty array of strings: the program, then its arguments, such as [\"prometeuc\", \"build\", \".\"]",
        ),
        (Kind::TextList, Value::Array(items))
            if items
                .iter()
                .all(|item| item.as_str().is_some_and(|text| !text.is_empty())) =>
        {
            Ok(())
        }
        (Kind::TextList, _) => expected("an array of non-empty strings"),
        (Kind::TextMap, Value::Table(table)) if table.values().all(Value::is_str) => Ok(()),
        (Kind::TextMap, _) => expected("a table of strings, such as { RUST_LOG = \"info\" }"),
    }
}

fn quoted_list(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices
        .iter()
        .map(|choice| format!("\"{choice}\""))
        .collect();
    match quoted.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The known name nearest to `unknown`, if it is near enough to be a likely typo.
pub(crate) fn nearest<'a>(
    unknown: &str,
    known: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    known
        .into_iter()
        .map(|candidate| {
            (
                edit_distance(&unknown.to_ascii_lowercase(), candidate),
                candidate,
            )
        })
        .filter(|(distance, candidate)| *distance <= (candidate.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over chars.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

/// A short description of a TOML value, for "found …".
pub(crate) fn describe(value: &Value) -> String {
    let kind = match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::Table(_) => return "a table".to_owned(),
    };
    let mut shown = value.to_string();
    if shown.len() > 60 {
        let mut cut = 57;
        while !shown.is_char_boundary(cut) {
            cut -= 1;
        }
        shown.truncate(cut);
        shown.push_str("...");
    }
    format!("{shown} ({kind})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let keys = ["stop_grace", "pipe_grace"];
        assert_eq!(nearest("stop_grac", keys), Some("stop_grace"));
        assert_eq!(nearest("STOP_GRACE", keys), Some("stop_grace"));
        assert_eq!(nearest("colour", keys), None);
    }
}
