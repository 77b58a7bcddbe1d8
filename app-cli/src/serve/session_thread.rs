//! The session lives on a thread of its own, whose life is the session's: the runtime's
//! `PR_SET_PDEATHSIG` follows the thread that spawned it, so the processes must be spawned
//! from a thread that ends only when the session does. HTTP work runs elsewhere.

use std::sync::Arc;
use std::thread::JoinHandle;

use adapter_process::Guardian;
use session_domain::LogLimits;
use session_ports::{Clock, ExecutionSession, Ports, ServiceSettings, SystemClock};
use tokio::sync::oneshot;

use crate::config::{ConfigFile, Overrides};
use crate::exit::Fatal;
use crate::plan::ProjectPaths;
use crate::ports_factory::ConfigPortsFactory;
use crate::run_settings::SettingsSource;

/// The session's thread; [`finish`](Self::finish) once the session has shut down.
#[derive(Debug)]
pub(crate) struct SessionThread {
    session: ExecutionSession,
    done: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// Kills the run's processes should this process die without a chance to stop them.
    guardian: Option<Guardian>,
}

impl SessionThread {
    /// Starts the project's long-lived session (for `serve` and an embedded `dap`): the
    /// subreaper and the guardian first, then the session with the `[log]` sizes read now and
    /// the configuration read again at every play.
    pub(crate) fn for_project(paths: &ProjectPaths, config: &ConfigFile) -> Result<Self, Fatal> {
        // Descendants that leave their group are re-parented to us, so that a run can find
        // and reap them (Linux). Done before anything is spawned.
        if let Err(error) = adapter_process::become_subreaper() {
            tracing::warn!(%error, "cannot become a child subreaper; escaped descendants may outlive a run");
        }
        // Should this process die without a chance to stop the run (SIGKILL, a fault), the
        // guardian ends the run's processes. Started before anything of a run is spawned.
        let guardian = adapter_process::start_guardian()
            .inspect_err(|error| {
                tracing::warn!(%error, "running without a guardian; processes of a run may outlive this process if it is killed");
            })
            .ok();
        let settings = ServiceSettings {
            limits: LogLimits {
                max_events: config.log.buffer_events,
                max_bytes: config.log.buffer_bytes,
            },
            ..ServiceSettings::default()
        };
        let source = SettingsSource {
            project_root: paths.project_root.clone(),
            config_path: paths.config_path.clone(),
            overrides: Overrides::default(),
        };
        let mut thread = Self::start(source, settings)?;
        thread.guardian = guardian;
        Ok(thread)
    }

    /// Starts the session (with no sink: the server's clients subscribe) on its thread.
    fn start(source: SettingsSource, settings: ServiceSettings) -> Result<Self, Fatal> {
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
            guardian: None,
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
        // Every run is over: the guardian's last sweep finds nothing, and it is reaped.
        drop(self.guardian.take());
    }
}
