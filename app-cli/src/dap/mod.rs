//! `prometeu-session dap`: a Debug Adapter Protocol server on stdio. The shell only: the
//! protocol's rules live in `adapter-dap`'s bridge, and this loop feeds it the client's bytes,
//! the session's answers and items, and carries out what it returns. Stdout carries nothing
//! but protocol messages; diagnostics go to stderr through `tracing`.

mod embedded;
mod server;
mod stdio;
mod stream;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};

use adapter_dap::protocol::Incoming;
use adapter_dap::{Bridge, Command, Decoder, Effect, PlayFailed, SessionAnswer};

use crate::client::find_server;
use crate::exit::{ExitCode, Fatal};
use crate::plan::project_paths;

use self::embedded::Embedded;
use self::server::Server;
use self::stdio::MessageWriter;
use self::stream::EventSource;

/// Runs the adapter until the client disconnects or goes away; returns the exit code.
pub fn dap() -> Result<i32, Fatal> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Fatal::tool(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(Adapter::new().run())
}

/// What the adapter holds.
struct Adapter {
    bridge: Bridge,
    decoder: Decoder,
    writer: MessageWriter,
    effects: VecDeque<Effect>,
    /// The session launched in or attached to, once there is one.
    backend: Option<Backend>,
    /// The events followed, once a run is.
    follower: Option<EventSource>,
    /// The client's bytes could not be read as DAP: the exit code says so.
    broken_input: bool,
}

impl Adapter {
    fn new() -> Self {
        Self {
            bridge: Bridge::new(),
            decoder: Decoder::new(),
            writer: MessageWriter::new(),
            effects: VecDeque::new(),
            backend: None,
            follower: None,
            broken_input: false,
        }
    }

    async fn run(mut self) -> Result<i32, Fatal> {
        let mut input = stdio::read_stdin();
        loop {
            if self.carry_out_effects().await {
                break;
            }
            tokio::select! {
                chunk = input.recv() => match chunk {
                    Some(bytes) => self.on_bytes(&bytes),
                    None => self.effects.extend(self.bridge.on_client_gone()),
                },
                batch = next_batch(self.follower.as_mut()), if self.follower.is_some() => match batch {
                    Some(batch) => self.effects.extend(self.bridge.on_items(batch.items())),
                    None => {
                        self.follower = None;
                        self.effects.extend(self.bridge.on_answer(SessionAnswer::StreamEnded));
                    }
                },
            }
        }
        if let Some(Backend::Embedded(embedded)) = self.backend.take() {
            embedded.shut_down().await;
        }
        Ok(if self.broken_input {
            ExitCode::ToolError.code()
        } else {
            ExitCode::Success.code()
        })
    }

    fn on_bytes(&mut self, bytes: &[u8]) {
        self.decoder.push(bytes);
        loop {
            match self.decoder.next_message() {
                Ok(Some(body)) => match serde_json::from_slice::<Incoming>(&body) {
                    Ok(message) => self.effects.extend(self.bridge.on_message(message)),
                    // Without a readable envelope there is no request to answer.
                    Err(error) => tracing::warn!(%error, "ignored a message that is not DAP"),
                },
                Ok(None) => return,
                Err(error) => {
                    tracing::error!(%error, "the client's bytes are not DAP messages; ending");
                    self.broken_input = true;
                    self.effects.extend(self.bridge.on_client_gone());
                    return;
                }
            }
        }
    }

    /// Carries out every pending effect (answers feed the bridge, whose effects join the
    /// queue), then writes what was framed. Returns whether the adapter should end.
    async fn carry_out_effects(&mut self) -> bool {
        let mut shut_down = false;
        while let Some(effect) = self.effects.pop_front() {
            match effect {
                Effect::Send(message) => self.writer.push(&message),
                Effect::Session(Command::Shutdown) => shut_down = true,
                Effect::Session(command) => {
                    if let Some(answer) = self.command(command).await {
                        let effects = self.bridge.on_answer(answer);
                        self.effects.extend(effects);
                    }
                }
            }
        }
        if let Err(error) = self.writer.flush() {
            tracing::warn!(%error, "the client stopped reading; ending");
            let effects = self.bridge.on_client_gone();
            self.effects.extend(effects);
            return true;
        }
        shut_down
    }

    async fn command(&mut self, command: Command) -> Option<SessionAnswer> {
        match command {
            Command::Launch { project, mode } => {
                let backend = match open_for_launch(project.as_deref()) {
                    Ok(backend) => self.backend.insert(backend),
                    Err(failed) => return Some(SessionAnswer::Played(Err(failed))),
                };
                let (answer, follower) = backend.play(mode).await;
                self.follower = follower;
                Some(SessionAnswer::Played(answer))
            }
            Command::Play { mode } => {
                let Some(backend) = &self.backend else {
                    return Some(SessionAnswer::Played(Err(PlayFailed::new(
                        "no session is open to play in",
                    ))));
                };
                let (answer, follower) = backend.play(mode).await;
                self.follower = follower;
                Some(SessionAnswer::Played(answer))
            }
            Command::Attach { project } => {
                let server = match open_for_attach(project.as_deref()) {
                    Ok(server) => server,
                    Err(failed) => return Some(SessionAnswer::Attached(Err(failed))),
                };
                let (answer, follower) = server.attach().await;
                self.follower = follower.map(EventSource::Server);
                self.backend = Some(Backend::Server(server));
                Some(SessionAnswer::Attached(answer))
            }
            Command::Stop => {
                match &self.backend {
                    Some(Backend::Embedded(embedded)) => {
                        let _ = embedded
                            .session()
                            .stop("stop requested by the debug client")
                            .await;
                    }
                    Some(Backend::Server(server)) => server.stop().await,
                    None => {}
                }
                None
            }
            Command::Kill => {
                match &self.backend {
                    Some(Backend::Embedded(embedded)) => {
                        let _ = embedded.session().kill_now().await;
                    }
                    Some(Backend::Server(server)) => server.kill().await,
                    None => {}
                }
                None
            }
            Command::Detach => {
                self.follower = None;
                None
            }
            // Handled by the caller: it ends the loop.
            Command::Shutdown => None,
        }
    }
}

/// Where a debug session's run lives.
#[derive(Debug)]
enum Backend {
    /// A session of the adapter's own.
    Embedded(Embedded),
    /// The project's live server.
    Server(Server),
}

impl Backend {
    async fn play(
        &self,
        mode: Option<session_domain::RunMode>,
    ) -> (
        Result<session_domain::RunNumber, PlayFailed>,
        Option<EventSource>,
    ) {
        match self {
            Self::Embedded(embedded) => {
                let (answer, subscription) = embedded::play(embedded.session(), mode).await;
                (answer, subscription.map(EventSource::Embedded))
            }
            Self::Server(server) => {
                let (answer, follower) = server.play(mode).await;
                (answer, follower.map(EventSource::Server))
            }
        }
    }
}

/// The project's live server when there is one, else a session of our own.
fn open_for_launch(project: Option<&str>) -> Result<Backend, PlayFailed> {
    let root = project_root(project)?;
    Ok(match live_server(&root)? {
        Some(server) => Backend::Server(server),
        None => Backend::Embedded(Embedded::open(&root)?),
    })
}

/// The project's live server; attaching needs one.
fn open_for_attach(project: Option<&str>) -> Result<Server, PlayFailed> {
    let root = project_root(project)?;
    live_server(&root)?.ok_or_else(|| no_server(&root))
}

fn project_root(project: Option<&str>) -> Result<PathBuf, PlayFailed> {
    let project = project.map_or_else(|| PathBuf::from("."), PathBuf::from);
    if !project.is_dir() {
        return Err(PlayFailed::new(format!(
            "project {}: no such directory; set `project` in the launch configuration to the project's root",
            project.display()
        )));
    }
    Ok(project_paths(Some(&project), None)
        .map_err(|fatal| PlayFailed::new(fatal.message))?
        .project_root)
}

fn live_server(root: &Path) -> Result<Option<Server>, PlayFailed> {
    match find_server(root).map_err(|error| PlayFailed::new(error.to_string()))? {
        Some(file) => Ok(Some(Server::new(root, file)?)),
        None => Ok(None),
    }
}

fn no_server(root: &Path) -> PlayFailed {
    PlayFailed::new(format!(
        "no server runs the project {}; start one with `prometeu-session serve --project {}`, or use a launch configuration",
        root.display(),
        root.display()
    ))
}

/// The next batch of the followed events; `None` once they have ended.
async fn next_batch(follower: Option<&mut EventSource>) -> Option<stream::Batch> {
    follower?.next_batch().await
}
