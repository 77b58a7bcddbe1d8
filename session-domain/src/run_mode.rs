//! How a run starts the runtime: the one definition every crate and frontend uses.

use serde::{Deserialize, Serialize};

/// How the runtime is started for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// `"<path>" run build`: running as soon as the spawn succeeded.
    #[default]
    Run,
    /// `"<path>" debug build`: running once the DevTools handshake completed.
    Debug,
}

impl RunMode {
    /// Every mode, in the order people are shown them.
    pub const ALL: [Self; 2] = [Self::Run, Self::Debug];

    /// The name in settings and on the wire, which is also the runtime's sub-command.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Debug => "debug",
        }
    }
}

crate::display_as_wire_name!(RunMode);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_serde() {
        for mode in RunMode::ALL {
            assert_eq!(
                serde_json::to_string(&mode).expect("serialises"),
                format!("\"{mode}\"")
            );
        }
    }
}
