//! `stop`, `kill` and `status`: one request each to the project's server.

use std::path::{Path, PathBuf};

use adapter_http::ServerFile;
use adapter_http::client::{Client, Endpoint};
use session_ports::{KillOutcome, StopOutcome};

use super::status_text::status_text;
use super::{block_on, find_server, no_server};
use crate::cli::{Format, ProjectArgs, StatusArgs};
use crate::exit::{ExitCode, Fatal};
use crate::plan::project_paths;

/// `stop`: asks the server to stop its run with grace, and says what it answered.
pub fn stop(args: &ProjectArgs) -> Result<i32, Fatal> {
    let (_, _, client) = connect(args.project.as_deref())?;
    let outcome = block_on(async { client.stop(None).await.map_err(request_failed) })?;
    println!(
        "{}",
        match outcome {
            StopOutcome::Requested => "stop requested",
            StopOutcome::AlreadyStopping => "already stopping",
            StopOutcome::NothingToStop => "nothing to stop: no run is active",
        }
    );
    Ok(ExitCode::Success.code())
}

/// `kill`: asks the server to kill every process of its run at once.
pub fn kill(args: &ProjectArgs) -> Result<i32, Fatal> {
    let (_, _, client) = connect(args.project.as_deref())?;
    let outcome = block_on(async { client.kill().await.map_err(request_failed) })?;
    println!(
        "{}",
        match outcome {
            KillOutcome::Killing => "killing every process of the run",
            KillOutcome::NothingToKill => "nothing to kill: no run is active",
        }
    );
    Ok(ExitCode::Success.code())
}

/// `status`: the server's snapshot, for people or as JSON.
pub fn status(args: &StatusArgs) -> Result<i32, Fatal> {
    let (_, server, client) = connect(args.project.as_deref())?;
    let info = block_on(async { client.session().await.map_err(request_failed) })?;
    let text = match args.format {
        Format::Human => status_text(&info, &server),
        Format::Json => {
            serde_json::to_string(&info).map_err(|error| Fatal::tool(error.to_string()))? + "\n"
        }
    };
    print!("{text}");
    Ok(ExitCode::Success.code())
}

/// The project's live server and a client of it; no server is exit 2.
fn connect(project: Option<&Path>) -> Result<(PathBuf, ServerFile, Client), Fatal> {
    let root = project_paths(project, None)?.project_root;
    let server = find_server(&root)
        .map_err(|error| Fatal::usage(error.to_string()))?
        .ok_or_else(|| no_server(&root))?;
    let endpoint = Endpoint::of(&server).map_err(|error| Fatal::usage(error.to_string()))?;
    Ok((root, server, Client::new(endpoint)))
}

fn request_failed(error: adapter_http::client::RequestError) -> Fatal {
    Fatal::tool(error.to_string())
}
