//! The bridge: a DAP session as a state machine with no I/O.
//!
//! Three inputs, each returning the [`Effect`]s to carry out in order: messages from the
//! client ([`Bridge::on_message`]), the session's answers to the bridge's commands
//! ([`Bridge::on_answer`]), and batches of session items ([`Bridge::on_items`]); plus the
//! client going away ([`Bridge::on_client_gone`]). Ordering follows the "run a program"
//! adapters (probe-rs, vscode-js-debug): a run's output, then its `exited`, then one
//! `terminated`, after which nothing but responses is sent.

use session_domain::{EventView, RunMode, RunNumber, SessionState};

use crate::mapping::{Progress, RunMapping};
use crate::protocol::{
    Breakpoint, Capabilities, Category, ClientRequest, DisconnectArguments, Event, EventBody,
    Incoming, LaunchArguments, Outgoing, OutputBody, Request, Response, ResponseBody, StartMethod,
    Thread,
};

pub use crate::mapping::Item;

/// What the shell must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Send this message to the client.
    Send(Outgoing),
    /// Carry out this command on the session, answering with [`Bridge::on_answer`] where the
    /// command says so.
    Session(Command),
}

/// A command for the session behind the bridge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Open the project (through its live server when there is one, else in a session of the
    /// adapter's own), follow its events from now on, and play in `mode` (`None`: as
    /// configured). Answer: [`SessionAnswer::Played`].
    Launch {
        /// The project root as the client gave it (`None`: the adapter's directory).
        project: Option<String>,
        /// The mode for this run.
        mode: Option<RunMode>,
    },
    /// Open the project's live server and follow its current run (or, when it has none yet,
    /// its next one) without starting one. Answer: [`SessionAnswer::Attached`].
    Attach {
        /// The project root as the client gave it.
        project: Option<String>,
    },
    /// Follow the opened session's events from now on and play again. Answer:
    /// [`SessionAnswer::Played`].
    Play {
        /// The mode for this run.
        mode: Option<RunMode>,
    },
    /// Stop the run with grace.
    Stop,
    /// Kill every process of the run now.
    Kill,
    /// Stop following; leave the run alone.
    Detach,
    /// End the adapter once every message is sent: a session of the adapter's own is shut
    /// down (its run stopped with grace), a server is left as it is.
    Shutdown,
}

/// The session's answer to a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionAnswer {
    /// To [`Command::Launch`] and [`Command::Play`]: the run started, or why not.
    Played(Result<RunNumber, PlayFailed>),
    /// To [`Command::Attach`]: the run now followed (`None`: the next one to start), or why
    /// the server cannot be followed.
    Attached(Result<Option<RunNumber>, PlayFailed>),
    /// The session's event stream ended (its server went away, or it shut down).
    StreamEnded,
}

/// Why a run could not be started or followed: one line for the user (a configuration
/// error, an ignored play, no server), exactly as the command line would say it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct PlayFailed {
    /// The line.
    pub message: String,
}

impl PlayFailed {
    /// A failure saying `message`.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
        }
    }
}

/// The one thread `threads` always answers.
const THREAD_ID: i64 = 1;

/// A request whose answer waits for the session.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    request_seq: i64,
    command: String,
}

impl Pending {
    fn of(request: &Request) -> Self {
        Self {
            request_seq: request.seq,
            command: request.command.clone(),
        }
    }
}

/// A `launch` or `attach` waiting for `configurationDone`.
#[derive(Debug)]
enum Start {
    Launch(Pending, Option<String>),
    Attach(Pending, Option<String>),
}

/// What the bridge follows.
#[derive(Debug)]
enum Follow {
    /// Nothing yet (or a play is in flight).
    Nothing,
    /// Attached to a server with no run yet: the next run that starts.
    NextRun,
    /// This run, until its terminal state.
    Run(RunMapping),
    /// The debug session has ended (`terminated` was sent).
    Over,
}

/// What `disconnect` does to an active run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Leave {
    Kill,
    Detach,
}

/// The DAP session.
#[derive(Debug)]
pub struct Bridge {
    next_seq: i64,
    method: Option<StartMethod>,
    configured: bool,
    start: Option<Start>,
    /// The request (`launch`, `attach`, `restart`) answered by the session's next answer.
    awaiting: Option<Pending>,
    follow: Follow,
    mode: Option<RunMode>,
    /// `terminate`s received for the current run: the first stops, any later one kills.
    terminates: u32,
    /// A `restart` waiting for the current run to end before it plays again.
    restart: Option<Pending>,
    /// A `disconnect` waiting for the current run to end before it is answered.
    disconnect: Option<Pending>,
    /// What to do to the run once a play in flight has started it.
    on_start: Option<Command>,
}

impl Default for Bridge {
    fn default() -> Self {
        Self::new()
    }
}

impl Bridge {
    /// A bridge before `initialize`.
    pub fn new() -> Self {
        Self {
            next_seq: 1,
            method: None,
            configured: false,
            start: None,
            awaiting: None,
            follow: Follow::Nothing,
            mode: None,
            terminates: 0,
            restart: None,
            disconnect: None,
            on_start: None,
        }
    }

    /// Whether `terminated` was sent.
    pub fn is_terminated(&self) -> bool {
        matches!(self.follow, Follow::Over)
    }

    /// A message from the client.
    pub fn on_message(&mut self, message: Incoming) -> Vec<Effect> {
        let mut effects = Vec::new();
        if let Incoming::Request(request) = message {
            self.on_request(&request, &mut effects);
        }
        effects
    }

    /// The session's answer to the last command that asks for one.
    pub fn on_answer(&mut self, answer: SessionAnswer) -> Vec<Effect> {
        let mut effects = Vec::new();
        match answer {
            SessionAnswer::Played(Ok(run)) | SessionAnswer::Attached(Ok(Some(run))) => {
                let method = self.method.unwrap_or(StartMethod::Launch);
                self.follow = Follow::Run(RunMapping::new(run, method));
                self.terminates = 0;
                self.answer_awaiting(None, &mut effects);
                if let Some(command) = self.on_start.take() {
                    if command == Command::Stop {
                        self.terminates = 1;
                    }
                    effects.push(Effect::Session(command));
                }
            }
            SessionAnswer::Attached(Ok(None)) => {
                self.follow = Follow::NextRun;
                self.answer_awaiting(None, &mut effects);
            }
            SessionAnswer::Played(Err(failed)) | SessionAnswer::Attached(Err(failed)) => {
                self.answer_awaiting(Some(failed.message), &mut effects);
                self.end_session(&mut effects);
            }
            SessionAnswer::StreamEnded => {
                if !self.is_terminated() {
                    let mut bodies = Vec::new();
                    if let Follow::Run(mapping) = &mut self.follow {
                        mapping.close_group(&mut bodies);
                        mapping.flush(&mut bodies);
                    }
                    bodies.push(console("the session's event stream ended"));
                    self.send_events(bodies, &mut effects);
                    let ended = "the session's event stream ended".to_owned();
                    if let Some(restart) = self.restart.take() {
                        self.respond_pending(restart, Err(ended.clone()), &mut effects);
                    }
                    self.answer_awaiting(Some(ended), &mut effects);
                    self.end_session(&mut effects);
                }
            }
        }
        effects
    }

    /// Session items, in order, as one batch: their output is coalesced.
    pub fn on_items<'a>(&mut self, items: impl IntoIterator<Item = Item<'a>>) -> Vec<Effect> {
        let mut effects = Vec::new();
        let mut bodies = Vec::new();
        for item in items {
            if let (Follow::NextRun, Item::Event(EventView::State(state))) = (&self.follow, &item) {
                if state.to == SessionState::Preparing {
                    let method = self.method.unwrap_or(StartMethod::Attach);
                    self.follow = Follow::Run(RunMapping::new(state.run, method));
                }
            }
            let Follow::Run(mapping) = &mut self.follow else {
                continue;
            };
            if let Progress::Ended(_) = mapping.feed(item, &mut bodies) {
                self.send_events(std::mem::take(&mut bodies), &mut effects);
                self.run_ended(&mut effects);
            }
        }
        if let Follow::Run(mapping) = &mut self.follow {
            mapping.flush(&mut bodies);
        }
        self.send_events(bodies, &mut effects);
        effects
    }

    /// The client closed its end: end the run this session launched (leave a followed one),
    /// then end the adapter.
    pub fn on_client_gone(&mut self) -> Vec<Effect> {
        let mut effects = Vec::new();
        if self.is_following_a_run() {
            effects.push(Effect::Session(match self.default_leave() {
                Leave::Kill => Command::Kill,
                Leave::Detach => Command::Detach,
            }));
        }
        effects.push(Effect::Session(Command::Shutdown));
        self.follow = Follow::Over;
        effects
    }

    fn on_request(&mut self, request: &Request, effects: &mut Vec<Effect>) {
        let parsed = match ClientRequest::parse(request) {
            Ok(parsed) => parsed,
            Err(error) => {
                self.respond(request, Err(error.to_string()), effects);
                return;
            }
        };
        match parsed {
            ClientRequest::Initialize => {
                let capabilities = Capabilities {
                    supports_configuration_done_request: true,
                    supports_terminate_request: true,
                    support_terminate_debuggee: true,
                    supports_restart_request: true,
                };
                self.respond(
                    request,
                    Ok(Some(ResponseBody::Capabilities(capabilities))),
                    effects,
                );
                self.send_events(vec![EventBody::Initialized], effects);
            }
            ClientRequest::Launch(arguments) => self.on_launch(request, &arguments, effects),
            ClientRequest::Attach(arguments) => {
                if self.method.is_some() {
                    self.respond(request, Err(already_started()), effects);
                    return;
                }
                self.method = Some(StartMethod::Attach);
                self.start = Some(Start::Attach(Pending::of(request), arguments.project));
                self.begin_when_configured(effects);
            }
            ClientRequest::ConfigurationDone => {
                self.respond(request, Ok(None), effects);
                self.configured = true;
                self.begin_when_configured(effects);
            }
            ClientRequest::Terminate => {
                self.respond(request, Ok(None), effects);
                self.on_terminate(effects);
            }
            ClientRequest::Disconnect(arguments) => self.on_disconnect(request, arguments, effects),
            ClientRequest::Restart(arguments) => self.on_restart(request, arguments, effects),
            ClientRequest::Threads => {
                let threads = vec![Thread {
                    id: THREAD_ID,
                    name: "runtime".to_owned(),
                }];
                self.respond(
                    request,
                    Ok(Some(ResponseBody::Threads { threads })),
                    effects,
                );
            }
            ClientRequest::SetBreakpoints(arguments) => {
                let breakpoints = arguments
                    .breakpoints
                    .iter()
                    .map(|_| Breakpoint {
                        verified: false,
                        message: "prometeu-session runs the cartridge; it sets no breakpoints"
                            .to_owned(),
                    })
                    .collect();
                self.respond(
                    request,
                    Ok(Some(ResponseBody::Breakpoints { breakpoints })),
                    effects,
                );
            }
            ClientRequest::NoBreakpoints => self.respond(request, Ok(None), effects),
            ClientRequest::Unknown => {
                let message = format!(
                    "`{}` is not supported: prometeu-session runs and stops the cartridge and shows its log",
                    request.command
                );
                self.respond(request, Err(message), effects);
            }
        }
    }

    fn on_launch(
        &mut self,
        request: &Request,
        arguments: &LaunchArguments,
        effects: &mut Vec<Effect>,
    ) {
        if self.method.is_some() {
            self.respond(request, Err(already_started()), effects);
            return;
        }
        self.method = Some(StartMethod::Launch);
        match mode_of(arguments) {
            Ok(mode) => self.mode = mode,
            Err(message) => {
                self.respond(request, Err(message), effects);
                self.end_session(effects);
                return;
            }
        }
        self.start = Some(Start::Launch(
            Pending::of(request),
            arguments.project.clone(),
        ));
        self.begin_when_configured(effects);
    }

    /// `launch` and `attach` start the run only once the client has said its configuration
    /// is done, whichever of the two requests came first.
    fn begin_when_configured(&mut self, effects: &mut Vec<Effect>) {
        if !self.configured {
            return;
        }
        match self.start.take() {
            Some(Start::Launch(pending, project)) => {
                self.awaiting = Some(pending);
                effects.push(Effect::Session(Command::Launch {
                    project,
                    mode: self.mode,
                }));
            }
            Some(Start::Attach(pending, project)) => {
                self.awaiting = Some(pending);
                effects.push(Effect::Session(Command::Attach { project }));
            }
            None => {}
        }
    }

    fn on_terminate(&mut self, effects: &mut Vec<Effect>) {
        if let Some(restart) = self.restart.take() {
            // The user pressed Stop while a restart waited for the run's end: no new run.
            self.respond_pending(
                restart,
                Err("cancelled: the debug session was terminated".to_owned()),
                effects,
            );
        }
        if self.is_following_a_run() {
            let command = if self.terminates == 0 {
                Command::Stop
            } else {
                Command::Kill
            };
            self.terminates += 1;
            effects.push(Effect::Session(command));
        } else if self.awaiting.is_some() {
            // A play is in flight: its run is stopped as soon as it has started.
            self.on_start = Some(if self.on_start.is_some() {
                Command::Kill
            } else {
                Command::Stop
            });
        } else if let Some(start) = self.start.take() {
            let (Start::Launch(pending, _) | Start::Attach(pending, _)) = start;
            self.respond_pending(
                pending,
                Err("the debug session was terminated before the run started".to_owned()),
                effects,
            );
            self.end_session(effects);
        } else if !self.is_terminated() {
            self.end_session(effects);
        }
    }

    fn on_disconnect(
        &mut self,
        request: &Request,
        arguments: DisconnectArguments,
        effects: &mut Vec<Effect>,
    ) {
        let leave = match arguments.terminate_debuggee {
            Some(true) => Leave::Kill,
            Some(false) => Leave::Detach,
            None => self.default_leave(),
        };
        self.restart = None;
        if let Some(start) = self.start.take() {
            let (Start::Launch(pending, _) | Start::Attach(pending, _)) = start;
            self.respond_pending(
                pending,
                Err("the client disconnected before the run started".to_owned()),
                effects,
            );
        }
        match leave {
            Leave::Kill if self.is_following_a_run() => {
                // Answered once the run has ended, so that the client never outlives a
                // process it asked to end.
                self.disconnect = Some(Pending::of(request));
                effects.push(Effect::Session(Command::Kill));
            }
            Leave::Kill if self.awaiting.is_some() => {
                self.disconnect = Some(Pending::of(request));
                self.on_start = Some(Command::Kill);
            }
            Leave::Kill | Leave::Detach => {
                if let Follow::Run(mapping) = &mut self.follow {
                    let mut bodies = Vec::new();
                    mapping.close_group(&mut bodies);
                    mapping.flush(&mut bodies);
                    self.send_events(bodies, effects);
                    effects.push(Effect::Session(Command::Detach));
                }
                self.end_session(effects);
                self.respond(request, Ok(None), effects);
                effects.push(Effect::Session(Command::Shutdown));
            }
        }
    }

    fn on_restart(
        &mut self,
        request: &Request,
        arguments: Option<LaunchArguments>,
        effects: &mut Vec<Effect>,
    ) {
        if self.method.is_none() || self.is_terminated() || self.awaiting.is_some() {
            self.respond(
                request,
                Err("there is no run to restart".to_owned()),
                effects,
            );
            return;
        }
        if let Some(arguments) = arguments {
            match mode_of(&arguments) {
                Ok(mode) => self.mode = mode,
                Err(message) => {
                    self.respond(request, Err(message), effects);
                    return;
                }
            }
        }
        if self.is_following_a_run() {
            self.restart = Some(Pending::of(request));
            effects.push(Effect::Session(Command::Stop));
        } else {
            self.awaiting = Some(Pending::of(request));
            effects.push(Effect::Session(Command::Play { mode: self.mode }));
        }
    }

    /// The followed run reached its terminal state.
    fn run_ended(&mut self, effects: &mut Vec<Effect>) {
        if let Some(restart) = self.restart.take() {
            self.follow = Follow::Nothing;
            self.awaiting = Some(restart);
            effects.push(Effect::Session(Command::Play { mode: self.mode }));
        } else {
            self.end_session(effects);
        }
    }

    /// Sends the one `terminated`, then answers a waiting `disconnect` and ends the adapter.
    fn end_session(&mut self, effects: &mut Vec<Effect>) {
        if !self.is_terminated() {
            self.send_events(vec![EventBody::Terminated], effects);
            self.follow = Follow::Over;
        }
        if let Some(disconnect) = self.disconnect.take() {
            self.respond_pending(disconnect, Ok(None), effects);
            effects.push(Effect::Session(Command::Shutdown));
        }
    }

    fn is_following_a_run(&self) -> bool {
        matches!(self.follow, Follow::Run(_) | Follow::NextRun)
    }

    /// A launched run belongs to this debug session; a followed one does not.
    fn default_leave(&self) -> Leave {
        match self.method {
            Some(StartMethod::Attach) => Leave::Detach,
            Some(StartMethod::Launch) | None => Leave::Kill,
        }
    }

    fn answer_awaiting(&mut self, failure: Option<String>, effects: &mut Vec<Effect>) {
        if let Some(pending) = self.awaiting.take() {
            self.respond_pending(pending, failure.map_or(Ok(None), Err), effects);
        }
    }

    fn respond(
        &mut self,
        request: &Request,
        result: Result<Option<ResponseBody>, String>,
        effects: &mut Vec<Effect>,
    ) {
        self.respond_pending(Pending::of(request), result, effects);
    }

    fn respond_pending(
        &mut self,
        pending: Pending,
        result: Result<Option<ResponseBody>, String>,
        effects: &mut Vec<Effect>,
    ) {
        let seq = self.take_seq();
        let (success, message, body) = match result {
            Ok(body) => (true, None, body),
            Err(message) => (false, Some(message), None),
        };
        effects.push(Effect::Send(Outgoing::Response(Response {
            seq,
            request_seq: pending.request_seq,
            success,
            command: pending.command,
            message,
            body,
        })));
    }

    /// Events after `terminated` are dropped: nothing follows it.
    fn send_events(&mut self, bodies: Vec<EventBody>, effects: &mut Vec<Effect>) {
        for body in bodies {
            if self.is_terminated() {
                return;
            }
            let seq = self.take_seq();
            effects.push(Effect::Send(Outgoing::Event(Event { seq, body })));
        }
    }

    fn take_seq(&mut self) -> i64 {
        let seq = self.next_seq;
        self.next_seq += 1;
        seq
    }
}

fn console(text: &str) -> EventBody {
    EventBody::Output(OutputBody {
        category: Category::Console,
        output: format!("{text}\n"),
        group: None,
    })
}

fn already_started() -> String {
    "this debug session has already launched or attached".to_owned()
}

/// The run mode a launch configuration asks for: `noDebug` means run, whatever `mode` says.
fn mode_of(arguments: &LaunchArguments) -> Result<Option<RunMode>, String> {
    if arguments.no_debug {
        return Ok(Some(RunMode::Run));
    }
    match arguments.mode.as_deref() {
        None => Ok(None),
        Some(name) => RunMode::ALL
            .into_iter()
            .find(|mode| mode.as_str() == name)
            .map(Some)
            .ok_or_else(|| format!("launch: `mode` must be \"run\" or \"debug\", not {name:?}")),
    }
}
