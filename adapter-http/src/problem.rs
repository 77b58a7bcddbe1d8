//! Errors as `application/problem+json` (RFC 9457): `type`, `title`, `status`, `detail`, with
//! `detail` one line in the command line's style.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::CheckFailure;

/// One error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A URI naming the kind of problem (relative: `/problems/<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time and what to do, in one line.
    pub detail: String,
}

impl Problem {
    /// A problem of `status`, named by `slug`.
    pub fn new(
        status: StatusCode,
        slug: &str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind: format!("/problems/{slug}"),
            title,
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    /// A request the server cannot take as sent (400).
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }
}

impl From<CheckFailure> for Problem {
    fn from(failure: CheckFailure) -> Self {
        match failure {
            CheckFailure::ForeignHost { .. } => Self::new(
                StatusCode::FORBIDDEN,
                "foreign-host",
                "Host not allowed",
                failure.to_string(),
            ),
            CheckFailure::ForeignOrigin { .. } => Self::new(
                StatusCode::FORBIDDEN,
                "foreign-origin",
                "Origin not allowed",
                failure.to_string(),
            ),
            CheckFailure::CookieWithoutOrigin => Self::new(
                StatusCode::FORBIDDEN,
                "origin-required",
                "Origin required",
                failure.to_string(),
            ),
            CheckFailure::Unauthorized => Self::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "Authentication required",
                failure.to_string(),
            ),
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let unauthorized = status == StatusCode::UNAUTHORIZED;
        let body = serde_json::to_vec(&self).unwrap_or_default();
        let mut response = (status, body).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if unauthorized {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
