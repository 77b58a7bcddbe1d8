//! Everything the shipper needs to prepare a project, as a frontend assembles it.

use std::path::PathBuf;

use crate::{CartridgeConfig, ShipperConfig};
use adapter_process::ProcessTiming;

/// The shipper's settings: where the project is, what each step runs, the cartridge metadata
/// and the process timing shared with the runtime. Plain values, validated by the frontend
/// that built them.
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
