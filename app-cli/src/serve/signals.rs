//! The signals that end a server: the first of SIGINT, SIGTERM, SIGHUP or SIGQUIT shuts it
//! down with grace, a second kills every process group of the run.

use tokio::signal::unix::{Signal, SignalKind, signal};

use crate::exit::Fatal;

pub(crate) struct ShutdownSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
    quit: Signal,
}

impl ShutdownSignals {
    pub(crate) fn install() -> Result<Self, Fatal> {
        let install = |kind| {
            signal(kind).map_err(|error| Fatal::tool(format!("cannot handle signals: {error}")))
        };
        Ok(Self {
            interrupt: install(SignalKind::interrupt())?,
            terminate: install(SignalKind::terminate())?,
            hangup: install(SignalKind::hangup())?,
            quit: install(SignalKind::quit())?,
        })
    }

    /// The name of the next signal received.
    pub(crate) async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.hangup.recv() => "SIGHUP",
            _ = self.quit.recv() => "SIGQUIT",
        }
    }
}
