//! Where `serve` listens: a loopback TCP port (a free one by default) and/or a Unix socket,
//! bound before anything is announced so that a taken address fails the start.

use std::net::{Ipv4Addr, SocketAddr};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::exit::Fatal;

/// The listeners, bound.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) tcp: std::net::TcpListener,
    pub(crate) unix: Option<(std::os::unix::net::UnixListener, PathBuf)>,
}

/// Reads `--listen`: an IP literal and a port; a non-loopback address only with
/// `--listen-any`.
pub(crate) fn tcp_address(listen: Option<&str>, listen_any: bool) -> Result<SocketAddr, Fatal> {
    let Some(text) = listen else {
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)));
    };
    let address: SocketAddr = text.parse().map_err(|_| {
        Fatal::usage(format!(
            "--listen {text:?}: expected an IP literal and a port, such as 127.0.0.1:0 or [::1]:4100"
        ))
    })?;
    if !address.ip().is_loopback() && !listen_any {
        return Err(Fatal::usage(format!(
            "--listen {text}: not a loopback address; anyone who can reach it could try to drive \
             the session's processes. Add --listen-any if you really mean it"
        )));
    }
    Ok(address)
}

/// Binds the TCP address and, when asked, the Unix socket (0600, in a folder only we can
/// enter). A stale socket file of a server that is gone is replaced; anything else at that
/// path is left alone and refused.
pub(crate) fn bind(address: SocketAddr, unix: Option<&Path>) -> Result<Bound, Fatal> {
    let tcp = std::net::TcpListener::bind(address).map_err(|error| {
        Fatal::usage(format!("--listen {address}: cannot listen there: {error}"))
    })?;
    tcp.set_nonblocking(true)
        .map_err(|error| Fatal::tool(format!("cannot set up the listener: {error}")))?;
    let unix = match unix {
        None => None,
        Some(path) => Some((bind_unix(path)?, path.to_owned())),
    };
    Ok(Bound { tcp, unix })
}

fn bind_unix(path: &Path) -> Result<std::os::unix::net::UnixListener, Fatal> {
    let shown = path.display();
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    let meta = std::fs::metadata(&folder).map_err(|error| {
        Fatal::usage(format!(
            "--unix {shown}: its folder {}: {error}",
            folder.display()
        ))
    })?;
    let uid = rustix::process::getuid().as_raw();
    if !meta.is_dir() || meta.uid() != uid || meta.permissions().mode() & 0o077 != 0 {
        return Err(Fatal::usage(format!(
            "--unix {shown}: its folder {} must be a directory of yours that only you can \
             enter (chmod 700), so that nobody else can reach the socket",
            folder.display()
        )));
    }
    if let Ok(existing) = std::fs::symlink_metadata(path) {
        let is_socket = std::os::unix::fs::FileTypeExt::is_socket(&existing.file_type());
        let alive = is_socket && std::os::unix::net::UnixStream::connect(path).is_ok();
        if !is_socket || alive {
            return Err(Fatal::usage(format!(
                "--unix {shown}: something is already there{}; choose another path",
                if alive { " and answers" } else { "" }
            )));
        }
        std::fs::remove_file(path).map_err(|error| {
            Fatal::usage(format!(
                "--unix {shown}: cannot replace a stale socket: {error}"
            ))
        })?;
    }
    let listener = std::os::unix::net::UnixListener::bind(path)
        .map_err(|error| Fatal::usage(format!("--unix {shown}: cannot listen there: {error}")))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).map_err(|error| {
        Fatal::usage(format!("--unix {shown}: cannot make it private: {error}"))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|error| Fatal::tool(format!("cannot set up the listener: {error}")))?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listens_on_loopback_unless_told_otherwise() {
        assert_eq!(
            tcp_address(None, false).expect("default"),
            SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
        );
        assert!(tcp_address(Some("127.0.0.1:4100"), false).is_ok());
        assert!(tcp_address(Some("[::1]:0"), false).is_ok());
        assert!(tcp_address(Some("0.0.0.0:4100"), false).is_err());
        assert!(tcp_address(Some("0.0.0.0:4100"), true).is_ok());
        assert!(tcp_address(Some("localhost:4100"), false).is_err());
    }
}
