//! The `[shipper]` table as the shipper runs it: one command per step, and the environment
//! added to every step. Frontends build it from configuration they validated (app-cli's
//! `config` holds the one definition of each key, its default and its bounds).

use std::collections::BTreeMap;

use session_domain::Step;

/// The command of each preparation step and the variables added to their environment.
/// Every command holds at least the program, a non-empty string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipperConfig {
    /// The `build` step: program and arguments.
    pub build: Vec<String>,
    /// The `pack-validation` step: program and arguments.
    pub pack_validation: Vec<String>,
    /// The `pack` step: program and arguments.
    pub pack: Vec<String>,
    /// Variables added to every step's environment.
    pub env: BTreeMap<String, String>,
}

impl ShipperConfig {
    /// The command configured for `step`.
    pub fn command(&self, step: Step) -> &[String] {
        match step {
            Step::Build => &self.build,
            Step::PackValidation => &self.pack_validation,
            Step::Pack => &self.pack,
        }
    }
}
