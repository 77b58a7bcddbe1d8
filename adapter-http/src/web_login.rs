//! `GET /login?code=…`: trades the ready line's one-time code for the login cookie and sends
//! the browser to the workspace.

use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::state::ApiState;
use crate::{Transport, cookie_name};

pub(crate) async fn login(
    State(state): State<ApiState>,
    method: Method,
    RawQuery(query): RawQuery,
) -> Response {
    // The code works once: a HEAD (a link preview, `curl -I`) must not spend it. The router
    // sends HEAD to GET's handler, so it is refused here, before the code is looked at.
    if method == Method::HEAD {
        let mut response = refused(
            StatusCode::METHOD_NOT_ALLOWED,
            "open the login link with GET",
        );
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET"));
        return response;
    }
    // No browser reaches the Unix socket, and a server without a login has no workspace.
    let (Transport::Tcp { port, .. }, Some(login)) = (state.transport, state.context.web_login())
    else {
        return refused(
            StatusCode::NOT_FOUND,
            "this server has no web workspace here",
        );
    };
    let query = query.unwrap_or_default();
    let code = form_urlencoded::parse(query.as_bytes())
        .find_map(|(key, value)| (key == "code").then_some(value))
        .unwrap_or_default();
    match login.redeem(&code, Instant::now()) {
        Ok(secret) => {
            // No Max-Age: the cookie lives as long as the browser's session, and the secret
            // as long as this server process.
            let cookie = format!(
                "{}={}; Path=/; HttpOnly; SameSite=Strict",
                cookie_name(port),
                secret.as_str()
            );
            let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, "/")]).into_response();
            let headers = response.headers_mut();
            match HeaderValue::from_str(&cookie) {
                Ok(value) => {
                    headers.insert(header::SET_COOKIE, value);
                }
                // The secret is hex (ours), so this cannot happen; say it rather than panic.
                Err(_) => {
                    return refused(StatusCode::INTERNAL_SERVER_ERROR, "cannot set the cookie");
                }
            }
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => refused(StatusCode::FORBIDDEN, &error.to_string()),
    }
}

/// A refusal a person reads in the browser: one line of text.
fn refused(status: StatusCode, line: &str) -> Response {
    let mut response = (status, format!("prometeu-session: {line}\n")).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
