//! `prometeu-session.toml`: its schema, loading and validation, and the `init` template.
//!
//! Other frontends (a TUI, a server) load settings through this module so that every frontend
//! reads the same file the same way.

mod load;
mod schema;
mod template;

pub use load::{
    CONFIG_FILE_NAME, ConfigError, ConfigFile, LogSection, SessionSection, load, parse,
};
pub use template::TEMPLATE;
