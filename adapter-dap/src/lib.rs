//! The Debug Adapter Protocol bridge, free of I/O as quinn-proto is: bytes in, frames out
//! ([`framing`]); the DAP messages it speaks ([`protocol`]); and the [`Bridge`], which takes
//! client messages, the session's answers and session items, and returns [`Effect`]s (messages
//! to send, commands for the session). Nothing here reads a socket, a pipe or a clock, so
//! every rule is a table test; `prometeu-session dap` is the thin shell that carries the
//! effects out.
#![warn(missing_docs)]

mod bridge;
pub mod framing;
mod mapping;
pub mod protocol;

pub use bridge::{Bridge, Command, Effect, Item, PlayFailed, SessionAnswer};
pub use framing::{Decoder, FramingError, encode};

#[cfg(test)]
mod bridge_tests;
#[cfg(test)]
mod mapping_tests;
