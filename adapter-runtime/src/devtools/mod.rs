//! The PROMETEU DevTools client (protocol v1, JSON lines over TCP), as far as a session needs
//! it: the stale-listener check, connecting with back-off, the handshake, and logging what the
//! runtime sends afterwards. See `devtools-protocol.md`.

mod client;
mod connect;
mod error;
mod handshake;
mod messages;
mod pump;
mod reader;

pub use error::HandshakeError;

pub(crate) use client::{Connected, Connection, HandshakeParams, handshake};
pub(crate) use connect::something_listens;
pub(crate) use handshake::Handshake;
pub(crate) use pump::{PumpTarget, pump};
