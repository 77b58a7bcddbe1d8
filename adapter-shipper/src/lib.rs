//! `ShipperSource` over real processes: build, pack-validation, pack, then the manifest.
//!
//! Frontends build [`ShipperConfig`] (`[shipper]`) and [`CartridgeConfig`] (`[cartridge]`)
//! from configuration they validated, assemble [`ShipperSettings`] and hand a [`Shipper`] to
//! the session. It also hosts [`process`], the process-group supervision that `adapter-runtime`
//! reuses.
#![warn(missing_docs)]

mod cartridge;
mod command;
mod config;
mod manifest;
mod preparation;
pub mod process;
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
