//! Why a launch did not reach `running`.

use std::net::SocketAddr;

use adapter_process::SpawnError;
use session_domain::{Failure, PortFailure};

use crate::{HandshakeError, RuntimePathError};

/// A launch that failed before the runtime was running. Its message is the `reason` of the
/// `runtime_failed` event.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The program is missing, not found, a directory or not executable (stage `spawn`).
    #[error(transparent)]
    Path(#[from] RuntimePathError),
    /// Debug mode: something already accepts connections at the DevTools address, most likely
    /// an earlier runtime (stage `spawn`).
    #[error(
        "address in use: is an earlier runtime still running? ({address} already accepts connections)"
    )]
    AddressInUse {
        /// The configured `debug_address`.
        address: SocketAddr,
    },
    /// The operating system refused to start the program (stage `spawn`).
    #[error(transparent)]
    Spawn(#[from] SpawnError),
    /// Debug mode: the DevTools handshake did not complete (stage `handshake`).
    #[error(transparent)]
    Handshake(#[from] HandshakeError),
}

impl LaunchError {
    /// The `failure` object this error reports.
    pub fn failure(&self) -> Failure {
        match self {
            Self::Path(_) | Self::AddressInUse { .. } | Self::Spawn(_) => Failure::RuntimeSpawn,
            Self::Handshake(error) => Failure::Handshake(error.failure()),
        }
    }

    /// The failure as the port reports it: the typed cause and this error's message.
    pub fn to_port_failure(&self) -> PortFailure {
        PortFailure {
            failure: self.failure(),
            reason: self.to_string(),
        }
    }
}
