//! After the handshake: every message the runtime sends becomes a `runtime` log entry with
//! stream `devtools`, one batch per read.

use std::sync::Arc;
use std::time::Duration;

use adapter_process::ExitWatch;
use session_domain::{LineBatch, Severity, counted};
use session_ports::{Clock, OutputSender};
use tokio::sync::watch;
use tokio::time::{sleep, timeout};

use super::client::Connection;
use super::messages::push_message;

/// The least a socket may stay silent, once the runtime is reaped, before it is given up.
const MIN_SILENCE: Duration = Duration::from_millis(100);

/// Where the messages go, and what the pump watches while reading.
#[derive(Debug)]
pub(crate) struct PumpTarget {
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) output: OutputSender,
    /// The runtime's exit, which decides what a closed socket means.
    pub(crate) exit: ExitWatch,
    /// How long the process has to exit after the socket closed.
    pub(crate) pipe_grace: Duration,
    /// The line cap, for the warning that counts cut messages.
    pub(crate) max_line: usize,
    /// Turns `true` once every process of the runtime's group is reaped. From then on the
    /// socket is read only while it keeps delivering: if it stays silent for `pipe_grace`
    /// without reaching end of file, a process outside the group holds it, and it is given up.
    pub(crate) reaped: watch::Receiver<bool>,
}

/// Reads the connection to end of file (or until it is given up), sending what it reads.
/// At end of file, waits up to `pipe_grace` for the process: if it exits, the socket closing
/// says nothing; otherwise a `session` warning tells that the DevTools connection closed while
/// the run goes on.
pub(crate) async fn pump(mut connection: Connection, mut target: PumpTarget) {
    if !connection.early.is_empty() {
        let at = target.clock.now();
        let mut batch = LineBatch::new();
        for line in connection.early.drain(..) {
            push_message(&mut batch, at, line.framed());
        }
        let _ = target.output.send(batch).await;
    }
    let reader = &mut connection.reader;
    let mut reaped = false;
    let mut gave_up = false;
    loop {
        let read = if reaped {
            // Data already written is read however slowly the session takes it: only a
            // socket that is silent this long is given up.
            match timeout(target.pipe_grace.max(MIN_SILENCE), reader.read()).await {
                Ok(read) => read,
                Err(_) => {
                    gave_up = true;
                    Ok(false)
                }
            }
        } else {
            tokio::select! {
                read = reader.read() => read,
                _ = target.reaped.wait_for(|reaped| *reaped) => {
                    // Reading is cancel-safe: nothing was consumed; read again, with a limit.
                    reaped = true;
                    continue;
                }
            }
        };
        let open = read.unwrap_or_else(|error| {
            tracing::debug!(%error, "reading the DevTools socket failed; treating it as closed");
            false
        });
        let at = target.clock.now();
        let mut batch = LineBatch::new();
        if open {
            reader.frame(|line| push_message(&mut batch, at, line));
        } else {
            reader.finish(|line| push_message(&mut batch, at, line));
            let cut = reader.truncated_lines();
            if cut > 0 {
                let lines = if cut == 1 {
                    "message was"
                } else {
                    "messages were"
                };
                let message = format!(
                    "runtime: {cut} DevTools {lines} longer than {} and cut",
                    counted(target.max_line as u64, "byte", "bytes")
                );
                batch.push_session(at, Severity::Warn, &message);
            }
            if gave_up {
                tracing::debug!("DevTools socket still open after the runtime ended");
                batch.push_session(
                    at,
                    Severity::Warn,
                    "runtime: the DevTools socket is held open by a process outside the runtime's group; no longer reading it",
                );
            }
        }
        // A closed output means the session is gone; keep reading so the runtime never
        // blocks on us.
        let _ = target.output.send(batch).await;
        if !open {
            break;
        }
    }
    tracing::debug!("DevTools connection reached end of file");
    tokio::select! {
        biased;
        _ = target.exit.exited() => {}
        () = sleep(target.pipe_grace) => {
            tracing::debug!("DevTools connection closed while the runtime keeps running");
            let batch = LineBatch::session_line(
                target.clock.now(),
                Severity::Warn,
                "runtime: DevTools connection closed; the runtime keeps running",
            );
            let _ = target.output.tell(batch);
        }
    }
}
