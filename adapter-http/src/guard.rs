//! The middleware in front of every route: Host, then Origin, then (under `/v1`) the token,
//! before anything else of the request is read.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;
use crate::state::ApiState;
use crate::{check_host, check_origin, check_token};

/// Paths that hold no data and need no token (checks 1 and 2 still apply).
fn is_public(path: &str) -> bool {
    !(path == "/v1" || path.starts_with("/v1/"))
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    // A header that is not text cannot match anything we accept: treated as a wrong value.
    headers
        .get(name)
        .map(|value| value.to_str().unwrap_or("\u{fffd}"))
}

pub(crate) async fn check_request(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let checked = check_host(state.transport, text(headers, header::HOST))
        .and_then(|()| check_origin(state.transport, text(headers, header::ORIGIN)))
        .and_then(|()| {
            if is_public(request.uri().path()) {
                Ok(())
            } else {
                check_token(
                    state.transport,
                    &state.context.token,
                    text(headers, header::AUTHORIZATION),
                )
            }
        });
    match checked {
        Ok(()) => next.run(request).await,
        Err(failure) => Problem::from(failure).into_response(),
    }
}
