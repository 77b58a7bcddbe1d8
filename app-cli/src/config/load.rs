//! Reading and validating `prometeu-session.toml`.

use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use adapter_runtime::RuntimeConfig;
use adapter_shipper::{CartridgeConfig, ShipperConfig};
use session_domain::EVENT_OVERHEAD_BYTES;
use session_ports::{DurationSetting, InvalidSetting, SizeSetting};
use toml::{Table, Value};

use super::schema::{Kind, REQUIRED_CARTRIDGE_KEYS, TABLES, check, describe, nearest};

/// The file every command reads unless `--config` names another.
pub const CONFIG_FILE_NAME: &str = "prometeu-session.toml";

/// A configuration file, read and validated.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// `[session]`.
    pub session: SessionSection,
    /// `[log]`.
    pub log: LogSection,
    /// `[runtime]`.
    pub runtime: RuntimeConfig,
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
    /// Bytes held for late subscribers (64 per event plus its text).
    pub buffer_bytes: NonZeroUsize,
}

impl Default for SessionSection {
    fn default() -> Self {
        Self {
            stop_grace: Duration::from_secs(2),
            pipe_grace: Duration::from_millis(200),
        }
    }
}

impl Default for LogSection {
    fn default() -> Self {
        Self {
            max_line: NonZeroUsize::new(64 * 1024).unwrap_or(NonZeroUsize::MIN),
            buffer_events: NonZeroUsize::new(100_000).unwrap_or(NonZeroUsize::MIN),
            buffer_bytes: NonZeroUsize::new(16 * 1024 * 1024).unwrap_or(NonZeroUsize::MIN),
        }
    }
}

/// Why a configuration file cannot be used. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file does not exist.
    #[error("{}: no such file; run `prometeu-session init` in the project (or pass --project DIR or --config FILE)", path.display())]
    Missing {
        /// The path looked at.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("{}: cannot read it: {source}", path.display())]
    Unreadable {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{}:{line}:{column}: not valid TOML: {message}", path.display())]
    Syntax {
        /// The path.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the parser said.
        message: String,
    },
    /// A key no table has.
    #[error("{}: {place}: unknown key{hint}", path.display())]
    UnknownKey {
        /// The path.
        path: PathBuf,
        /// `[runtime] pth`, or `pth` at the top level.
        place: String,
        /// `; did you mean …?`, or the list of known keys.
        hint: String,
    },
    /// A value of the wrong kind or out of range.
    #[error("{}: {setting}", path.display())]
    Invalid {
        /// The path.
        path: PathBuf,
        /// Which table and key, what was found and what was expected.
        setting: InvalidSetting,
    },
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
    let table: Table = text.parse().map_err(|error: toml::de::Error| {
        let (line, column) = error
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        ConfigError::Syntax {
            path: path.to_owned(),
            line,
            column,
            message: error.message().trim().to_owned(),
        }
    })?;
    let invalid = |setting: InvalidSetting| ConfigError::Invalid {
        path: path.to_owned(),
        setting,
    };
    walk(path, &table)?;

    let section = |name: &str| table.get(name).and_then(Value::as_table);
    let session = SessionSection {
        stop_grace: duration(section("session"), "stop_grace")
            .unwrap_or(SessionSection::default().stop_grace),
        pipe_grace: duration(section("session"), "pipe_grace")
            .unwrap_or(SessionSection::default().pipe_grace),
    };
    let defaults = LogSection::default();
    let log = LogSection {
        max_line: size(section("log"), "max_line").unwrap_or(defaults.max_line),
        buffer_events: section("log")
            .and_then(|log| log.get("buffer_events"))
            .and_then(Value::as_integer)
            .and_then(|count| usize::try_from(count).ok())
            .and_then(NonZeroUsize::new)
            .unwrap_or(defaults.buffer_events),
        buffer_bytes: size(section("log"), "buffer_bytes").unwrap_or(defaults.buffer_bytes),
    };
    let needed = log.max_line.get().saturating_add(EVENT_OVERHEAD_BYTES);
    if log.buffer_bytes.get() < needed {
        let written = section("log").is_some_and(|log| log.contains_key("buffer_bytes"));
        let setting = if written {
            InvalidSetting {
                table: "log".into(),
                key: "buffer_bytes".into(),
                found: format!("\"{}\"", SizeSetting(log.buffer_bytes.get() as u64)),
                expected: format!(
                    "at least max_line + 64 bytes ({needed} bytes), so that the longest line fits"
                ),
            }
        } else {
            InvalidSetting {
                table: "log".into(),
                key: "max_line".into(),
                found: format!("\"{}\"", SizeSetting(log.max_line.get() as u64)),
                expected: format!(
                    "at most buffer_bytes - 64 bytes (buffer_bytes is {} by default); raise [log] buffer_bytes too",
                    SizeSetting(log.buffer_bytes.get() as u64)
                ),
            }
        };
        return Err(invalid(setting));
    }

    let runtime: RuntimeConfig = typed(path, &table, "runtime")?.unwrap_or_default();
    runtime.validate().map_err(invalid)?;
    let shipper: ShipperConfig = typed(path, &table, "shipper")?.unwrap_or_default();
    shipper.validate().map_err(invalid)?;
    let cartridge = match section("cartridge") {
        None => None,
        Some(cartridge) => {
            if let Some(missing) = REQUIRED_CARTRIDGE_KEYS
                .iter()
                .find(|key| !cartridge.contains_key(**key))
            {
                return Err(invalid(InvalidSetting {
                    table: "cartridge".into(),
                    key: (*missing).into(),
                    found: "nothing".into(),
                    expected: format!(
                        "a value: [cartridge] needs {} (or remove the whole table and let the pack step write build/manifest.json)",
                        REQUIRED_CARTRIDGE_KEYS.join(", ")
                    ),
                }));
            }
            let cartridge: Option<CartridgeConfig> = typed(path, &table, "cartridge")?;
            if let Some(cartridge) = &cartridge {
                cartridge.validate().map_err(invalid)?;
            }
            cartridge
        }
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

/// Checks every table and key against the schema, in file order.
fn walk(path: &Path, file: &Table) -> Result<(), ConfigError> {
    let all_tables = TABLES.iter().map(|table| table.name);
    for (name, value) in file {
        let Some(schema) = TABLES.iter().find(|table| table.name == name) else {
            let hint = match (value, nearest(name, all_tables.clone())) {
                (Value::Table(_), Some(table)) => format!("; did you mean [{table}]?"),
                _ => match TABLES.iter().find_map(|table| {
                    nearest(name, table.keys.iter().map(|(key, _)| *key))
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
        };
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
        for (key, value) in table {
            let Some((_, kind)) = schema.keys.iter().find(|(known, _)| known == key) else {
                let known = schema.keys.iter().map(|(known, _)| *known);
                let hint = match nearest(key, known.clone()) {
                    Some(suggestion) => format!("; did you mean `{suggestion}`?"),
                    None => format!("; [{name}] takes {}", known.collect::<Vec<_>>().join(", ")),
                };
                return Err(ConfigError::UnknownKey {
                    path: path.to_owned(),
                    place: format!("[{name}] {key}"),
                    hint,
                });
            };
            if let (Kind::TextMap, Value::Table(entries)) = (kind, value) {
                if let Some((entry, found)) = entries.iter().find(|(_, entry)| !entry.is_str()) {
                    return Err(ConfigError::Invalid {
                        path: path.to_owned(),
                        setting: InvalidSetting {
                            table: name.clone(),
                            key: format!("{key}.{entry}"),
                            found: describe(found),
                            expected: "a string (write numbers in quotes: \"1\")".into(),
                        },
                    });
                }
            }
            if let Err(expected) = check(*kind, value) {
                return Err(ConfigError::Invalid {
                    path: path.to_owned(),
                    setting: InvalidSetting {
                        table: name.clone(),
                        key: key.clone(),
                        found: describe(value),
                        expected,
                    },
                });
            }
        }
    }
    Ok(())
}

fn typed<T: serde::de::DeserializeOwned>(
    path: &Path,
    file: &Table,
    name: &str,
) -> Result<Option<T>, ConfigError> {
    let Some(value) = file.get(name) else {
        return Ok(None);
    };
    value
        .clone()
        .try_into()
        .map(Some)
        .map_err(|error: toml::de::Error| ConfigError::Invalid {
            path: path.to_owned(),
            setting: InvalidSetting {
                table: name.to_owned(),
                key: "(the table itself)".into(),
                found: describe(value),
                expected: error.message().trim().to_owned(),
            },
        })
}

fn duration(table: Option<&Table>, key: &str) -> Option<Duration> {
    table?
        .get(key)?
        .as_str()?
        .parse::<DurationSetting>()
        .ok()
        .map(|setting| setting.0)
}

fn size(table: Option<&Table>, key: &str) -> Option<NonZeroUsize> {
    let bytes = table?.get(key)?.as_str()?.parse::<SizeSetting>().ok()?.0;
    NonZeroUsize::new(usize::try_from(bytes).ok()?)
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
