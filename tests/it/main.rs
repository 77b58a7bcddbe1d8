//! One integration-test binary; a module per area.

mod cli_config;
mod runtime;
mod shipper;
