//! The kinds of value a setting takes: how each is read from TOML into a typed value, what it
//! accepts (for the reference page), and what a wrong value is told it should have been.
//!
//! A flag is read by the same kind as the key it overrides (its text as a TOML string), so
//! a value is accepted or refused, with the same words, wherever it was written.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use adapter_shipper::AppMode;
use session_domain::RunMode;
use session_ports::{DurationSetting, SizeSetting};
use toml::Value;

/// A short description of a TOML value, for "found …": the value as written (cut when long)
/// and, but for tables, its type.
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

/// A kind of value, read into `T`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind<T> {
    /// What it accepts, bounds included, in a few words for the reference page.
    pub(crate) accepts: &'static str,
    /// Reads a value; `Err` says what was expected instead.
    pub(crate) read: fn(&Value) -> Result<T, Mismatch>,
}

/// Why a value was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mismatch {
    /// The entry of a table value the problem is in (`RUST_LOG` of `env`) and what was found
    /// there, if the problem is in one entry rather than the whole value.
    pub(crate) entry: Option<(String, String)>,
    /// What was expected, and what to do about it.
    pub(crate) expected: String,
}

impl Mismatch {
    fn expected(expected: impl Into<String>) -> Self {
        Self {
            entry: None,
            expected: expected.into(),
        }
    }

    fn in_entry(entry: &str, found: String, expected: impl Into<String>) -> Self {
        Self {
            entry: Some((entry.to_owned(), found)),
            expected: expected.into(),
        }
    }
}

/// A duration, `0s` allowed.
pub(crate) const DURATION: Kind<Duration> = Kind {
    accepts: "a duration: an integer and `ms`, `s` or `m`, from `0s` to one day",
    read: |value| duration(value, false),
};

/// A duration above zero.
pub(crate) const POSITIVE_DURATION: Kind<Duration> = Kind {
    accepts: "a duration: an integer and `ms`, `s` or `m`, above zero, at most one day",
    read: |value| duration(value, true),
};

/// A size above zero.
pub(crate) const SIZE: Kind<NonZeroUsize> = Kind {
    accepts: "a size: an integer and `B`, `KiB` or `MiB`, above zero, at most 1 GiB",
    read: size,
};

/// A count above zero.
pub(crate) const COUNT: Kind<NonZeroUsize> = Kind {
    accepts: "an integer above zero",
    read: count,
};

/// An integer that fits a u32.
pub(crate) const U32: Kind<u32> = Kind {
    accepts: "an integer from 0 to 4294967295",
    read: u32_value,
};

/// A string with something in it.
pub(crate) const TEXT: Kind<String> = Kind {
    accepts: "a string that is not blank",
    read: text,
};

/// A program: a path, or a name looked up on `PATH`.
pub(crate) const PROGRAM: Kind<PathBuf> = Kind {
    accepts: "a path (relative to the project root) or a program name looked up on `PATH`",
    read: program,
};

/// `run` or `debug`.
pub(crate) const RUN_MODE: Kind<RunMode> = Kind {
    accepts: "`\"run\"` or `\"debug\"`",
    read: |value| one_of(value, &RunMode::ALL, |mode| mode.as_str()),
};

/// `Game` or `System`.
pub(crate) const APP_MODE: Kind<AppMode> = Kind {
    accepts: "`\"Game\"` or `\"System\"`",
    read: |value| one_of(value, &AppMode::ALL, |mode| mode.as_str()),
};

/// An IP literal and a port other than 0.
pub(crate) const SOCKET_ADDRESS: Kind<SocketAddr> = Kind {
    accepts: "an IP literal and a port from 1 to 65535 (no host name)",
    read: socket_address,
};

/// A program and its arguments.
pub(crate) const COMMAND: Kind<Vec<String>> = Kind {
    accepts: "a non-empty array of strings: the program, then its arguments",
    read: command,
};

/// A list of non-empty strings.
pub(crate) const TEXT_LIST: Kind<Vec<String>> = Kind {
    accepts: "an array of non-empty strings",
    read: text_list,
};

/// Environment variables.
pub(crate) const ENVIRONMENT: Kind<BTreeMap<String, String>> = Kind {
    accepts: "a table of variable names and string values",
    read: environment,
};

fn duration(value: &Value, positive: bool) -> Result<Duration, Mismatch> {
    let Value::String(text) = value else {
        return Err(Mismatch::expected(
            "a string: an integer and ms, s or m, such as \"2s\"",
        ));
    };
    match text.parse::<DurationSetting>() {
        Ok(DurationSetting(duration)) if positive && duration.is_zero() => {
            Err(Mismatch::expected("a duration above zero, such as \"10s\""))
        }
        Ok(DurationSetting(duration)) => Ok(duration),
        Err(_) => Err(Mismatch::expected(
            "an integer and ms, s or m, such as \"200ms\" or \"2s\", at most one day",
        )),
    }
}

fn size(value: &Value) -> Result<NonZeroUsize, Mismatch> {
    let Value::String(text) = value else {
        return Err(Mismatch::expected(
            "a string: an integer and B, KiB or MiB, such as \"64KiB\"",
        ));
    };
    let bytes = text.parse::<SizeSetting>().map_err(|_| {
        Mismatch::expected("an integer and B, KiB or MiB, such as \"64KiB\", at most 1 GiB")
    })?;
    usize::try_from(bytes.0)
        .ok()
        .and_then(NonZeroUsize::new)
        .ok_or_else(|| Mismatch::expected("a size above zero, such as \"64KiB\""))
}

fn count(value: &Value) -> Result<NonZeroUsize, Mismatch> {
    value
        .as_integer()
        .and_then(|number| usize::try_from(number).ok())
        .and_then(NonZeroUsize::new)
        .ok_or_else(|| Mismatch::expected("a positive integer"))
}

fn u32_value(value: &Value) -> Result<u32, Mismatch> {
    value
        .as_integer()
        .and_then(|number| u32::try_from(number).ok())
        .ok_or_else(|| Mismatch::expected("an integer from 0 to 4294967295"))
}

fn text(value: &Value) -> Result<String, Mismatch> {
    match value.as_str() {
        Some(text) if !text.trim().is_empty() => Ok(text.to_owned()),
        _ => Err(Mismatch::expected("a non-empty string")),
    }
}

fn program(value: &Value) -> Result<PathBuf, Mismatch> {
    match value.as_str() {
        Some(text) if text.contains('\0') => Err(Mismatch::expected(
            "a path without a NUL byte (it contains one, which no file name can hold)",
        )),
        Some(text) if !text.is_empty() => Ok(PathBuf::from(text)),
        _ => Err(Mismatch::expected(
            "a non-empty string: the path of the PROMETEU runtime, such as \"tools/prometeu\", or a program name on PATH",
        )),
    }
}

fn one_of<T: Copy>(
    value: &Value,
    choices: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, Mismatch> {
    let text = value.as_str().unwrap_or_default();
    choices
        .iter()
        .copied()
        .find(|choice| name(*choice) == text && value.is_str())
        .ok_or_else(|| {
            let quoted: Vec<String> = choices
                .iter()
                .map(|choice| format!("\"{}\"", name(*choice)))
                .collect();
            Mismatch::expected(or_list(&quoted))
        })
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
fn or_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn socket_address(value: &Value) -> Result<SocketAddr, Mismatch> {
    value
        .as_str()
        .and_then(|text| text.parse::<SocketAddr>().ok())
        .filter(|address| address.port() != 0)
        .ok_or_else(|| {
            Mismatch::expected(
                "an IP literal and a non-zero port, such as \"127.0.0.1:7777\" or \"[::1]:7777\" (no host name: it must match the runtime's own setting)",
            )
        })
}

fn command(value: &Value) -> Result<Vec<String>, Mismatch> {
    let words =
        strings(value).filter(|words| words.first().is_some_and(|program| !program.is_empty()));
    if words
        .as_ref()
        .is_some_and(|words| words.iter().any(|word| word.contains('\0')))
    {
        return Err(Mismatch::expected(
            "words without a NUL byte (one contains one, which no program name or argument can hold)",
        ));
    }
    words.ok_or_else(|| {
        Mismatch::expected(
            "a non-empty array of strings: the program, then its arguments, such as [\"prometeuc\", \"build\", \".\"]",
        )
    })
}

fn text_list(value: &Value) -> Result<Vec<String>, Mismatch> {
    strings(value)
        .filter(|words| words.iter().all(|word| !word.is_empty()))
        .ok_or_else(|| Mismatch::expected("an array of non-empty strings"))
}

/// An array whose every element is a string.
fn strings(value: &Value) -> Option<Vec<String>> {
    value
        .as_array()?
        .iter()
        .map(|item| item.as_str().map(str::to_owned))
        .collect()
}

fn environment(value: &Value) -> Result<BTreeMap<String, String>, Mismatch> {
    let Value::Table(table) = value else {
        return Err(Mismatch::expected(
            "a table of strings, such as { RUST_LOG = \"info\" }",
        ));
    };
    let mut variables = BTreeMap::new();
    for (name, value) in table {
        if name.is_empty() || name.contains(['=', '\0']) {
            return Err(Mismatch::in_entry(
                name,
                format!("the variable name {name:?}"),
                "a variable name that is not empty and has no '=' or NUL character",
            ));
        }
        match value.as_str() {
            Some(text) if !text.contains('\0') => {
                variables.insert(name.clone(), text.to_owned());
            }
            Some(_) => {
                return Err(Mismatch::in_entry(
                    name,
                    describe(value),
                    "a value without NUL characters",
                ));
            }
            None => {
                return Err(Mismatch::in_entry(
                    name,
                    describe(value),
                    "a string (write numbers in quotes: \"1\")",
                ));
            }
        }
    }
    Ok(variables)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(text: &str) -> Value {
        Value::String(text.to_owned())
    }

    #[test]
    fn debug_addresses_need_an_ip_literal_and_a_fixed_port() {
        let read = SOCKET_ADDRESS.read;
        assert!(read(&string("127.0.0.1:7777")).is_ok());
        assert!(read(&string("[::1]:9000")).is_ok());
        for bad in [
            "localhost:7777",
            "127.0.0.1",
            "127.0.0.1:0",
            "127.0.0.1:70000",
        ] {
            assert!(read(&string(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_entries_are_named_in_errors() {
        let table: Value = toml::from_str::<toml::Table>("env = { \"A=B\" = \"x\" }")
            .expect("toml")
            .remove("env")
            .expect("env");
        let error = (ENVIRONMENT.read)(&table).expect_err("bad name");
        let (entry, _) = error.entry.expect("names the entry");
        assert_eq!(entry, "A=B");
    }

    #[test]
    fn app_ids_span_exactly_the_u32_range() {
        for (id, fits) in [
            (0, true),
            (4_294_967_295, true),
            (-1, false),
            (4_294_967_296, false),
        ] {
            assert_eq!((U32.read)(&Value::Integer(id)).is_ok(), fits, "{id}");
        }
    }

    #[test]
    fn choices_are_case_sensitive_strings() {
        assert_eq!((APP_MODE.read)(&string("Game")), Ok(AppMode::Game));
        assert!((APP_MODE.read)(&string("game")).is_err());
        assert_eq!((RUN_MODE.read)(&string("debug")), Ok(RunMode::Debug));
        let error = (RUN_MODE.read)(&Value::Integer(1)).expect_err("not a string");
        assert_eq!(error.expected, "\"run\" or \"debug\"");
    }
}
