//! The severity rule (BRIEF section 4, "Severity").

use crate::{Severity, Source, Stream};

/// The severity a line announces with a leading level word, if it has one.
///
/// TODO(severity): implementation pending.
pub fn classify_severity(line: &str) -> Option<Severity> {
    let _ = line;
    None
}

/// The severity of a line that announces none.
pub fn default_severity(source: Source, stream: Stream) -> Severity {
    match (source, stream) {
        (Source::Runtime, Stream::Stderr) => Severity::Warn,
        _ => Severity::Info,
    }
}

/// The severity of a line read from `stream` of `source`.
pub fn severity_of(source: Source, stream: Stream, line: &str) -> Severity {
    classify_severity(line).unwrap_or_else(|| default_severity(source, stream))
}
