//! After the handshake: every message the runtime sends becomes a `runtime` log entry with
//! stream `devtools`, one batch per read.

use std::sync::Arc;
use std::time::Duration;

use adapter_shipper::process::ExitWatch;
use session_domain::{LineBatch, Severity};
use session_ports::{Clock, OutputSender};
use tokio::time::sleep;

use super::client::Connection;
use super::messages::push_message;

/// Reads the connection to end of file, sending what it reads. At end of file, waits up to
/// `pipe_grace` for the process: if it exits, the socket closing says nothing; otherwise a
/// `session` warning tells that the DevTools connection closed while the run goes on.
pub(crate) async fn pump(
    mut connection: Connection,
    clock: Arc<dyn Clock>,
    output: OutputSender,
    mut exit: ExitWatch,
    pipe_grace: Duration,
    max_line: usize,
) {
    if !connection.early.is_empty() {
        let at = clock.now();
        let mut batch = LineBatch::new();
        for line in connection.early.drain(..) {
            push_message(&mut batch, at, line.framed());
        }
        let _ = output.send(batch).await;
    }
    let reader = &mut connection.reader;
    loop {
        let open = match reader.read().await {
            Ok(open) => open,
            Err(error) => {
                tracing::debug!(%error, "reading the DevTools socket failed; treating it as closed");
                false
            }
        };
        let at = clock.now();
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
                let message =
                    format!("runtime: {cut} DevTools {lines} longer than {max_line} bytes and cut");
                batch.push_session(at, Severity::Warn, &message);
            }
        }
        // A closed output means the session is gone; keep reading so the runtime never
        // blocks on us.
        let _ = output.send(batch).await;
        if !open {
            break;
        }
    }
    tracing::debug!("DevTools connection reached end of file");
    tokio::select! {
        biased;
        _ = exit.exited() => {}
        () = sleep(pipe_grace) => {
            tracing::warn!("DevTools connection closed while the runtime keeps running");
            let batch = LineBatch::session_line(
                clock.now(),
                Severity::Warn,
                "runtime: DevTools connection closed; the runtime keeps running",
            );
            let _ = output.send(batch).await;
        }
    }
}
