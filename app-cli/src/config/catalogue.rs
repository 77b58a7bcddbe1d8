//! Every setting of `prometeu-session.toml`, defined once: its table and key, the kind of value
//! it takes (with its bounds), its default, what it means, and the flag that overrides it.
//!
//! The loader reads the file through these definitions, flags are checked by the same kinds,
//! and the `init` template and the reference page (`docs/configuration.md`) are generated from
//! them, so none of those can disagree about a default or a bound.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::time::Duration;

use adapter_shipper::AppMode;
use session_domain::RunMode;
use toml::Value;

#[cfg(test)]
use super::kinds::Mismatch;
use super::kinds::{self, Kind};

/// One key of the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Setting<T> {
    /// Its table, without brackets.
    pub(crate) table: &'static str,
    /// Its key.
    pub(crate) key: &'static str,
    /// What it takes.
    pub(crate) kind: Kind<T>,
    /// What an absent key means.
    pub(crate) presence: Presence,
    /// What it does, in one line.
    pub(crate) help: &'static str,
    /// The flag that overrides it, if there is one.
    pub(crate) flag: Option<&'static str>,
}

/// What an absent key means. Literals are written in TOML.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Presence {
    /// This value.
    Default(&'static str),
    /// No value; the template writes this placeholder for people to edit.
    Optional {
        /// A TOML literal.
        placeholder: &'static str,
    },
    /// The key must be written whenever its table is; the template shows this example.
    Required {
        /// A TOML literal.
        example: &'static str,
    },
}

impl Presence {
    /// The literal the template writes.
    pub(crate) fn template_value(self) -> &'static str {
        match self {
            Self::Default(literal)
            | Self::Optional {
                placeholder: literal,
            }
            | Self::Required { example: literal } => literal,
        }
    }
}

/// One table of the file, as the template and the reference page present it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableInfo {
    /// Without brackets.
    pub(crate) name: &'static str,
    /// A note on the table, after its header.
    pub(crate) note: Option<&'static str>,
    /// Absent unless written (the template writes it commented out).
    pub(crate) optional: bool,
}

/// What every setting says about itself, whatever the type of its value.
pub(crate) trait AnySetting: Sync {
    /// Its table.
    fn table(&self) -> &'static str;
    /// Its key.
    fn key(&self) -> &'static str;
    /// What an absent key means.
    fn presence(&self) -> Presence;
    /// What it does.
    fn help(&self) -> &'static str;
    /// What it accepts.
    fn accepts(&self) -> &'static str;
    /// The flag that overrides it.
    fn flag(&self) -> Option<&'static str>;
    /// Reads a value, discarding it: `Err` says what was expected.
    #[cfg(test)]
    fn check(&self, value: &Value) -> Result<(), Mismatch>;
}

impl<T> AnySetting for Setting<T> {
    fn table(&self) -> &'static str {
        self.table
    }
    fn key(&self) -> &'static str {
        self.key
    }
    fn presence(&self) -> Presence {
        self.presence
    }
    fn help(&self) -> &'static str {
        self.help
    }
    fn accepts(&self) -> &'static str {
        self.kind.accepts
    }
    fn flag(&self) -> Option<&'static str> {
        self.flag
    }
    #[cfg(test)]
    fn check(&self, value: &Value) -> Result<(), Mismatch> {
        (self.kind.read)(value).map(drop)
    }
}

/// The tables, in the order the template writes them.
pub(crate) const TABLES: &[TableInfo] = &[
    TableInfo {
        name: "session",
        note: None,
        optional: false,
    },
    TableInfo {
        name: "log",
        note: None,
        optional: false,
    },
    TableInfo {
        name: "runtime",
        note: Some("needed by `play` only"),
        optional: false,
    },
    TableInfo {
        name: "shipper",
        note: Some("one command per step (program, then arguments), run in the project root"),
        optional: false,
    },
    TableInfo {
        name: "cartridge",
        note: Some(
            "with it, the session writes build/manifest.json after pack; without it, pack must",
        ),
        optional: true,
    },
];

/// `[session] stop_grace`.
pub(crate) const STOP_GRACE: Setting<Duration> = Setting {
    table: "session",
    key: "stop_grace",
    kind: kinds::DURATION,
    presence: Presence::Default("\"2s\""),
    help: "on stop: SIGTERM to each process group, SIGKILL after this (\"0s\" kills at once)",
    flag: None,
};

/// `[session] pipe_grace`.
pub(crate) const PIPE_GRACE: Setting<Duration> = Setting {
    table: "session",
    key: "pipe_grace",
    kind: kinds::DURATION,
    presence: Presence::Default("\"200ms\""),
    help: "after a process exits, how long its pipes may stay open before its leftovers are ended",
    flag: None,
};

/// `[log] max_line`.
pub(crate) const MAX_LINE: Setting<NonZeroUsize> = Setting {
    table: "log",
    key: "max_line",
    kind: kinds::SIZE,
    presence: Presence::Default("\"64KiB\""),
    help: "longer lines are cut (and marked truncated)",
    flag: None,
};

/// `[log] buffer_events`.
pub(crate) const BUFFER_EVENTS: Setting<NonZeroUsize> = Setting {
    table: "log",
    key: "buffer_events",
    kind: kinds::COUNT,
    presence: Presence::Default("100000"),
    help: "events kept for frontends that attach late",
    flag: None,
};

/// `[log] buffer_bytes`.
pub(crate) const BUFFER_BYTES: Setting<NonZeroUsize> = Setting {
    table: "log",
    key: "buffer_bytes",
    kind: kinds::SIZE,
    presence: Presence::Default("\"16MiB\""),
    help: "bytes kept for them by `serve` (what each event really takes); at least max_line + 256",
    flag: None,
};

/// `[runtime] path`.
pub(crate) const RUNTIME_PATH: Setting<PathBuf> = Setting {
    table: "runtime",
    key: "path",
    kind: kinds::PROGRAM,
    presence: Presence::Optional {
        placeholder: "\"path/to/prometeu\"",
    },
    help: "the PROMETEU runtime executable; `play` needs it (or --runtime)",
    flag: Some("--runtime"),
};

/// `[runtime] mode`.
pub(crate) const RUNTIME_MODE: Setting<RunMode> = Setting {
    table: "runtime",
    key: "mode",
    kind: kinds::RUN_MODE,
    presence: Presence::Default("\"run\""),
    help: "\"run\": \"<path> run build\"; \"debug\": \"<path> debug build\" + DevTools handshake",
    flag: Some("--mode"),
};

/// `[runtime] debug_address`.
pub(crate) const DEBUG_ADDRESS: Setting<SocketAddr> = Setting {
    table: "runtime",
    key: "debug_address",
    kind: kinds::SOCKET_ADDRESS,
    presence: Presence::Default("\"127.0.0.1:7777\""),
    help: "debug mode: where the runtime's DevTools socket listens; must match the runtime's own setting",
    flag: Some("--debug-address"),
};

/// `[runtime] handshake_timeout`.
pub(crate) const HANDSHAKE_TIMEOUT: Setting<Duration> = Setting {
    table: "runtime",
    key: "handshake_timeout",
    kind: kinds::POSITIVE_DURATION,
    presence: Presence::Default("\"10s\""),
    help: "debug mode: from spawn to handshake completed",
    flag: None,
};

/// `[runtime] env`.
pub(crate) const RUNTIME_ENV: Setting<BTreeMap<String, String>> = Setting {
    table: "runtime",
    key: "env",
    kind: kinds::ENVIRONMENT,
    presence: Presence::Default("{ }"),
    help: "added to the runtime's environment, such as { RUST_LOG = \"info\" }",
    flag: None,
};

/// `[shipper] build`.
pub(crate) const BUILD: Setting<Vec<String>> = Setting {
    table: "shipper",
    key: "build",
    kind: kinds::COMMAND,
    presence: Presence::Default("[\"prometeuc\", \"build\", \".\"]"),
    help: "the build step",
    flag: None,
};

/// `[shipper] pack-validation`.
pub(crate) const PACK_VALIDATION: Setting<Vec<String>> = Setting {
    table: "shipper",
    key: "pack-validation",
    kind: kinds::COMMAND,
    presence: Presence::Default("[\"prometeu-packer\", \"validate\"]"),
    help: "the validation step; when it fails, nothing is packed or run",
    flag: None,
};

/// `[shipper] pack`.
pub(crate) const PACK: Setting<Vec<String>> = Setting {
    table: "shipper",
    key: "pack",
    kind: kinds::COMMAND,
    presence: Presence::Default("[\"prometeu-packer\", \"pack\"]"),
    help: "the pack step, which fills build/",
    flag: None,
};

/// `[shipper] env`.
pub(crate) const SHIPPER_ENV: Setting<BTreeMap<String, String>> = Setting {
    table: "shipper",
    key: "env",
    kind: kinds::ENVIRONMENT,
    presence: Presence::Default("{ }"),
    help: "added to every step's environment",
    flag: None,
};

/// `[cartridge] app_id`.
pub(crate) const APP_ID: Setting<u32> = Setting {
    table: "cartridge",
    key: "app_id",
    kind: kinds::U32,
    presence: Presence::Required { example: "1" },
    help: "the application id",
    flag: None,
};

/// `[cartridge] title`.
pub(crate) const TITLE: Setting<String> = Setting {
    table: "cartridge",
    key: "title",
    kind: kinds::TEXT,
    presence: Presence::Required {
        example: "\"ColorSquare\"",
    },
    help: "the title shown to players",
    flag: None,
};

/// `[cartridge] app_version`.
pub(crate) const APP_VERSION: Setting<String> = Setting {
    table: "cartridge",
    key: "app_version",
    kind: kinds::TEXT,
    presence: Presence::Required {
        example: "\"1.0.0\"",
    },
    help: "the application's version, written as given",
    flag: None,
};

/// `[cartridge] app_mode`.
pub(crate) const APP_MODE: Setting<AppMode> = Setting {
    table: "cartridge",
    key: "app_mode",
    kind: kinds::APP_MODE,
    presence: Presence::Required {
        example: "\"Game\"",
    },
    help: "what kind of application the cartridge is",
    flag: None,
};

/// `[cartridge] entrypoint`.
pub(crate) const ENTRYPOINT: Setting<String> = Setting {
    table: "cartridge",
    key: "entrypoint",
    kind: kinds::TEXT,
    presence: Presence::Required {
        example: "\"main\"",
    },
    help: "the entry point the runtime starts",
    flag: None,
};

/// `[cartridge] capabilities`.
pub(crate) const CAPABILITIES: Setting<Vec<String>> = Setting {
    table: "cartridge",
    key: "capabilities",
    kind: kinds::TEXT_LIST,
    presence: Presence::Default("[]"),
    help: "what the cartridge asks of the console, such as [\"Asset\"]; not checked further",
    flag: None,
};

/// Every setting, table by table in [`TABLES`] order.
pub(crate) static ALL: &[&dyn AnySetting] = &[
    &STOP_GRACE,
    &PIPE_GRACE,
    &MAX_LINE,
    &BUFFER_EVENTS,
    &BUFFER_BYTES,
    &RUNTIME_PATH,
    &RUNTIME_MODE,
    &DEBUG_ADDRESS,
    &HANDSHAKE_TIMEOUT,
    &RUNTIME_ENV,
    &BUILD,
    &PACK_VALIDATION,
    &PACK,
    &SHIPPER_ENV,
    &APP_ID,
    &TITLE,
    &APP_VERSION,
    &APP_MODE,
    &ENTRYPOINT,
    &CAPABILITIES,
];

/// The settings of one table, in order.
pub(crate) fn settings_of(table: &str) -> impl Iterator<Item = &'static dyn AnySetting> + Clone {
    ALL.iter()
        .copied()
        .filter(move |setting| setting.table() == table)
}

/// A TOML literal (a default, a placeholder, an example) as a value.
pub(crate) fn literal(text: &str) -> Option<Value> {
    let mut table: toml::Table = format!("value = {text}").parse().ok()?;
    table.remove("value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_literal_is_a_valid_value_of_its_setting() {
        for setting in ALL {
            let text = setting.presence().template_value();
            let value = literal(text).unwrap_or_else(|| {
                panic!(
                    "[{}] {}: {text} is not TOML",
                    setting.table(),
                    setting.key()
                )
            });
            let checked = setting.check(&value);
            assert!(
                checked.is_ok(),
                "[{}] {}: {text}: {checked:?}",
                setting.table(),
                setting.key()
            );
        }
    }

    #[test]
    fn settings_are_grouped_by_table_in_table_order() {
        let tables: Vec<&str> = ALL.iter().map(|setting| setting.table()).collect();
        let mut expected: Vec<&str> = Vec::new();
        for table in TABLES {
            expected.extend(settings_of(table.name).map(|setting| setting.table()));
        }
        assert_eq!(tables, expected);
        for setting in ALL {
            let same = ALL
                .iter()
                .filter(|other| other.table() == setting.table() && other.key() == setting.key())
                .count();
            assert_eq!(
                same,
                1,
                "[{}] {} is defined twice",
                setting.table(),
                setting.key()
            );
        }
    }
}
