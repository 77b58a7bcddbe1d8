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
            use rustix::event::{PollFd, PollFlags, poll};
            use rustix::io::Errno;
            let mut watched = [PollFd::from_borrowed_fd(
                rustix::stdio::stdout(),
                PollFlags::empty(),
            )];
            loop {
                match poll(&mut watched, None) {
                    Ok(_) => {}
                    Err(Errno::INTR) => continue,
                    Err(_) => return,
                }
                let revents = watched[0].revents();
                if revents.contains(PollFlags::NVAL) {
                    return;
                }
                if revents.intersects(PollFlags::ERR | PollFlags::HUP) {
                    let _ = closed.send(());
                    return;
                }
            }
        });
    if let Err(error) = spawned {
        tracing::debug!(%error, "cannot watch stdout; a closed stdout is noticed at the next write");
    }
}
