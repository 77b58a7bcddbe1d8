//! Where a server listens, from its `server.json`: its Unix socket when it has one (no token
//! needed, the socket's permissions are the guard), else its loopback TCP address and token.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use crate::ServerFile;

/// How to reach one server.
#[derive(Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// The server's Unix socket.
    Unix {
        /// The socket's path.
        path: PathBuf,
    },
    /// The server's loopback TCP address, with the bearer token.
    Tcp {
        /// Where it listens.
        address: SocketAddr,
        /// `Authorization: Bearer <token>`.
        token: String,
    },
}

/// A `server.json` whose `url` this client cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "server.json's url {url:?} is not http://<IP>:<port>; the file was not written by a prometeu-session server (remove it, or restart the server)"
)]
pub struct EndpointError {
    /// The url as found.
    pub url: String,
}

impl Endpoint {
    /// The endpoint of the server that wrote `file`: its socket if it has one.
    pub fn of(file: &ServerFile) -> Result<Self, EndpointError> {
        if let Some(path) = &file.unix {
            return Ok(Self::Unix {
                path: PathBuf::from(path),
            });
        }
        let bad = || EndpointError {
            url: file.url.chars().take(200).collect(),
        };
        let authority = file.url.strip_prefix("http://").ok_or_else(bad)?;
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        let address: SocketAddr = authority.parse().map_err(|_| bad())?;
        Ok(Self::Tcp {
            address,
            token: file.token.clone(),
        })
    }

    /// The `Host` header: the address itself over TCP (the server checks it), a fixed name over
    /// the socket (HTTP/1.1 requires one; the server does not check it there).
    pub(crate) fn host(&self) -> String {
        match self {
            Self::Unix { .. } => "localhost".to_owned(),
            Self::Tcp { address, .. } => address.to_string(),
        }
    }

    /// The `Authorization` header, over TCP only.
    pub(crate) fn authorization(&self) -> Option<String> {
        match self {
            Self::Unix { .. } => None,
            Self::Tcp { token, .. } => Some(format!("Bearer {token}")),
        }
    }
}

/// Shown in messages; never shows the token.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unix { path } => write!(f, "unix socket {}", path.display()),
            Self::Tcp { address, .. } => write!(f, "http://{address}"),
        }
    }
}

/// The token stays out of debug output too.
impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(url: &str, unix: Option<&str>) -> ServerFile {
        ServerFile {
            version: "0.1.0".into(),
            pid: 1,
            url: url.into(),
            unix: unix.map(Into::into),
            session: "00000000000000ab".into(),
            token: "secret".into(),
        }
    }

    #[test]
    fn the_socket_wins_else_the_loopback_address_with_its_token() {
        assert_eq!(
            Endpoint::of(&file("http://127.0.0.1:4100", Some("/run/s.sock"))),
            Ok(Endpoint::Unix {
                path: "/run/s.sock".into()
            })
        );
        let tcp = Endpoint::of(&file("http://127.0.0.1:4100", None)).expect("parses");
        assert_eq!(tcp.host(), "127.0.0.1:4100");
        assert_eq!(tcp.authorization().as_deref(), Some("Bearer secret"));
        assert!(!format!("{tcp} {tcp:?}").contains("secret"));
        let v6 = Endpoint::of(&file("http://[::1]:4100/", None)).expect("parses");
        assert_eq!(v6.host(), "[::1]:4100");
    }

    #[test]
    fn a_url_that_is_not_an_ip_and_port_is_refused() {
        for url in [
            "https://127.0.0.1:1",
            "http://localhost:1",
            "127.0.0.1:1",
            "",
        ] {
            assert!(Endpoint::of(&file(url, None)).is_err(), "{url}");
        }
    }
}
