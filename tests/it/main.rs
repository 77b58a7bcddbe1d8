//! One integration-test binary; a module per area.

mod cli;
mod cli_config;
mod cli_setting_values;
mod cli_state_folder;
mod clients;
mod runtime;
mod settings_per_play;
mod shipper;
