//! `--source` and `--min-severity`: which `log` events reach stdout (state events always do).

use session_domain::{EventView, Severity, Source};

/// A stdout filter. The default passes everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only these sources, when set.
    pub sources: Option<Vec<Source>>,
    /// Only this severity and above, when set.
    pub min_severity: Option<Severity>,
}

impl Filter {
    /// `true` when the event goes to stdout.
    pub fn passes(&self, event: &EventView<'_>) -> bool {
        let EventView::Log(log) = event else {
            return true;
        };
        self.sources
            .as_ref()
            .is_none_or(|sources| sources.contains(&log.source))
            && self.min_severity.is_none_or(|min| log.severity >= min)
    }

    /// `true` when it passes everything (the writer can skip the check).
    pub fn is_open(&self) -> bool {
        self.sources.is_none() && self.min_severity.is_none()
    }
}
