//! Flags that override settings of the file. Each is read by the same kind as the key it
//! overrides, so a value refused in the file is refused as a flag, with the same words.

use std::path::PathBuf;

use toml::Value;

use super::catalogue::{self, Setting};
use super::load::ConfigFile;

/// The overriding flags, as given on the command line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--runtime`: overrides `[runtime] path`.
    pub runtime: Option<FlagPath>,
    /// `--mode`: overrides `[runtime] mode`.
    pub mode: Option<String>,
    /// `--debug-address`: overrides `[runtime] debug_address`.
    pub debug_address: Option<String>,
}

/// A path given as a flag: it resolves against the directory the command ran in, not the
/// project root (a name without `/` is still looked up on `PATH`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagPath {
    /// As given.
    pub given: PathBuf,
    /// The current directory when it was given.
    pub base: PathBuf,
}

/// A flag's value that the setting it overrides refuses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag} {value}: expected {expected}")]
pub struct FlagError {
    /// `--debug-address`.
    pub flag: &'static str,
    /// The value as given, control characters escaped.
    pub value: String,
    /// What the setting takes.
    pub expected: String,
}

impl Overrides {
    /// Applies the flags to `config`, checking each as its key would be checked.
    ///
    /// `--runtime` is checked here for its form only; whether it names a program that can run
    /// is checked with the rest of the runtime path (see `run_settings`).
    pub fn apply(&self, config: &mut ConfigFile) -> Result<(), FlagError> {
        if let Some(mode) = &self.mode {
            config.runtime.mode = read_flag(&catalogue::RUNTIME_MODE, mode)?;
        }
        if let Some(address) = &self.debug_address {
            config.runtime.debug_address = read_flag(&catalogue::DEBUG_ADDRESS, address)?;
        }
        if let Some(path) = &self.runtime {
            let given = path.given.to_string_lossy();
            read_flag(&catalogue::RUNTIME_PATH, &given)?;
        }
        Ok(())
    }
}

/// Reads `--mode` alone, as `[runtime] mode` reads it (a client passes it to a server, which
/// reads the rest of the configuration itself).
pub fn read_mode_flag(text: &str) -> Result<session_domain::RunMode, FlagError> {
    read_flag(&catalogue::RUNTIME_MODE, text)
}

/// Reads a flag's text as its setting would read the same string in the file.
fn read_flag<T>(setting: &Setting<T>, text: &str) -> Result<T, FlagError> {
    let flag = setting.flag.unwrap_or(setting.key);
    (setting.kind.read)(&Value::String(text.to_owned())).map_err(|mismatch| FlagError {
        flag,
        value: shown(text),
        expected: mismatch.expected,
    })
}

/// Text of the user's as it may reach stderr: as written, or quoted with escapes when it holds
/// a control character (or nothing at all).
fn shown(text: &str) -> String {
    if text.is_empty() || text.chars().any(char::is_control) {
        format!("{text:?}")
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_error_names_the_flag_and_what_its_key_takes() {
        let error = read_flag(&catalogue::DEBUG_ADDRESS, "127.0.0.1:0").expect_err("port 0");
        assert_eq!(
            error.to_string(),
            "--debug-address 127.0.0.1:0: expected an IP literal and a non-zero port, such as \"127.0.0.1:7777\" or \"[::1]:7777\" (no host name: it must match the runtime's own setting)"
        );
        let error = read_flag(&catalogue::RUNTIME_MODE, "fast\u{1b}[2J").expect_err("mode");
        assert_eq!(
            error.to_string(),
            "--mode \"fast\\u{1b}[2J\": expected \"run\" or \"debug\""
        );
    }
}
