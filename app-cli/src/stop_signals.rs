//! The signals that stop a run, for `play` and `prepare` whether they run the session or a
//! server does: SIGINT (Ctrl-C), SIGTERM and SIGHUP, each with its exit code.

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit::{ExitCode, Fatal};

/// The stop signals, handled instead of ending the process.
#[derive(Debug)]
pub(crate) struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Handles the signals from now on.
    pub(crate) fn install() -> Result<Self, Fatal> {
        let install = |kind| {
            signal(kind).map_err(|error| Fatal::tool(format!("cannot handle signals: {error}")))
        };
        Ok(Self {
            interrupt: install(SignalKind::interrupt())?,
            terminate: install(SignalKind::terminate())?,
            hangup: install(SignalKind::hangup())?,
        })
    }

    /// The next signal: the exit code it gives and its name.
    pub(crate) async fn next(&mut self) -> (ExitCode, &'static str) {
        tokio::select! {
            _ = self.interrupt.recv() => (ExitCode::Interrupted, "SIGINT"),
            _ = self.terminate.recv() => (ExitCode::Terminated, "SIGTERM"),
            _ = self.hangup.recv() => (ExitCode::Hangup, "SIGHUP"),
        }
    }
}
