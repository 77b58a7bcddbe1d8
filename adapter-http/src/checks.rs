//! The three checks every request passes before anything else is read: Host (against DNS
//! rebinding), Origin (against other pages), and the token. Pure decisions over header values,
//! so that the table test covers every case; the middleware only carries them out.

use std::net::IpAddr;

use subtle::ConstantTimeEq;

/// How the request reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Loopback (or, when the user said so, another address) TCP on this address and port.
    Tcp {
        /// The address the server listens on.
        ip: IpAddr,
        /// Its port.
        port: u16,
    },
    /// The Unix socket: its permissions are the guard; no Host and no token are checked.
    Unix,
}

/// Why a request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckFailure {
    /// The `Host` header does not name this server's address (HTTP 403).
    #[error("Host {found:?} is not this server's address; connect to {expected}")]
    ForeignHost {
        /// The header, as sent (cut).
        found: String,
        /// What it should be.
        expected: String,
    },
    /// A page of another origin (or `null`) sent it (HTTP 403).
    #[error("Origin {found:?} may not use this server; only its own pages may")]
    ForeignOrigin {
        /// The header, as sent (cut).
        found: String,
    },
    /// No valid token or login cookie (HTTP 401).
    #[error("a valid token is required: send Authorization: Bearer <token> from server.json")]
    Unauthorized,
    /// The login cookie on a request that changes something, without the server's `Origin`
    /// (HTTP 403): a browser sends cookies whoever made the page, so only an `Origin` shows
    /// the request came from the workspace itself.
    #[error(
        "a request authenticated by the login cookie that changes anything must carry this server's Origin; send it with fetch()"
    )]
    CookieWithoutOrigin,
}

/// The `host:port` forms that name this server.
fn own_hosts(ip: IpAddr, port: u16) -> Vec<String> {
    let mut hosts = vec![
        format!("127.0.0.1:{port}"),
        format!("localhost:{port}"),
        format!("[::1]:{port}"),
    ];
    let listening = match ip {
        IpAddr::V4(v4) => format!("{v4}:{port}"),
        IpAddr::V6(v6) => format!("[{v6}]:{port}"),
    };
    if !hosts.contains(&listening) {
        hosts.push(listening);
    }
    hosts
}

/// Check 1: the raw `Host` header must name this server (never `X-Forwarded-*`).
pub fn check_host(transport: Transport, host: Option<&str>) -> Result<(), CheckFailure> {
    let Transport::Tcp { ip, port } = transport else {
        return Ok(());
    };
    let hosts = own_hosts(ip, port);
    match host {
        Some(host) if hosts.iter().any(|own| own.eq_ignore_ascii_case(host)) => Ok(()),
        other => Err(CheckFailure::ForeignHost {
            found: other.unwrap_or("").chars().take(80).collect(),
            expected: hosts[0].clone(),
        }),
    }
}

/// Check 2: no `Origin` (a program) or this server's own; anything else, `null` included, is
/// refused.
pub fn check_origin(transport: Transport, origin: Option<&str>) -> Result<(), CheckFailure> {
    let Some(origin) = origin else {
        return Ok(());
    };
    let own = match transport {
        Transport::Tcp { ip, port } => own_hosts(ip, port)
            .iter()
            .any(|host| origin.eq_ignore_ascii_case(&format!("http://{host}"))),
        // A page cannot be served over the Unix socket: no origin is ours there.
        Transport::Unix => false,
    };
    if own {
        Ok(())
    } else {
        Err(CheckFailure::ForeignOrigin {
            found: origin.chars().take(80).collect(),
        })
    }
}

/// The server's secret, compared in constant time.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

impl Token {
    /// A token from its text (hex from the random source, or the user's `--token-file`).
    pub fn new(text: String) -> Self {
        Self(text)
    }

    /// The text, for `server.json`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `true` when `candidate` is this token; takes the same time wherever they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        bool::from(self.0.as_bytes().ct_eq(candidate.as_bytes()))
    }
}

/// Check 3: `Authorization: Bearer <token>`. Skipped on the Unix socket.
pub fn check_token(
    transport: Transport,
    token: &Token,
    authorization: Option<&str>,
) -> Result<(), CheckFailure> {
    if transport == Transport::Unix {
        return Ok(());
    }
    let presented = authorization.and_then(|value| {
        let (scheme, credentials) = value.trim().split_once(' ')?;
        scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| credentials.trim())
    });
    match presented {
        Some(candidate) if token.matches(candidate) => Ok(()),
        _ => Err(CheckFailure::Unauthorized),
    }
}

#[cfg(test)]
mod tests {
    use std::net::Ipv4Addr;

    use rstest::rstest;

    use super::*;

    const TCP: Transport = Transport::Tcp {
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 4100,
    };

    #[rstest]
    #[case::ipv4(Some("127.0.0.1:4100"), true)]
    #[case::localhost(Some("localhost:4100"), true)]
    #[case::localhost_upper(Some("LOCALHOST:4100"), true)]
    #[case::ipv6(Some("[::1]:4100"), true)]
    #[case::other_port(Some("127.0.0.1:4101"), false)]
    #[case::no_port(Some("127.0.0.1"), false)]
    #[case::rebinding(Some("evil.example:4100"), false)]
    #[case::suffix(Some("localhost.evil.example:4100"), false)]
    #[case::missing(None, false)]
    #[case::empty(Some(""), false)]
    fn host_check(#[case] host: Option<&str>, #[case] allowed: bool) {
        assert_eq!(check_host(TCP, host).is_ok(), allowed, "{host:?}");
        assert!(check_host(Transport::Unix, host).is_ok());
    }

    #[rstest]
    #[case::absent(None, true)]
    #[case::own(Some("http://127.0.0.1:4100"), true)]
    #[case::own_localhost(Some("http://localhost:4100"), true)]
    #[case::null(Some("null"), false)]
    #[case::other_site(Some("https://evil.example"), false)]
    #[case::other_port(Some("http://127.0.0.1:4101"), false)]
    #[case::https_scheme(Some("https://127.0.0.1:4100"), false)]
    #[case::trailing_slash(Some("http://127.0.0.1:4100/"), false)]
    fn origin_check(#[case] origin: Option<&str>, #[case] allowed: bool) {
        assert_eq!(check_origin(TCP, origin).is_ok(), allowed, "{origin:?}");
    }

    #[rstest]
    #[case::right(Some("Bearer s3cret"), true)]
    #[case::scheme_any_case(Some("bearer s3cret"), true)]
    #[case::wrong(Some("Bearer s3cre7"), false)]
    #[case::prefix(Some("Bearer s3cre"), false)]
    #[case::longer(Some("Bearer s3cret0"), false)]
    #[case::basic(Some("Basic s3cret"), false)]
    #[case::bare(Some("s3cret"), false)]
    #[case::missing(None, false)]
    fn token_check(#[case] authorization: Option<&str>, #[case] allowed: bool) {
        let token = Token::new("s3cret".to_owned());
        assert_eq!(
            check_token(TCP, &token, authorization).is_ok(),
            allowed,
            "{authorization:?}"
        );
        assert!(check_token(Transport::Unix, &token, authorization).is_ok());
    }

    #[test]
    fn a_token_never_shows_in_debug_output() {
        assert_eq!(format!("{:?}", Token::new("s3cret".to_owned())), "Token(…)");
    }
}
