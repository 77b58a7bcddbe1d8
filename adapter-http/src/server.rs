//! The listeners: loopback TCP and/or a Unix socket, each connection served by hyper with a
//! deadline for its headers, every request through the checks.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, UnixListener};

use crate::state::{ApiContext, ApiState};
use crate::{Transport, events, guard, routes, web_assets, web_headers, web_login};

/// Request bodies over this are refused with 413.
const BODY_LIMIT: usize = 64 * 1024;

/// Headers that have not all arrived by then close the connection.
const HEADER_DEADLINE: Duration = Duration::from_secs(10);

/// The most a request's headers may take; more closes the connection.
const HEADER_BYTES: usize = 16 * 1024;

/// How long the server waits after a failed accept before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The routes of the API, checked by the guard, for one way of arriving.
fn router(context: Arc<ApiContext>, transport: Transport) -> Router {
    let state = ApiState { context, transport };
    let mut router = Router::new();
    for asset in web_assets::ASSETS {
        router = router.route(asset.path, get(move || async move { asset.response() }));
    }
    router
        .route("/v1/session", get(routes::session))
        .route("/v1/play", post(routes::play))
        .route("/v1/stop", post(routes::stop))
        .route("/v1/kill", post(routes::kill))
        .route("/v1/shutdown", post(routes::shutdown))
        .route("/v1/events", get(events::events))
        .route("/openapi.json", get(routes::openapi))
        .route("/login", get(web_login::login))
        .fallback(routes::not_found)
        .method_not_allowed_fallback(routes::method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            guard::check_request,
        ))
        // Outermost, so that refusals of the checks carry the headers too.
        .layer(axum::middleware::from_fn(web_headers::add_security_headers))
        .with_state(state)
}

/// Where the server listens.
#[derive(Debug, Default)]
pub struct Listeners {
    /// Loopback TCP (or another address the user allowed).
    pub tcp: Option<TcpListener>,
    /// A Unix socket.
    pub unix: Option<UnixListener>,
}

/// Serves every listener until `stop` resolves, then lets the open connections finish (an
/// event stream finishes once the session has shut down) for at most `drain`.
pub async fn serve(
    context: Arc<ApiContext>,
    listeners: Listeners,
    stop: impl std::future::Future<Output = ()>,
    drain: Duration,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let tcp = match &listeners.tcp {
        Some(listener) => {
            let address = listener.local_addr()?;
            Some(router(
                Arc::clone(&context),
                Transport::Tcp {
                    ip: address.ip(),
                    port: address.port(),
                },
            ))
        }
        None => None,
    };
    let unix = listeners
        .unix
        .as_ref()
        .map(|_| router(Arc::clone(&context), Transport::Unix));
    let mut stop = std::pin::pin!(stop);
    loop {
        let failed = tokio::select! {
            () = &mut stop => break,
            accepted = accept_tcp(&listeners.tcp), if tcp.is_some() => match (accepted, &tcp) {
                (Ok(stream), Some(router)) => {
                    let _ = stream.set_nodelay(true);
                    serve_connection(&graceful, TokioIo::new(stream), router.clone());
                    false
                }
                (accepted, _) => accepted.is_err(),
            },
            accepted = accept_unix(&listeners.unix), if unix.is_some() => match (accepted, &unix) {
                (Ok(stream), Some(router)) => {
                    serve_connection(&graceful, TokioIo::new(stream), router.clone());
                    false
                }
                (accepted, _) => accepted.is_err(),
            },
        };
        if failed {
            // Out of descriptors (EMFILE, ENFILE) or memory, accept fails at once and again
            // until a connection closes: retrying at once would spin a core. Wait a little.
            tokio::select! {
                () = &mut stop => break,
                () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
            }
        }
    }
    drop(listeners);
    if tokio::time::timeout(drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::debug!("connections still open after the drain; closing them");
    }
    Ok(())
}

async fn accept_tcp(listener: &Option<TcpListener>) -> std::io::Result<tokio::net::TcpStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

async fn accept_unix(listener: &Option<UnixListener>) -> std::io::Result<tokio::net::UnixStream> {
    match listener {
        Some(listener) => listener.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

fn serve_connection<I>(graceful: &GracefulShutdown, io: TokioIo<I>, router: Router)
where
    I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_DEADLINE)
        .max_buf_size(HEADER_BYTES);
    let connection = builder.serve_connection(io, TowerToHyperService::new(router));
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "connection ended with an error");
        }
    });
}
