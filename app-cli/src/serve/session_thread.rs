//! The session lives on a thread of its own, whose life is the session's: the runtime's
//! `PR_SET_PDEATHSIG` follows the thread that spawned it, so the processes must be spawned
//! from a thread that ends only when the session does. HTTP work runs elsewhere.

use std::sync::Arc;
use std::thread::JoinHandle;

use session_ports::{Clock, ExecutionSession, Ports, ServiceSettings, SystemClock};
use tokio::sync::oneshot;

use crate::exit::Fatal;
use crate::ports_factory::ConfigPortsFactory;
use crate::run_settings::SettingsSource;

/// The session's thread; [`finish`](Self::finish) once the session has shut down.
#[derive(Debug)]
pub(crate) struct SessionThread {
    session: ExecutionSession,
    done: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SessionThread {
    /// Starts the session (with no sink: the server's clients subscribe) on its thread.
    pub(crate) fn start(source: SettingsSource, settings: ServiceSettings) -> Result<Self, Fatal> {
        let (handle_tx, handle_rx) = std::sync::mpsc::channel();
        let (done, done_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("prometeu-session".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = handle_tx.send(Err(error.to_string()));
                        return;
                    }
                };
                runtime.block_on(async move {
                    // Adopted processes are reaped as they exit, so that zombies never pile up.
                    let reaper = tokio::spawn(adapter_process::reap_adopted_as_they_exit());
                    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
                    let ports = Ports {
                        factory: Arc::new(ConfigPortsFactory::new(source, Arc::clone(&clock))),
                        clock,
                    };
                    let session = ExecutionSession::start(ports, Vec::new(), settings);
                    let _ = handle_tx.send(Ok(session));
                    // The session's task runs on this runtime until the server is done.
                    let _ = done_rx.await;
                    reaper.abort();
                });
            })
            .map_err(|error| Fatal::tool(format!("cannot start the session's thread: {error}")))?;
        let session = handle_rx
            .recv()
            .map_err(|_| Fatal::tool("the session's thread ended before it started"))?
            .map_err(|error| Fatal::tool(format!("cannot start the async runtime: {error}")))?;
        Ok(Self {
            session,
            done: Some(done),
            thread: Some(thread),
        })
    }

    /// A handle to the session.
    pub(crate) fn session(&self) -> ExecutionSession {
        self.session.clone()
    }

    /// Ends the thread; call it once the session has shut down (every process reaped).
    pub(crate) fn finish(mut self) {
        if let Some(done) = self.done.take() {
            let _ = done.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
