//! The client side of the handshake: connect, read the first message, validate it, send
//! `start`; all within `handshake_timeout` from the spawn, and abandoned at once if the
//! process exits.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::time::Duration;

use adapter_process::ExitWatch;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::time::{Instant, sleep, timeout_at};

use super::HandshakeError;
use super::connect::connect_with_backoff;
use super::handshake::{Handshake, START, parse_handshake};
use super::reader::{LineReader, OwnedLine};

/// What the handshake needs to know.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HandshakeParams {
    /// The DevTools address.
    pub(crate) address: SocketAddr,
    /// The configured `handshake_timeout`, for messages.
    pub(crate) timeout: Duration,
    /// Spawn time plus `handshake_timeout`.
    pub(crate) deadline: Instant,
    /// The line cap.
    pub(crate) max_line: NonZeroUsize,
    /// How long to wait for the process after the socket closed.
    pub(crate) pipe_grace: Duration,
}

/// A completed handshake and the connection it happened on.
#[derive(Debug)]
pub(crate) struct Connected {
    /// What the runtime said about itself.
    pub(crate) handshake: Handshake,
    /// The open connection, for the messages that follow.
    pub(crate) connection: Connection,
}

/// An open DevTools connection after the handshake.
#[derive(Debug)]
pub(crate) struct Connection {
    pub(crate) reader: LineReader<OwnedReadHalf>,
    /// Kept open: v1 needs nothing more from us, but closing our side could end the session
    /// on the runtime's side.
    pub(crate) _writer: OwnedWriteHalf,
    /// Lines that arrived in the same read as the handshake.
    pub(crate) early: Vec<OwnedLine>,
}

/// Connects and completes the handshake, or says why not.
pub(crate) async fn handshake(
    params: HandshakeParams,
    exit: ExitWatch,
) -> Result<Connected, HandshakeError> {
    let mut exited = exit.clone();
    tokio::select! {
        result = attempt(params, exit) => result,
        termination = exited.exited() => Err(HandshakeError::Exited(termination)),
    }
}

async fn attempt(params: HandshakeParams, exit: ExitWatch) -> Result<Connected, HandshakeError> {
    let timeout = |connected| HandshakeError::Timeout {
        address: params.address,
        timeout: params.timeout,
        connected,
    };
    let stream = connect_with_backoff(params.address, params.deadline)
        .await
        .ok_or_else(|| timeout(false))?;
    let (read, mut writer) = stream.into_split();
    let mut reader = LineReader::new(read, params.max_line);
    let mut lines = VecDeque::new();
    while lines.is_empty() {
        match timeout_at(params.deadline, reader.read()).await {
            Err(_) => return Err(timeout(true)),
            Ok(Ok(true)) => reader.frame(|line| lines.push_back(OwnedLine::from(line))),
            // A reset or end of file: the socket is gone before the handshake. (A partial
            // first line is not a message: what decides is whether the process lives on.)
            Ok(Ok(false) | Err(_)) => return Err(closed_or_exited(exit, params.pipe_grace).await),
        }
    }
    let Some(first) = lines.pop_front() else {
        return Err(timeout(true));
    };
    let handshake = parse_handshake(&first.bytes, first.truncated, params.max_line)?;
    match timeout_at(params.deadline, writer.write_all(START)).await {
        Err(_) => return Err(timeout(true)),
        Ok(Err(_)) => return Err(closed_or_exited(exit, params.pipe_grace).await),
        Ok(Ok(())) => {}
    }
    Ok(Connected {
        handshake,
        connection: Connection {
            reader,
            _writer: writer,
            early: lines.into(),
        },
    })
}

/// The socket closed before the handshake: the process decides. If it exits within
/// `pipe_grace` the cause is `exited` (with its status), otherwise `closed`.
async fn closed_or_exited(mut exit: ExitWatch, pipe_grace: Duration) -> HandshakeError {
    tokio::select! {
        // An exit already known wins over a zero grace.
        biased;
        termination = exit.exited() => HandshakeError::Exited(termination),
        () = sleep(pipe_grace) => HandshakeError::Closed,
    }
}
