//! Where a log line comes from, how severe it is, and which stream carried it.

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

    /// Parses a name as people type it: any case.
    pub fn from_name_lenient(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|source| source.as_str().eq_ignore_ascii_case(name))
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

    /// Parses a level as people type it: any case, with `warning` for warn and `err` for error,
    /// as the classifier reads them.
    pub fn from_name_lenient(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "warning" => Some(Self::Warn),
            "err" => Some(Self::Error),
            lower => Self::from_name(lower),
        }
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

crate::display_as_wire_name!(Step, Source, Severity);

#[cfg(test)]
mod tests {
    use super::*;

    /// `as_str` is what `--source`, `--min-severity` and the formatters use; serde writes the
    /// events: the two must agree.
    fn serde_name<T: Serialize>(value: T) -> String {
        serde_json::to_value(value)
            .expect("a name serialises")
            .as_str()
            .expect("a name is a string")
            .to_owned()
    }

    #[test]
    fn source_names_match_serde_and_parse_back() {
        let names: Vec<&str> = Source::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(
            names,
            [
                "build",
                "pack-validation",
                "pack",
                "manifest",
                "runtime",
                "session"
            ]
        );
        for source in Source::ALL {
            assert_eq!(serde_name(source), source.as_str());
            assert_eq!(Source::from_name(source.as_str()), Some(source));
        }
        assert_eq!(Source::from_name("Build"), None);
        assert_eq!(Source::from_name("pack_validation"), None);
    }

    #[test]
    fn severity_names_match_serde_and_are_ordered() {
        for severity in Severity::ALL {
            assert_eq!(serde_name(severity), severity.as_str());
            assert_eq!(Severity::from_name(severity.as_str()), Some(severity));
        }
        assert!(Severity::ALL.windows(2).all(|pair| pair[0] < pair[1]));
        assert_eq!(Severity::from_name("warning"), None);
    }

    #[test]
    fn steps_run_in_order_and_log_under_their_own_source() {
        let steps: Vec<(&str, Source)> = Step::ORDER
            .iter()
            .map(|step| (step.as_str(), step.source()))
            .collect();
        assert_eq!(
            steps,
            [
                ("build", Source::Build),
                ("pack-validation", Source::PackValidation),
                ("pack", Source::Pack)
            ]
        );
        for step in Step::ORDER {
            assert_eq!(serde_name(step), step.source().as_str());
        }
        for stream in [Stream::Stdout, Stream::Stderr, Stream::Devtools] {
            assert_eq!(serde_name(stream), stream.as_str());
        }
    }
}
