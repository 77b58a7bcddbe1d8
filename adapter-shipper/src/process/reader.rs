//! Reading one pipe to end of file, in batches, through the domain's line framer.

use std::num::NonZeroUsize;
use std::sync::Arc;

use session_domain::{LineBatch, LineFramer, Severity, Source, Stream};
use session_ports::{Clock, OutputSender};
use tokio::io::{AsyncRead, AsyncReadExt};

/// A pipe's capacity on Linux: one read takes whatever a fast writer managed to put there.
const READ_SIZE: usize = 64 * 1024;

/// Where a pipe's lines go and how they are labelled.
#[derive(Debug, Clone)]
pub(crate) struct PipeTarget {
    pub(crate) label: String,
    pub(crate) source: Source,
    pub(crate) stream: Stream,
    pub(crate) max_line: NonZeroUsize,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) output: OutputSender,
}

/// Reads `pipe` until end of file. Every read becomes one batch, stamped with the time it was
/// read; a read error ends the stream like end of file (what was framed is still delivered).
pub(crate) async fn read_to_end(mut pipe: impl AsyncRead + Unpin, target: PipeTarget) {
    let mut framer = LineFramer::new(target.max_line);
    let mut buffer = vec![0_u8; READ_SIZE];
    // Once the session stops listening, keep draining so the child never blocks on us.
    let mut listening = true;
    loop {
        let read = match pipe.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(error) => {
                tracing::warn!(label = %target.label, stream = target.stream.as_str(), %error, "reading a pipe failed; treating it as closed");
                break;
            }
        };
        if !listening {
            continue;
        }
        let at = target.clock.now();
        let chunk = &buffer[..read];
        let mut batch = LineBatch::with_capacity(read, read / 32 + 1);
        framer.push(chunk, |line| {
            batch.push_framed(at, target.source, target.stream, line)
        });
        listening = target.output.send(batch).await.is_ok();
    }
    let at = target.clock.now();
    let mut batch = LineBatch::new();
    framer.finish(|line| batch.push_framed(at, target.source, target.stream, line));
    let truncated = framer.truncated_lines();
    if truncated > 0 {
        let lines = if truncated == 1 {
            "line was"
        } else {
            "lines were"
        };
        let message = format!(
            "{}: {truncated} {lines} longer than {} bytes on {} and cut",
            target.label,
            target.max_line,
            target.stream.as_str()
        );
        batch.push_session(at, Severity::Warn, &message);
    }
    if listening {
        let _ = target.output.send(batch).await;
    }
}
