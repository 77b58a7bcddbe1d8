//! Noticing that the reader of stdout went away while nothing is being written.
//!
//! A write to a closed pipe fails with EPIPE, but a quiet runtime may write nothing for a long
//! time, and `prometeu-session play | head -n 3` should not linger until it does. A thread
//! blocked in `poll` on stdout with no events requested wakes only for POLLERR or POLLHUP,
//! which a pipe reports once its reader has closed it; files and /dev/null never report them.

use tokio::sync::oneshot;

/// Tells, once, that the reader of stdout went away.
#[derive(Debug)]
pub(crate) struct StdoutWatch {
    closed: Option<oneshot::Receiver<()>>,
}

impl StdoutWatch {
    /// Starts watching stdout on a thread of its own.
    pub(crate) fn start() -> Self {
        let (sender, closed) = oneshot::channel();
        watch_stdout(sender);
        Self {
            closed: Some(closed),
        }
    }

    /// Resolves once, when the reader of stdout went away; never again after that, and never
    /// at all if the watcher gave up (a closed stdout is then noticed at the next write).
    /// Cancel-safe, for `select!`.
    pub(crate) async fn closed(&mut self) {
        if let Some(closed) = &mut self.closed {
            let said = closed.await;
            self.closed = None;
            if said.is_ok() {
                return;
            }
        }
        std::future::pending().await
    }
}

/// Starts the watcher; it says once that stdout was closed, then ends. If the thread cannot be
/// started, closing is still noticed at the next write.
fn watch_stdout(closed: oneshot::Sender<()>) {
    let spawned = std::thread::Builder::new()
        .name("prometeu-stdout-watch".into())
        .spawn(move || {
            let mut watched = libc::pollfd {
                fd: libc::STDOUT_FILENO,
                events: 0,
                revents: 0,
            };
            loop {
                // SAFETY: poll reads and writes the one pollfd we own for the duration of the call.
                let ready = unsafe { libc::poll(&mut watched, 1, -1) };
                if ready < 0 {
                    if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                        continue;
                    }
                    return;
                }
                if watched.revents & libc::POLLNVAL != 0 {
                    return;
                }
                if watched.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                    let _ = closed.send(());
                    return;
                }
            }
        });
    if let Err(error) = spawned {
        tracing::debug!(%error, "cannot watch stdout; a closed stdout is noticed at the next write");
    }
}
