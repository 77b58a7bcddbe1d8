//! Why a configuration file cannot be used: one line, naming the file.

use std::path::PathBuf;

use session_ports::InvalidSetting;

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
