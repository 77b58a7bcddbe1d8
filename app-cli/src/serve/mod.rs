//! `prometeu-session serve`: the project's session behind a local HTTP API, for as long as
//! the Studio (or a user) keeps it.
//!
//! Start-up checks everything before anything is announced: the configuration (its `[log]`
//! sizes are read once, here), the listen settings, the token file, the project lock, the
//! listeners. Then the session starts on its own thread, `server.json` is written, and one
//! ready line goes to stdout. A signal or `POST /v1/shutdown` stops the run with grace,
//! delivers what the streams have not sent, ends them, removes `server.json`, and exits 0.

mod identity;
mod listen;
pub(crate) mod session_thread;

use std::sync::Arc;
use std::time::{Duration, Instant};

use adapter_http::{ApiContext, Listeners, ReadyLine, SERVER_FILE_NAME, ServerFile, WebLogin};

use crate::cli::ServeArgs;
use crate::config::load;
use crate::exit::{ExitCode, Fatal};
use crate::plan::project_paths;
use crate::state_folder;

use self::session_thread::SessionThread;
use crate::signals::Signals;

/// How long open connections may take to end once the session has shut down.
const DRAIN: Duration = Duration::from_secs(5);

/// Runs the server until it is told to stop; returns the exit code.
pub fn serve(args: &ServeArgs) -> Result<i32, Fatal> {
    let paths = project_paths(args.project.as_deref(), args.config.as_deref())?;
    let config = load(&paths.config_path).map_err(|error| Fatal::usage(error.to_string()))?;
    let address = listen::tcp_address(args.listen.as_deref(), args.listen_any)?;
    let token = identity::token(args.token_file.as_deref())?;
    let folder =
        state_folder::open(&paths.project_root).map_err(|error| Fatal::usage(error.to_string()))?;
    let lock = folder
        .lock()
        .map_err(|error| Fatal::usage(error.to_string()))?;
    let bound = listen::bind(address, args.unix.as_deref())?;
    let id = identity::new_session_id()?;

    // The web workspace's one-time login code, and the cookie secret it is traded for.
    let login_code = identity::random_secret()?;
    let cookie_secret = identity::random_secret()?;
    let session_thread = SessionThread::for_project(&paths, &config)?;
    let login_path = format!("/login?code={}", login_code.as_str());
    let context = Arc::new(
        ApiContext::new(
            session_thread.session(),
            id,
            paths.project_root.display().to_string(),
            token,
        )
        .with_web_login(WebLogin::new(login_code, cookie_secret, Instant::now())),
    );

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("prometeu-http")
        .enable_all()
        .build()
        .map_err(|error| Fatal::tool(format!("cannot start the async runtime: {error}")))?;
    let served = runtime.block_on(async {
        let tcp = tokio::net::TcpListener::from_std(bound.tcp)
            .map_err(|error| Fatal::tool(format!("cannot set up the listener: {error}")))?;
        let url = format!(
            "http://{}",
            tcp.local_addr()
                .map_err(|error| Fatal::tool(error.to_string()))?
        );
        let (unix, unix_path) = match bound.unix {
            Some((listener, path)) => (
                Some(
                    tokio::net::UnixListener::from_std(listener).map_err(|error| {
                        Fatal::tool(format!("cannot set up the listener: {error}"))
                    })?,
                ),
                Some(path),
            ),
            None => (None, None),
        };
        let unix_text = unix_path.as_ref().map(|path| path.display().to_string());
        let server_file = ServerFile {
            version: env!("CARGO_PKG_VERSION").to_owned(),
            pid: std::process::id(),
            url: url.clone(),
            unix: unix_text.clone(),
            session: id.to_string(),
            token: context.token.as_str().to_owned(),
        };
        let contents = serde_json::to_vec_pretty(&server_file)
            .map_err(|error| Fatal::tool(format!("cannot write server.json: {error}")))?;
        folder
            .write_private(SERVER_FILE_NAME, &contents)
            .map_err(|error| Fatal::tool(error.to_string()))?;
        let mut signals = Signals::install().map_err(|error| Fatal::tool(error.to_string()))?;
        announce(&ReadyLine {
            kind: "ready".to_owned(),
            login_url: Some(format!("{url}{login_path}")),
            url,
            unix: unix_text,
            session: id.to_string(),
            server_file: folder.path().join(SERVER_FILE_NAME).display().to_string(),
        })?;

        let session = context.session.clone();
        let stopped = async {
            tokio::select! {
                () = context.shutdown_requested() => tracing::info!("shutdown asked over the API"),
                signal = signals.next() => tracing::info!(signal = %signal.name(), "shutting down"),
            }
            // A second signal while the run stops kills every process group at once.
            let shut_down = session.shutdown();
            tokio::pin!(shut_down);
            loop {
                tokio::select! {
                    () = &mut shut_down => break,
                    _ = signals.next() => {
                        let _ = session.kill_now().await;
                    }
                }
            }
        };
        let listeners = Listeners {
            tcp: Some(tcp),
            unix,
        };
        let served = adapter_http::serve(Arc::clone(&context), listeners, stopped, DRAIN).await;
        if let Some(path) = &unix_path {
            let _ = std::fs::remove_file(path);
        }
        served.map_err(|error| Fatal::tool(format!("the server failed: {error}")))
    });
    let removed = folder.remove(SERVER_FILE_NAME);
    session_thread.finish();
    drop(lock);
    served?;
    removed.map_err(|error| Fatal::tool(error.to_string()))?;
    Ok(ExitCode::Success.code())
}

/// The one line on stdout a parent reads to know the server is ready; nothing follows it.
fn announce(ready: &ReadyLine) -> Result<(), Fatal> {
    use std::io::Write;
    let mut line = serde_json::to_vec(ready)
        .map_err(|error| Fatal::tool(format!("cannot write the ready line: {error}")))?;
    line.push(b'\n');
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(&line)
        .and_then(|()| stdout.flush())
        .map_err(|error| Fatal::tool(format!("cannot write the ready line: {error}")))
}
