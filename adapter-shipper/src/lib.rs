//! `ShipperSource` over real processes: build, pack-validation, pack, then the manifest.
//!
//! Frontends build [`ShipperConfig`] (`[shipper]`) and [`CartridgeConfig`] (`[cartridge]`)
//! from configuration they validated, assemble [`ShipperSettings`] and hand a [`Shipper`] to
//! the session. Its steps run under `adapter-process`'s supervision.
#![warn(missing_docs)]

mod cartridge;
mod config;
mod manifest;
mod preparation;
mod settings;
mod shipper;

pub use cartridge::{AppMode, CartridgeConfig};
pub use config::ShipperConfig;
pub use manifest::{
    CheckManifestError, MANIFEST_PATH, RenderManifestError, WriteManifestError, check_manifest,
    render_manifest, write_manifest,
};
pub use settings::ShipperSettings;
pub use shipper::Shipper;
