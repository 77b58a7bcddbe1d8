//! Where a log line comes from, how severe it is, and which stream carried it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the shipper's three preparation steps, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Compiles the project.
    Build,
    /// Validates what `pack` will pack.
    PackValidation,
    /// Packs the cartridge into `build/`.
    Pack,
}

impl Step {
    /// The steps in the order they run.
    pub const ORDER: [Self; 3] = [Self::Build, Self::PackValidation, Self::Pack];

    /// The step's name as it appears in config keys and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::PackValidation => "pack-validation",
            Self::Pack => "pack",
        }
    }

    /// The log source of the step's own output.
    pub fn source(self) -> Source {
        match self {
            Self::Build => Source::Build,
            Self::PackValidation => Source::PackValidation,
            Self::Pack => Source::Pack,
        }
    }
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The origin of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// The build step's output.
    Build,
    /// The pack-validation step's output.
    PackValidation,
    /// The pack step's output.
    Pack,
    /// Writing or checking `build/manifest.json`.
    Manifest,
    /// The runtime's output and DevTools messages.
    Runtime,
    /// The session's own account of what it does.
    Session,
}

impl Source {
    /// Every source, in a stable order.
    pub const ALL: [Self; 6] = [
        Self::Build,
        Self::PackValidation,
        Self::Pack,
        Self::Manifest,
        Self::Runtime,
        Self::Session,
    ];

    /// The name used on the wire and in `--source`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Build => "build",
            Self::PackValidation => "pack-validation",
            Self::Pack => "pack",
            Self::Manifest => "manifest",
            Self::Runtime => "runtime",
            Self::Session => "session",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|source| source.as_str() == name)
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How severe a log line is; ordered from `Trace` (least) to `Error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Finest detail.
    Trace,
    /// Diagnostic detail.
    Debug,
    /// Normal progress.
    Info,
    /// Something worth a look.
    Warn,
    /// A failure.
    Error,
}

impl Severity {
    /// Every severity, least severe first.
    pub const ALL: [Self; 5] = [
        Self::Trace,
        Self::Debug,
        Self::Info,
        Self::Warn,
        Self::Error,
    ];

    /// The name used on the wire and in `--min-severity`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Trace => "trace",
            Self::Debug => "debug",
            Self::Info => "info",
            Self::Warn => "warn",
            Self::Error => "error",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|severity| severity.as_str() == name)
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The channel a line was read from: present exactly for lines read from a pipe or the socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Stream {
    /// The process's standard output.
    Stdout,
    /// The process's standard error.
    Stderr,
    /// A message received on the DevTools socket.
    Devtools,
}

impl Stream {
    /// The name used on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Stderr => "stderr",
            Self::Devtools => "devtools",
        }
    }
}
