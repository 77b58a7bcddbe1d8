//! `ShipperSource` over real processes: build, pack-validation, pack, then the manifest.
//!
//! It also hosts [`process`], the process-group supervision that `adapter-runtime` reuses.

pub mod process;
