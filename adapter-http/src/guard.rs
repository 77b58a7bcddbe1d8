//! The middleware in front of every route: Host, then Origin, then (under `/v1`) the token or
//! the web workspace's login cookie, before anything else of the request is read.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::problem::Problem;
use crate::state::ApiState;
use crate::{CheckFailure, CookieRequest, check_cookie, check_host, check_origin, check_token};

/// Paths that hold no data and need no token (checks 1 and 2 still apply).
fn is_public(path: &str) -> bool {
    !(path == "/v1" || path.starts_with("/v1/"))
}

fn text(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    if values.next().is_some() {
        // Two `Host`s (RFC 9112 3.2) or two `Origin`s: a check of the first alone would let the
        // other one through, so the pair is a wrong value, as is a header that is not text.
        return Some("(sent more than once)");
    }
    Some(first.to_str().unwrap_or("\u{fffd}"))
}

/// Check 3's second way: the login cookie (and, on a `POST`, an `Origin`).
fn by_cookie(state: &ApiState, method: &Method, headers: &HeaderMap) -> Result<(), CheckFailure> {
    let cookie_headers: Vec<&str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    check_cookie(
        state.transport,
        state.context.web_login(),
        CookieRequest {
            cookie_headers: &cookie_headers,
            changes_state: !(method == Method::GET || method == Method::HEAD),
            origin_sent: headers.contains_key(header::ORIGIN),
        },
    )
}

pub(crate) async fn check_request(
    State(state): State<ApiState>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let checked = check_host(state.transport, text(headers, header::HOST))
        // An absolute-form target (`GET http://host/…`) names the host itself, and a server
        // must use it rather than `Host` (RFC 9112 3.2.2): it must name this server too.
        .and_then(|()| match request.uri().authority() {
            Some(authority) => check_host(state.transport, Some(authority.as_str())),
            None => Ok(()),
        })
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
                .or_else(|failure| match failure {
                    CheckFailure::Unauthorized => by_cookie(&state, request.method(), headers),
                    other => Err(other),
                })
            }
        });
    match checked {
        Ok(()) => next.run(request).await,
        Err(failure) => Problem::from(failure).into_response(),
    }
}
