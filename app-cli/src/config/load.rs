//! Reading `prometeu-session.toml` through the catalogue into typed values.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use adapter_shipper::{CartridgeConfig, ShipperConfig};
use session_domain::{LONGEST_LINE_MARGIN_BYTES, RunMode};
use session_ports::{InvalidSetting, SizeSetting};
use toml::{Table, Value};

use super::catalogue::{self, Presence, Setting, TABLES, literal, settings_of};
use super::error::ConfigError;
use super::kinds::{Mismatch, describe};
use super::suggest::nearest;

/// The file every command reads unless `--config` names another.
pub const CONFIG_FILE_NAME: &str = "prometeu-session.toml";

/// A configuration file, read and validated: every value typed, every default applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// `[session]`.
    pub session: SessionSection,
    /// `[log]`.
    pub log: LogSection,
    /// `[runtime]`.
    pub runtime: RuntimeSection,
    /// `[shipper]`.
    pub shipper: ShipperConfig,
    /// `[cartridge]`, when present.
    pub cartridge: Option<CartridgeConfig>,
}

/// `[session]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionSection {
    /// SIGTERM, then SIGKILL after this.
    pub stop_grace: Duration,
    /// How long pipes may outlive their process before its group is ended.
    pub pipe_grace: Duration,
}

/// `[log]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSection {
    /// Lines are cut at this many bytes.
    pub max_line: NonZeroUsize,
    /// Events held for late subscribers.
    pub buffer_events: NonZeroUsize,
    /// Bytes held for late subscribers (what each event's record, text and batch really take);
    /// at least `max_line` + 256.
    pub buffer_bytes: NonZeroUsize,
}

/// `[runtime]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSection {
    /// The runtime program as written (relative to the project root, or a name on `PATH`);
    /// not checked on disk here.
    pub path: Option<PathBuf>,
    /// `run` or `debug`.
    pub mode: RunMode,
    /// Debug mode: the DevTools address (a non-zero port).
    pub debug_address: SocketAddr,
    /// Debug mode: from spawn to handshake completed (above zero).
    pub handshake_timeout: Duration,
    /// Variables added to the runtime's environment.
    pub env: BTreeMap<String, String>,
}

/// Reads and validates the file at `path`; only the first problem is reported.
pub fn load(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(ConfigError::Missing {
                path: path.to_owned(),
            });
        }
        Err(source) => {
            return Err(ConfigError::Unreadable {
                path: path.to_owned(),
                source,
            });
        }
    };
    parse(path, &text)
}

/// Validates the text of a configuration file read from `path`.
pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
    let file: Table = text.parse().map_err(|error: toml::de::Error| {
        let (line, column) = error
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        ConfigError::Syntax {
            path: path.to_owned(),
            line,
            column,
            message: syntax_message(text, &error),
        }
    })?;
    check_names(path, &file)?;
    let reader = Reader { path, file: &file };

    let session = SessionSection {
        stop_grace: reader.read(&catalogue::STOP_GRACE)?,
        pipe_grace: reader.read(&catalogue::PIPE_GRACE)?,
    };
    let log = LogSection {
        max_line: reader.read(&catalogue::MAX_LINE)?,
        buffer_events: reader.read(&catalogue::BUFFER_EVENTS)?,
        buffer_bytes: reader.read(&catalogue::BUFFER_BYTES)?,
    };
    check_the_longest_line_fits(&reader, log)?;
    let runtime = RuntimeSection {
        path: reader.read_optional(&catalogue::RUNTIME_PATH)?,
        mode: reader.read(&catalogue::RUNTIME_MODE)?,
        debug_address: reader.read(&catalogue::DEBUG_ADDRESS)?,
        handshake_timeout: reader.read(&catalogue::HANDSHAKE_TIMEOUT)?,
        env: reader.read(&catalogue::RUNTIME_ENV)?,
    };
    let shipper = ShipperConfig {
        build: reader.read(&catalogue::BUILD)?,
        pack_validation: reader.read(&catalogue::PACK_VALIDATION)?,
        pack: reader.read(&catalogue::PACK)?,
        env: reader.read(&catalogue::SHIPPER_ENV)?,
    };
    let cartridge = if file.contains_key("cartridge") {
        Some(CartridgeConfig {
            app_id: reader.read(&catalogue::APP_ID)?,
            title: reader.read(&catalogue::TITLE)?,
            app_version: reader.read(&catalogue::APP_VERSION)?,
            app_mode: reader.read(&catalogue::APP_MODE)?,
            entrypoint: reader.read(&catalogue::ENTRYPOINT)?,
            capabilities: reader.read(&catalogue::CAPABILITIES)?,
        })
    } else {
        None
    };
    Ok(ConfigFile {
        path: path.to_owned(),
        session,
        log,
        runtime,
        shipper,
        cartridge,
    })
}

/// Reads settings out of a file whose names were checked.
struct Reader<'a> {
    path: &'a Path,
    file: &'a Table,
}

impl Reader<'_> {
    /// A setting that always has a value: written, or its default (or, when required, an
    /// error if it is missing).
    fn read<T>(&self, setting: &Setting<T>) -> Result<T, ConfigError> {
        self.read_optional(setting)?
            .ok_or_else(|| self.missing(setting))
    }

    /// A setting that may have no value at all.
    fn read_optional<T>(&self, setting: &Setting<T>) -> Result<Option<T>, ConfigError> {
        let value = match (self.written(setting), setting.presence) {
            (Some(value), _) => Cow::Borrowed(value),
            (None, Presence::Optional { .. }) => return Ok(None),
            (None, Presence::Required { .. }) => return Err(self.missing(setting)),
            // A default that does not read is a bug, caught by the catalogue's tests; it is
            // still reported as one line rather than a panic.
            (None, Presence::Default(text)) => Cow::Owned(literal(text).ok_or_else(|| {
                self.invalid(
                    setting,
                    format!("the built-in default {text}"),
                    "TOML".into(),
                )
            })?),
        };
        (setting.kind.read)(&value)
            .map(Some)
            .map_err(|mismatch| self.mismatch(setting, &value, mismatch))
    }

    fn written<T>(&self, setting: &Setting<T>) -> Option<&Value> {
        self.file.get(setting.table)?.as_table()?.get(setting.key)
    }

    fn mismatch<T>(&self, setting: &Setting<T>, value: &Value, mismatch: Mismatch) -> ConfigError {
        let (key, found) = match mismatch.entry {
            Some((entry, found)) => (format!("{}.{entry}", setting.key), found),
            None => (setting.key.to_owned(), describe(value)),
        };
        ConfigError::Invalid {
            path: self.path.to_owned(),
            setting: InvalidSetting {
                table: setting.table.to_owned(),
                key,
                found,
                expected: mismatch.expected,
            },
        }
    }

    fn invalid<T>(&self, setting: &Setting<T>, found: String, expected: String) -> ConfigError {
        ConfigError::Invalid {
            path: self.path.to_owned(),
            setting: InvalidSetting {
                table: setting.table.to_owned(),
                key: setting.key.to_owned(),
                found,
                expected,
            },
        }
    }

    fn missing<T>(&self, setting: &Setting<T>) -> ConfigError {
        let required: Vec<&str> = settings_of(setting.table)
            .filter(|other| matches!(other.presence(), Presence::Required { .. }))
            .map(|other| other.key())
            .collect();
        self.invalid(
            setting,
            "nothing".into(),
            format!(
                "a value: [{}] needs {} (or remove the whole table and let the pack step write build/manifest.json)",
                setting.table,
                required.join(", ")
            ),
        )
    }
}

/// `buffer_bytes` must hold the longest line; the error names the key that was written.
fn check_the_longest_line_fits(reader: &Reader<'_>, log: LogSection) -> Result<(), ConfigError> {
    let needed = log.max_line.get().saturating_add(LONGEST_LINE_MARGIN_BYTES);
    if log.buffer_bytes.get() >= needed {
        return Ok(());
    }
    let shown = |bytes: NonZeroUsize| format!("\"{}\"", SizeSetting(bytes.get() as u64));
    Err(if reader.written(&catalogue::BUFFER_BYTES).is_some() {
        reader.invalid(
            &catalogue::BUFFER_BYTES,
            shown(log.buffer_bytes),
            format!("at least max_line + {LONGEST_LINE_MARGIN_BYTES} bytes ({needed} bytes), so that the longest line fits"),
        )
    } else {
        reader.invalid(
            &catalogue::MAX_LINE,
            shown(log.max_line),
            format!(
                "at most buffer_bytes - {LONGEST_LINE_MARGIN_BYTES} bytes (buffer_bytes is {} by default); raise [log] buffer_bytes too",
                SizeSetting(log.buffer_bytes.get() as u64)
            ),
        )
    })
}

/// Checks every table and key name against the catalogue, in file order.
fn check_names(path: &Path, file: &Table) -> Result<(), ConfigError> {
    let all_tables = TABLES.iter().map(|table| table.name);
    for (name, value) in file {
        if !TABLES.iter().any(|table| table.name == name) {
            let hint = match (value, nearest(name, all_tables.clone())) {
                (Value::Table(_), Some(table)) => format!("; did you mean [{table}]?"),
                _ => match TABLES.iter().find_map(|table| {
                    nearest(name, settings_of(table.name).map(|setting| setting.key()))
                        .map(|key| (table.name, key))
                }) {
                    Some((table, key)) => format!("; did you mean `{key}` in [{table}]?"),
                    None => format!(
                        "; the tables are {}",
                        all_tables
                            .clone()
                            .map(|t| format!("[{t}]"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                },
            };
            let place = if value.is_table() {
                format!("[{name}]")
            } else {
                name.clone()
            };
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                place,
                hint,
            });
        }
        let Value::Table(table) = value else {
            return Err(ConfigError::Invalid {
                path: path.to_owned(),
                setting: InvalidSetting {
                    table: name.clone(),
                    key: "(the table itself)".into(),
                    found: describe(value),
                    expected: format!(
                        "a table: write [{name}] on a line of its own, then its keys"
                    ),
                },
            });
        };
        let known = settings_of(name).map(|setting| setting.key());
        if let Some(key) = table.keys().find(|key| !known.clone().any(|k| k == *key)) {
            let hint = match nearest(key, known.clone()) {
                Some(suggestion) => format!("; did you mean `{suggestion}`?"),
                None => format!("; [{name}] takes {}", known.collect::<Vec<_>>().join(", ")),
            };
            return Err(ConfigError::UnknownKey {
                path: path.to_owned(),
                place: format!("[{name}] {key}"),
                hint,
            });
        }
    }
    Ok(())
}

/// What the TOML parser said, naming the key or table when it says only "duplicate key": in a
/// long file the position alone sends the user hunting for which of two entries is meant.
fn syntax_message(text: &str, error: &toml::de::Error) -> String {
    let message = error.message().trim();
    let named = error
        .span()
        .and_then(|span| Some((span.start, text.get(span)?.trim())))
        .filter(|(_, name)| !name.is_empty());
    match named {
        Some((start, name)) if message == "duplicate key" => {
            let line_start = text[..start].rfind('\n').map_or(0, |newline| newline + 1);
            if text[line_start..start].trim_start().starts_with('[') {
                format!("duplicate table [{name}]: a table may appear only once; merge the two")
            } else {
                format!("duplicate key `{name}`: a key may be set only once in its table; keep one")
            }
        }
        _ => message.to_owned(),
    }
}

fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}
