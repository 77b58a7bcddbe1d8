//! What a supervised process reports: its exit as soon as it happens, and its end once
//! everything of it is reaped and read.

use std::time::Duration;

use session_domain::{Signal, Termination};
use tokio::sync::watch;

/// How a supervised process ended, once everything of it is reaped and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessReport {
    /// The process's own exit status.
    pub termination: Termination,
    /// We had signalled its group (a stop) before it exited.
    pub signalled_by_us: bool,
    /// From spawn to exit.
    pub duration: Duration,
}

/// Tells when the process itself exited, before its pipes are drained and its group ended.
#[derive(Debug, Clone)]
pub struct ExitWatch {
    exit: watch::Receiver<Option<Termination>>,
}

impl ExitWatch {
    pub(crate) fn new(exit: watch::Receiver<Option<Termination>>) -> Self {
        Self { exit }
    }

    /// Resolves when the process has exited (at once if it already has).
    pub async fn exited(&mut self) -> Termination {
        let waited = self.exit.wait_for(Option::is_some).await.map(|exit| *exit);
        // An error means the supervisor is gone, which only happens once the process is
        // reaped: the last value it published stands.
        let exit = waited.unwrap_or_else(|_| *self.exit.borrow());
        exit.unwrap_or(Termination::Success)
    }

    /// The exit status, if it has exited.
    pub fn exit(&self) -> Option<Termination> {
        *self.exit.borrow()
    }
}

/// A process under supervision.
#[derive(Debug)]
pub struct Supervised {
    pid: u32,
    exit: ExitWatch,
    report: watch::Receiver<Option<ProcessReport>>,
}

impl Supervised {
    pub(crate) fn new(
        pid: u32,
        exit: ExitWatch,
        report: watch::Receiver<Option<ProcessReport>>,
    ) -> Self {
        Self { pid, exit, report }
    }

    /// Its process id, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A watch on the process's own exit.
    pub fn exit_watch(&self) -> ExitWatch {
        self.exit.clone()
    }

    /// Resolves when the process has exited, its pipes were read to end of file (or, where the
    /// platform cannot find their holder, abandoned with a warning), and its group and every
    /// process adopted from it are reaped.
    pub async fn finished(&self) -> ProcessReport {
        let mut report = self.report.clone();
        let fallback = ProcessReport {
            termination: Termination::from_signal(Signal::KILL),
            signalled_by_us: true,
            duration: Duration::ZERO,
        };
        let waited = report.wait_for(Option::is_some).await.map(|done| *done);
        let done = waited.unwrap_or_else(|_| *report.borrow());
        done.unwrap_or(fallback)
    }
}

/// The domain's reading of an exit status.
pub(crate) fn termination_of(status: std::process::ExitStatus) -> Termination {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal().and_then(Signal::from_number)) {
        (Some(code), _) => Termination::from_code(code),
        (None, Some(signal)) => Termination::from_signal(signal),
        (None, None) => Termination::from_signal(Signal::KILL),
    }
}
