//! Why the DevTools handshake did not complete: one variant per `cause` of the brief.

use std::net::SocketAddr;
use std::time::Duration;

use session_domain::{HandshakeFailure, Termination, human_duration};

/// The DevTools handshake failed. Each variant maps to one `cause` of the `failure` object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandshakeError {
    /// The runtime exited before the handshake completed (`exited`).
    #[error("the runtime exited before the DevTools handshake ({0})")]
    Exited(Termination),
    /// Nothing accepted a connection, or no handshake arrived, within `handshake_timeout`
    /// (`timeout`).
    #[error("{}", timeout_message(*address, *timeout, *connected))]
    Timeout {
        /// The DevTools address.
        address: SocketAddr,
        /// The configured `handshake_timeout`.
        timeout: Duration,
        /// A connection was made, but the handshake did not arrive (or `start` could not be
        /// sent) in time.
        connected: bool,
    },
    /// The socket closed before the handshake and the process was still alive `pipe_grace`
    /// later (`closed`).
    #[error("the runtime closed the DevTools connection before the handshake and did not exit")]
    Closed,
    /// The first message was not JSON, not a handshake, or longer than `max_line`
    /// (`bad_handshake`).
    #[error("bad DevTools handshake: {problem}; received: {quote}")]
    BadHandshake {
        /// What is wrong with it.
        problem: String,
        /// Its first 200 bytes, cut at a character boundary, invalid UTF-8 replaced.
        quote: String,
    },
    /// The protocol's major version is not 1 (`version_mismatch`).
    #[error(
        "DevTools protocol version mismatch: the runtime speaks version {found}, this session speaks version 1"
    )]
    VersionMismatch {
        /// The `protocol_version` the runtime sent, as it sent it.
        found: String,
    },
}

fn timeout_message(address: SocketAddr, timeout: Duration, connected: bool) -> String {
    let within = human_duration(timeout);
    if connected {
        format!(
            "the runtime accepted a DevTools connection at {address} but completed no handshake within {within}"
        )
    } else {
        format!(
            "nothing accepted a DevTools connection at {address} within {within}: check that debug_address matches the runtime's own setting"
        )
    }
}

impl HandshakeError {
    /// The cause as the domain records it.
    pub fn failure(&self) -> HandshakeFailure {
        match self {
            Self::Exited(termination) => HandshakeFailure::Exited(*termination),
            Self::Timeout { .. } => HandshakeFailure::Timeout,
            Self::Closed => HandshakeFailure::Closed,
            Self::BadHandshake { .. } => HandshakeFailure::BadHandshake,
            Self::VersionMismatch { .. } => HandshakeFailure::VersionMismatch,
        }
    }
}
