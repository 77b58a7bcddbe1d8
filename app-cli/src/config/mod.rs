//! `prometeu-session.toml`: one definition of every setting (the catalogue), the loading and
//! validation of the file and of the flags that override it, the `init` template and the
//! reference page's table, all generated from those definitions.
//!
//! Other frontends (a server, a DAP bridge) load settings through this module so that every
//! frontend reads the same file the same way.

mod catalogue;
mod error;
mod kinds;
mod load;
mod overrides;
mod reference;
mod suggest;
mod template;

pub use error::ConfigError;
pub use load::{
    CONFIG_FILE_NAME, ConfigFile, LogSection, RuntimeSection, SessionSection, load, parse,
};
pub use overrides::{FlagError, FlagPath, Overrides, read_mode_flag};
pub use reference::{REFERENCE_END, REFERENCE_START, reference_table};
pub use template::template;
