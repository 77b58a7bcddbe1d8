//! Reaching the runtime's DevTools socket: the stale-listener check, then connecting with
//! back-off until a deadline.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until, timeout, timeout_at};

/// The first pause between connection attempts; it doubles up to [`MAX_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// The longest pause between connection attempts.
const MAX_PAUSE: Duration = Duration::from_millis(200);
/// How long the stale-listener probe waits for a connection: on loopback a refusal is
/// immediate, so this only matters for an address that drops packets.
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);

/// `true` when something already accepts connections at `address`, before we spawned
/// anything: most likely an earlier runtime, which we must not handshake with.
pub(crate) async fn something_listens(address: SocketAddr) -> bool {
    match timeout(PROBE_TIMEOUT, TcpStream::connect(address)).await {
        Ok(Ok(_stream)) => true,
        Ok(Err(error)) => {
            tracing::trace!(%address, %error, "DevTools address is free");
            false
        }
        Err(_) => {
            tracing::debug!(%address, "no answer probing the DevTools address; taking it as free");
            false
        }
    }
}

/// Connects to `address`, retrying with exponential back-off (the runtime may not listen
/// yet), until `deadline`. `None` when the deadline passed first. The caller races this
/// against the process's exit, so that a runtime that died is not waited for.
pub(crate) async fn connect_with_backoff(
    address: SocketAddr,
    deadline: Instant,
) -> Option<TcpStream> {
    let mut pause = FIRST_PAUSE;
    let mut attempts = 0_u32;
    loop {
        attempts += 1;
        match timeout_at(deadline, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => {
                tracing::debug!(%address, attempts, "DevTools connected");
                // Messages are small and interactive: do not let Nagle hold `start` back.
                let _ = stream.set_nodelay(true);
                return Some(stream);
            }
            Ok(Err(error)) => tracing::trace!(%address, %error, "DevTools not accepting yet"),
            Err(_) => return None,
        }
        let next = adapter_process::deadline_after(Instant::now(), pause);
        if next >= deadline {
            sleep_until(deadline).await;
            return None;
        }
        sleep_until(next).await;
        pause = (pause * 2).min(MAX_PAUSE);
    }
}
