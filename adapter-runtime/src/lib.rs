//! `RuntimeSource` over a real PROMETEU runtime process, and the DevTools TCP client.
//!
//! [`Runtime`] launches `"<path>" run build` or `"<path>" debug build` in the project root,
//! in its own process group, under `adapter-process`'s supervision (both adapters share one set
//! of rules for groups, pipes, stops and leftovers). In debug mode
//! it also connects to the runtime's DevTools socket, completes the handshake, and turns every
//! later message into a `devtools` log entry (see `devtools-protocol.md`).
//!
//! Settings come in as [`RuntimeSettings`], plain typed values a frontend builds from the
//! configuration it validated (app-cli's `config`); frontends call [`check_runtime_path`]
//! before a run so that a wrong path is a configuration error rather than a failed run.
#![warn(missing_docs)]

mod config;
mod devtools;
mod error;
mod handle;
mod launch;
mod path;
mod runtime;
mod story;

pub use config::RuntimeSettings;
pub use devtools::HandshakeError;
pub use error::LaunchError;
pub use path::{RuntimePathError, check_runtime_path};
pub use runtime::Runtime;
