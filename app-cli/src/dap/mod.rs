//! `prometeu-session dap`: a Debug Adapter Protocol server on stdio. The shell only: the
//! protocol's rules live in `adapter-dap`'s bridge, and this loop feeds it the client's bytes,
//! the session's answers and items, and carries out what it returns. Stdout carries nothing
//! but protocol messages; diagnostics go to stderr through `tracing`.

mod embedded;
mod stdio;

use std::collections::VecDeque;
use std::path::PathBuf;

use adapter_dap::protocol::Incoming;
use adapter_dap::{Bridge, Command, Decoder, Effect, Item, PlayFailed, SessionAnswer};
use session_ports::{Subscription, SubscriptionItem};

use crate::exit::{ExitCode, Fatal};

use self::embedded::Embedded;
use self::stdio::MessageWriter;

/// Items handed to the bridge at most per batch: enough to coalesce a busy run's output into
/// few messages, few enough that a request is never kept waiting long.
const BATCH_ITEMS: usize = 4096;

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
    /// The session launched in, once there is one.
    embedded: Option<Embedded>,
    /// The events followed, once a run is.
    follower: Option<Subscription>,
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
            embedded: None,
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
                    Some(items) => {
                        let items = items.iter().map(|item| match item {
                            SubscriptionItem::Event(event) => Item::Event(event.view()),
                            SubscriptionItem::Missed { count } => Item::Missed { count: *count },
                        });
                        self.effects.extend(self.bridge.on_items(items));
                    }
                    None => {
                        self.follower = None;
                        self.effects.extend(self.bridge.on_answer(SessionAnswer::StreamEnded));
                    }
                },
            }
        }
        if let Some(embedded) = self.embedded.take() {
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
                let project = project.map_or_else(|| PathBuf::from("."), PathBuf::from);
                let embedded = match Embedded::open(&project) {
                    Ok(embedded) => self.embedded.insert(embedded),
                    Err(failed) => return Some(SessionAnswer::Played(Err(failed))),
                };
                let (answer, follower) = embedded::play(embedded.session(), mode).await;
                self.follower = follower;
                Some(SessionAnswer::Played(answer))
            }
            Command::Play { mode } => {
                let Some(embedded) = &self.embedded else {
                    return Some(SessionAnswer::Played(Err(PlayFailed::new(
                        "no session is open to play in",
                    ))));
                };
                let (answer, follower) = embedded::play(embedded.session(), mode).await;
                self.follower = follower;
                Some(SessionAnswer::Played(answer))
            }
            Command::Attach { project } => {
                let project = project.map_or_else(|| PathBuf::from("."), PathBuf::from);
                Some(SessionAnswer::Attached(Err(PlayFailed::new(format!(
                    "no server holds the project at {}: start one with `prometeu-session serve --project {}`, or use a launch configuration",
                    project.display(),
                    project.display()
                )))))
            }
            Command::Stop => {
                if let Some(embedded) = &self.embedded {
                    let _ = embedded
                        .session()
                        .stop("stop requested by the debug client")
                        .await;
                }
                None
            }
            Command::Kill => {
                if let Some(embedded) = &self.embedded {
                    let _ = embedded.session().kill_now().await;
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

/// The next items available, at least one (waiting for it), at most [`BATCH_ITEMS`];
/// `None` once the session has ended the subscription.
async fn next_batch(follower: Option<&mut Subscription>) -> Option<Vec<SubscriptionItem>> {
    let follower = follower?;
    let first = follower.next().await?;
    let mut items = Vec::with_capacity(64);
    items.push(first);
    while items.len() < BATCH_ITEMS {
        match follower.try_next() {
            Some(item) => items.push(item),
            None => break,
        }
    }
    Some(items)
}
