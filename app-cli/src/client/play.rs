//! `play` and `prepare` as clients of the project's server: the same output, filters,
//! `--log-file`, `--stop-after` and exit codes as a standalone run, the run being the server's.
//! The stream is opened after the newest event before the play is asked for, so that the run
//! is shown from its first event; events of other runs are not shown.

use std::fs::File;
use std::path::Path;
use std::time::Duration;

use adapter_http::ServerFile;
use adapter_http::client::{Client, Endpoint, EventsRequest, PlayAnswer, StreamItem};
use session_domain::{Event, RunGoal, RunMode, RunNumber, SessionState};
use session_ports::{SinkError, StopOutcome};

use super::follow::{Followed, Follower, Lost};
use super::output::{ClientOutput, OutputFailures};
use super::{block_on, find_server};
use crate::cli::{CommonArgs, Format, PlayArgs};
use crate::config::read_mode_flag;
use crate::exit::{ExitCode, Fatal};
use crate::output::{STDOUT_SINK, StdoutWatch};
use crate::plan::project_paths;
use crate::run::{StopCause, final_code};
use crate::signals::Signals;

/// Runs `play` (with `play`'s flags) or `prepare` through the project's live server; `None`
/// when no server holds the project, and the run is the caller's to do. Nothing of the
/// configuration is read here: the server reads its own.
pub fn play_through_server(
    common: &CommonArgs,
    play: Option<&PlayArgs>,
) -> Option<Result<i32, Fatal>> {
    // Whatever stops us from looking (no such directory, a state folder that is a link) is
    // reported by the standalone run, with its own words.
    let root = project_paths(common.project.as_deref(), None)
        .ok()?
        .project_root;
    let server = find_server(&root).ok()??;
    Some(client_run(&root, &server, common, play))
}

fn client_run(
    root: &Path,
    server: &ServerFile,
    common: &CommonArgs,
    play: Option<&PlayArgs>,
) -> Result<i32, Fatal> {
    let refused = |flag: &str| {
        Fatal::usage(format!(
            "{flag}: the server of {} (pid {}) reads its own configuration; set it in its configuration file, or stop the server to run with the flag",
            root.display(),
            server.pid
        ))
    };
    if common.config.is_some() {
        return Err(refused("--config"));
    }
    let mode = match play {
        Some(play) => {
            if play.runtime.is_some() {
                return Err(refused("--runtime"));
            }
            if play.debug_address.is_some() {
                return Err(refused("--debug-address"));
            }
            play.mode
                .as_deref()
                .map(read_mode_flag)
                .transpose()
                .map_err(|error| Fatal::usage(error.to_string()))?
        }
        None => None,
    };
    let endpoint = Endpoint::of(server).map_err(|error| Fatal::usage(error.to_string()))?;
    let log_file = match &common.log_file {
        None => None,
        Some(path) => Some(File::create(path).map_err(|error| {
            Fatal::usage(format!(
                "--log-file {}: cannot create it: {error}",
                path.display()
            ))
        })?),
    };
    let request = Request {
        goal: if play.is_some() {
            RunGoal::Play
        } else {
            RunGoal::Prepare
        },
        mode,
        stop_after: play.and_then(|play| play.stop_after).map(|after| after.0),
    };
    block_on(async {
        let mut signals = Signals::install().map_err(|error| Fatal::tool(error.to_string()))?;
        let (output, failures) = ClientOutput::for_view(&common.view, log_file)?;
        let (follower, _) = Follower::open(root.to_owned(), server, |info| EventsRequest {
            after: Some(info.last_seq),
            ..EventsRequest::default()
        })
        .await
        .map_err(|error| Fatal::tool(error.to_string()))?;
        let client = Client::new(endpoint);
        let answer = client
            .play(request.goal, request.mode)
            .await
            .map_err(|error| Fatal::tool(error.to_string()))?;
        let run = match answer {
            PlayAnswer::Started { run } => run,
            PlayAnswer::Ignored { state } => {
                return Err(Fatal::usage(format!(
                    "the server of {} is already in a run ({state}); this {} was ignored and that run left alone; watch it with `prometeu-session attach`",
                    root.display(),
                    match request.goal {
                        RunGoal::Play => "play",
                        RunGoal::Prepare => "prepare",
                    }
                )));
            }
            PlayAnswer::Refused { detail } => return Err(Fatal::usage(detail)),
        };
        let watched = Watched {
            root,
            client: &client,
            run,
            format: common.view.format,
            stop_after: request.stop_after,
        };
        watched
            .follow(follower, (output, failures), &mut signals)
            .await
    })
}

/// What the client asks the server for.
struct Request {
    goal: RunGoal,
    mode: Option<RunMode>,
    stop_after: Option<Duration>,
}

/// The run this client started, followed to its terminal state.
struct Watched<'a> {
    root: &'a Path,
    client: &'a Client,
    run: RunNumber,
    format: Format,
    stop_after: Option<Duration>,
}

impl Watched<'_> {
    async fn follow(
        &self,
        mut follower: Follower,
        (mut output, mut failures): (ClientOutput, OutputFailures),
        signals: &mut Signals,
    ) -> Result<i32, Fatal> {
        let mut stdout = StdoutWatch::start();
        let mut cause: Option<StopCause> = None;
        let mut tool_error: Option<String> = None;
        let mut signals_received = 0_u32;
        let mut state = SessionState::Preparing;
        let mut final_state = None;
        let mut stop_after = std::pin::pin!(tokio::time::sleep(Duration::MAX / 4));
        let mut armed = false;
        let mut stop_after_unarmed = self.stop_after;
        while final_state.is_none() || output.has_pending() {
            tokio::select! {
                biased;
                received = signals.next() => {
                    let name = received.name();
                    signals_received += 1;
                    // As standalone: the first signal stops with grace, the second kills once
                    // a stop is under way.
                    if signals_received >= 2 && state == SessionState::Stopping {
                        let _ = self.client.kill().await;
                    } else {
                        self.stop(&mut cause, StopCause::Signal(received), &format!("{name} received")).await;
                    }
                }
                () = stdout.closed() => {
                    self.stop(&mut cause, StopCause::StdoutClosed, &stdout_closed_reason()).await;
                }
                Some(failure) = failures.next() => {
                    let (this, reason) = match failure.message() {
                        None => (StopCause::StdoutClosed, stdout_closed_reason()),
                        Some(message) => {
                            tool_error.get_or_insert(message.clone());
                            (StopCause::OutputError, message)
                        }
                    };
                    self.stop(&mut cause, this, &reason).await;
                }
                () = &mut stop_after, if armed => {
                    armed = false;
                    self.stop(&mut cause, StopCause::StopAfter, "--stop-after elapsed").await;
                }
                () = output.flush(), if output.has_pending() => {}
                followed = follower.next(), if !output.has_pending() && final_state.is_none() => {
                    let mut item = match followed {
                        Followed::Item(item) => Some(item),
                        Followed::Lost(Lost::Unreachable(error)) => {
                            tracing::debug!(%error, "the server does not answer; trying again");
                            None
                        }
                        Followed::Lost(Lost::NoServer) | Followed::NewSession { .. } | Followed::Ended => {
                            output.finish().await;
                            return Err(Fatal::tool(format!(
                                "the server of {} went away before the run ended",
                                self.root.display()
                            )));
                        }
                    };
                    while let Some(next) = item {
                        if let Some(to) = self.show(&mut output, &next) {
                            state = to;
                            // --stop-after counts from the moment the run is running, once.
                            if to == SessionState::Running {
                                if let Some(after) = stop_after_unarmed.take() {
                                    armed = true;
                                    stop_after.as_mut().reset(tokio::time::Instant::now() + after);
                                }
                            }
                            if to.is_terminal() {
                                final_state = Some(to);
                                break;
                            }
                        }
                        item = follower.try_next();
                    }
                }
            }
        }
        let final_state = final_state.unwrap_or(state);
        let exit = cause.map_or_else(|| ExitCode::of_state(final_state), StopCause::exit_code);
        let stdout_closed = cause == Some(StopCause::StdoutClosed);
        if self.format == Format::Human && !stdout_closed {
            output.summary(final_state, exit.code());
        }
        output.finish().await;
        for failure in failures.drain() {
            if let Some(message) = failure.message() {
                tool_error.get_or_insert(message);
            }
        }
        final_code(exit, cause, tool_error)
    }

    /// Shows one item if it belongs to our run; answers the state it entered, if it is one.
    fn show(&self, output: &mut ClientOutput, item: &StreamItem) -> Option<SessionState> {
        match item {
            StreamItem::Missed { .. } => {
                output.item(item);
                None
            }
            StreamItem::Event(event) if event.view().run() == self.run => {
                output.item(item);
                match event {
                    Event::State(state) => Some(state.to),
                    _ => None,
                }
            }
            StreamItem::Event(_) => None,
        }
    }

    /// Asks the server to stop, saying why in the words of a standalone run; the first
    /// accepted stop's cause keeps the exit code.
    async fn stop(&self, cause: &mut Option<StopCause>, this: StopCause, reason: &str) {
        if let Ok(StopOutcome::Requested) = self.client.stop(Some(reason)).await {
            cause.get_or_insert(this);
        }
    }
}

/// How a standalone run words the stop a closed stdout causes.
fn stdout_closed_reason() -> String {
    SinkError::Closed {
        sink: STDOUT_SINK.to_owned(),
    }
    .to_string()
}
