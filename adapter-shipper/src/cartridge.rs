//! The `[cartridge]` table: the metadata the shipper writes into `build/manifest.json`.

use std::fmt;

/// The cartridge metadata, as validated values. When a project has it, the shipper writes
/// `build/manifest.json` from it after `pack`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartridgeConfig {
    /// The application id.
    pub app_id: u32,
    /// The title shown to players (not blank).
    pub title: String,
    /// The application's version, written as given (not blank).
    pub app_version: String,
    /// What kind of application it is.
    pub app_mode: AppMode,
    /// The entry point the runtime starts (not blank).
    pub entrypoint: String,
    /// Capabilities the cartridge asks for; non-empty strings, not checked further.
    pub capabilities: Vec<String>,
}

/// `app_mode`: what kind of application the cartridge is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AppMode {
    /// A game.
    Game,
    /// A system application.
    System,
}

impl AppMode {
    /// Every mode, in the order people are shown them.
    pub const ALL: [Self; 2] = [Self::Game, Self::System];

    /// The name in settings and in the manifest.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Game => "Game",
            Self::System => "System",
        }
    }
}

impl fmt::Display for AppMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
