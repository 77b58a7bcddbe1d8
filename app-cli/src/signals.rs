//! The signals that stop the run, deliberately, each of them.
//!
//! No signal whose default action would end the process may end it with the run's processes
//! alive and the log file cut. So every catchable one is handled here and stops the run as
//! SIGINT does (the second one received kills every group at once), and the tool then exits
//! 128 + the signal's number, the status a shell would have reported had the signal killed it:
//! SIGINT, SIGTERM, SIGHUP, SIGQUIT (Ctrl-\), SIGUSR1, SIGUSR2, SIGALRM, SIGVTALRM, SIGPROF,
//! SIGXCPU and SIGXFSZ (a resource limit: stopping cleanly is what a limit asks), SIGIO, and on
//! Linux SIGPWR, SIGSTKFLT and the real-time signals.
//!
//! Deliberately not handled: SIGPIPE, which Rust ignores from the start (a closed stdout is
//! seen as a failed write and stops the run; a failed write elsewhere is an error, not a
//! death); the faults (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS), which mean
//! the session itself is broken and must not go on; SIGKILL and SIGSTOP, which cannot be
//! caught. When one of those ends the session, its guardian ends the run's processes.

use std::future::poll_fn;
use std::task::Poll;

use tokio::signal::unix::{Signal, SignalKind, signal};

/// A catchable signal whose default action ends the process, by number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct StopSignal(pub(crate) i32);

impl StopSignal {
    /// `SIGINT`, `SIGRTMIN+3`.
    pub(crate) fn name(self) -> String {
        if let Some((_, name)) = NAMED.iter().find(|(number, _)| *number == self.0) {
            return (*name).to_owned();
        }
        match realtime().find(|number| *number == self.0) {
            Some(number) => format!("SIGRTMIN+{}", number - realtime_min()),
            None => format!("signal {}", self.0),
        }
    }
}

/// The standard signals handled, with their names.
const NAMED: &[(i32, &str)] = &[
    (libc::SIGINT, "SIGINT"),
    (libc::SIGTERM, "SIGTERM"),
    (libc::SIGHUP, "SIGHUP"),
    (libc::SIGQUIT, "SIGQUIT"),
    (libc::SIGUSR1, "SIGUSR1"),
    (libc::SIGUSR2, "SIGUSR2"),
    (libc::SIGALRM, "SIGALRM"),
    (libc::SIGVTALRM, "SIGVTALRM"),
    (libc::SIGPROF, "SIGPROF"),
    (libc::SIGXCPU, "SIGXCPU"),
    (libc::SIGXFSZ, "SIGXFSZ"),
    (libc::SIGIO, "SIGIO"),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (libc::SIGPWR, "SIGPWR"),
    #[cfg(any(target_os = "linux", target_os = "android"))]
    (libc::SIGSTKFLT, "SIGSTKFLT"),
];

#[cfg(target_os = "linux")]
fn realtime_min() -> i32 {
    libc::SIGRTMIN()
}

#[cfg(not(target_os = "linux"))]
fn realtime_min() -> i32 {
    0
}

/// The real-time signals the C library leaves to programs (Linux; none elsewhere).
fn realtime() -> impl Iterator<Item = i32> {
    #[cfg(target_os = "linux")]
    let range = libc::SIGRTMIN()..=libc::SIGRTMAX();
    #[cfg(not(target_os = "linux"))]
    let range = 1..=0;
    range
}

/// Installing the handlers failed.
#[derive(Debug, thiserror::Error)]
#[error("cannot handle {name}: {source}")]
pub struct SignalsError {
    name: String,
    #[source]
    source: std::io::Error,
}

/// Every stopping signal's stream, installed once, before anything runs.
pub(crate) struct Signals {
    streams: Vec<(StopSignal, Signal)>,
}

impl Signals {
    pub(crate) fn install() -> Result<Self, SignalsError> {
        let named = NAMED.iter().map(|(number, _)| (*number, true));
        let numbers = named.chain(realtime().map(|number| (number, false)));
        let mut streams = Vec::new();
        for (number, required) in numbers {
            let stop = StopSignal(number);
            match signal(SignalKind::from_raw(number)) {
                Ok(stream) => streams.push((stop, stream)),
                // A real-time signal the system keeps for itself (valgrind reserves one, for
                // instance) can never reach us: there is nothing to handle.
                Err(source) if !required && source.kind() == std::io::ErrorKind::InvalidInput => {}
                Err(source) => {
                    return Err(SignalsError {
                        name: stop.name(),
                        source,
                    });
                }
            }
        }
        Ok(Self { streams })
    }

    /// The next signal received.
    pub(crate) async fn next(&mut self) -> StopSignal {
        poll_fn(|context| {
            for (stop, stream) in &mut self.streams {
                if let Poll::Ready(Some(())) = stream.poll_recv(context) {
                    return Poll::Ready(*stop);
                }
            }
            Poll::Pending
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_a_shell_would_print_them() {
        assert_eq!(StopSignal(libc::SIGQUIT).name(), "SIGQUIT");
        assert_eq!(StopSignal(libc::SIGUSR2).name(), "SIGUSR2");
        #[cfg(target_os = "linux")]
        assert_eq!(StopSignal(libc::SIGRTMIN() + 2).name(), "SIGRTMIN+2");
    }
}
