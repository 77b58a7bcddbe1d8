//! `attach`: follow the project's server in the format of `play`, until Ctrl-C (which only
//! detaches: the run goes on), or the end of what is held with `--no-follow`.

use std::path::Path;

use adapter_http::client::{EventsRequest, SessionInfo, StreamItem};
use session_domain::Event;

use super::follow::{Followed, Follower, Lost};
use super::output::{ClientOutput, OutputFailure, OutputFailures};
use super::{block_on, find_server, no_server};
use crate::cli::AttachArgs;
use crate::exit::{ExitCode, Fatal};
use crate::output::StdoutWatch;
use crate::plan::project_paths;
use crate::signals::Signals;

/// Runs `attach`; returns the exit code.
pub fn attach(args: &AttachArgs) -> Result<i32, Fatal> {
    let root = project_paths(args.project.as_deref(), None)?.project_root;
    let server = find_server(&root)
        .map_err(|error| Fatal::usage(error.to_string()))?
        .ok_or_else(|| no_server(&root))?;
    block_on(async {
        // Installed first: a Ctrl-C from now on detaches instead of killing us mid-write.
        let mut signals = Signals::install().map_err(|error| Fatal::tool(error.to_string()))?;
        let (follower, _) = Follower::open(root.clone(), &server, |info| start(args, info))
            .await
            .map_err(|error| Fatal::tool(error.to_string()))?;
        let (output, failures) = ClientOutput::for_view(&args.view, None)?;
        follow(&root, follower, (output, failures), &mut signals).await
    })
}

/// Where the stream starts: `--after`, `--tail`, or by default the current run's first event,
/// so that a run joined midway shows from its start.
fn start(args: &AttachArgs, info: &SessionInfo) -> EventsRequest {
    let after = match (args.after, args.tail) {
        (Some(after), _) => after,
        (None, Some(tail)) => info.last_seq.saturating_sub(tail),
        (None, None) => info.run_first_seq.saturating_sub(1),
    };
    EventsRequest {
        last_event_id: None,
        after: Some(after),
        no_follow: args.no_follow,
        filter: args.view.filter(),
    }
}

async fn follow(
    root: &Path,
    mut follower: Follower,
    (mut output, mut failures): (ClientOutput, OutputFailures),
    signals: &mut Signals,
) -> Result<i32, Fatal> {
    let mut stdout = StdoutWatch::start();
    let mut said_lost = false;
    loop {
        tokio::select! {
            biased;
            _ = signals.next() => {
                // Detaching leaves the run alone; what was already formatted is still shown.
                output.finish().await;
                return Ok(ExitCode::Success.code());
            }
            () = stdout.closed() => return Ok(ExitCode::StdoutClosed.code()),
            Some(failure) = failures.next() => {
                return match failure.message() {
                    None => Ok(ExitCode::StdoutClosed.code()),
                    Some(message) => Err(Fatal::tool(message)),
                };
            }
            () = output.flush(), if output.has_pending() => {}
            followed = follower.next(), if !output.has_pending() => match followed {
                Followed::Item(item) => {
                    said_lost = false;
                    show(&mut output, &item);
                    while let Some(item) = follower.try_next() {
                        show(&mut output, &item);
                    }
                }
                Followed::NewSession { old, new } => {
                    said_lost = false;
                    eprintln!(
                        "prometeu-session: the server was restarted (session {new}, was {old}); following the new session from its start"
                    );
                }
                Followed::Lost(lost) => {
                    if follower.is_one_shot() {
                        // A dump that cannot be finished is an error, not a shorter dump.
                        output.finish().await;
                        return Err(Fatal::tool(describe(&lost, root)));
                    }
                    if !said_lost {
                        said_lost = true;
                        eprintln!("prometeu-session: {}; waiting for it to come back (Ctrl-C to leave)", describe(&lost, root));
                    }
                }
                Followed::Ended => break,
            },
        }
    }
    output.finish().await;
    let failures = failures.drain();
    match failures.iter().find_map(OutputFailure::message) {
        Some(message) => Err(Fatal::tool(message)),
        None if failures.contains(&OutputFailure::StdoutClosed) => {
            Ok(ExitCode::StdoutClosed.code())
        }
        None => Ok(ExitCode::Success.code()),
    }
}

/// One item on stdout, and the summary line after each run's terminal state.
fn show(output: &mut ClientOutput, item: &StreamItem) {
    output.item(item);
    if let StreamItem::Event(Event::State(state)) = item {
        if state.to.is_terminal() {
            output.summary(state.to, ExitCode::of_state(state.to).code());
        }
    }
}

fn describe(lost: &Lost, root: &Path) -> String {
    match lost {
        Lost::NoServer => format!("no server runs the project {} any more", root.display()),
        Lost::Unreachable(error) => format!("lost the server: {error}"),
    }
}
