//! The adapter's two pipes. Stdin is read on a thread of its own (a blocking read cannot be
//! cancelled, and the client's requests must reach the loop while it waits on the session);
//! stdout carries nothing but framed protocol messages.

use std::io::Read;

use adapter_dap::protocol::Outgoing;
use tokio::sync::mpsc;

/// How many chunks of stdin may wait for the loop: requests are small and few.
const PENDING_CHUNKS: usize = 16;

/// Starts the stdin reader; the receiver yields chunks as they were read and ends at EOF or on
/// a read error (the client is gone either way).
pub(super) fn read_stdin() -> mpsc::Receiver<Vec<u8>> {
    let (sender, receiver) = mpsc::channel(PENDING_CHUNKS);
    let spawned = std::thread::Builder::new()
        .name("dap-stdin".into())
        .spawn(move || {
            let mut stdin = std::io::stdin().lock();
            let mut buffer = vec![0_u8; 64 * 1024];
            loop {
                match stdin.read(&mut buffer) {
                    Ok(0) => return,
                    Ok(read) => {
                        if sender.blocking_send(buffer[..read].to_vec()).is_err() {
                            return;
                        }
                    }
                    Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(error) => {
                        tracing::warn!(%error, "cannot read the client's messages");
                        return;
                    }
                }
            }
        });
    if let Err(error) = spawned {
        // The receiver ends at once: the loop treats it as a client that went away.
        tracing::error!(%error, "cannot start the thread that reads stdin");
    }
    receiver
}

/// Writes framed messages to stdout, flushed per batch of effects.
#[derive(Debug)]
pub(super) struct MessageWriter {
    buffer: Vec<u8>,
    /// Set once a write failed: the client is gone, and nothing more is written.
    broken: bool,
}

/// The client no longer reads stdout.
#[derive(Debug, thiserror::Error)]
#[error("cannot write to the client: {0}")]
pub(super) struct WriteFailed(#[source] std::io::Error);

impl MessageWriter {
    pub(super) fn new() -> Self {
        Self {
            buffer: Vec::with_capacity(64 * 1024),
            broken: false,
        }
    }

    /// Frames `message` into the pending bytes.
    pub(super) fn push(&mut self, message: &Outgoing) {
        match serde_json::to_vec(message) {
            Ok(body) => adapter_dap::encode(&body, &mut self.buffer),
            // Our own types always serialise; a failure would be a bug worth hearing of.
            Err(error) => tracing::error!(%error, "cannot serialise a DAP message"),
        }
    }

    /// Writes what is pending. Blocking is fine here: the session runs on its own thread
    /// and its subscribers never slow it, so a client that reads slowly only delays itself.
    pub(super) fn flush(&mut self) -> Result<(), WriteFailed> {
        if self.buffer.is_empty() || self.broken {
            self.buffer.clear();
            return Ok(());
        }
        // Waits for room when whoever started us left stdout non-blocking.
        let written = crate::output::write_stdout_waiting(&self.buffer);
        self.buffer.clear();
        written.map_err(|error| {
            self.broken = true;
            WriteFailed(error)
        })
    }
}
