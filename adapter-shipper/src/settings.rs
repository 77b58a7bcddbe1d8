//! Everything the shipper needs to prepare a project, as a frontend assembles it.

use std::path::PathBuf;

use adapter_process::ProcessTiming;
use session_ports::InvalidSetting;

use crate::{CartridgeConfig, ShipperConfig};

/// The shipper's settings: where the project is, what each step runs, the cartridge metadata
/// and the process timing shared with the runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShipperSettings {
    /// The project root: every step's working directory, and where `build/` is.
    pub project_root: PathBuf,
    /// The `[shipper]` table.
    pub steps: ShipperConfig,
    /// The `[cartridge]` table, when the project has one: the shipper then writes
    /// `build/manifest.json` itself.
    pub cartridge: Option<CartridgeConfig>,
    /// `stop_grace`, `pipe_grace` and `max_line`.
    pub timing: ProcessTiming,
}

impl ShipperSettings {
    /// Validates the `[shipper]` table and, when present, the `[cartridge]` table.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        self.steps.validate()?;
        if let Some(cartridge) = &self.cartridge {
            cartridge.validate()?;
        }
        Ok(())
    }
}
