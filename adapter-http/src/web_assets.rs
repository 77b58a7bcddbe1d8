//! The web workspace's files, embedded in the binary: plain HTML, CSS and JavaScript modules,
//! so that building the binary needs no build step and the page loads nothing from elsewhere.
//! They hold no data, so they need no token (checks 1 and 2 still apply).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// One file of the workspace: where it is served, its type, its bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asset {
    pub(crate) path: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const HTML: &str = "text/html; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const SVG: &str = "image/svg+xml";

macro_rules! asset {
    ($path:literal, $type:expr, $file:literal) => {
        Asset {
            path: $path,
            content_type: $type,
            body: include_str!(concat!("../web/", $file)),
        }
    };
}

/// Every file the page loads; anything else is a 404.
pub(crate) const ASSETS: &[Asset] = &[
    asset!("/", HTML, "index.html"),
    asset!("/assets/style.css", CSS, "style.css"),
    asset!("/assets/icon.svg", SVG, "icon.svg"),
    asset!("/assets/main.js", JS, "main.js"),
    asset!("/assets/api.js", JS, "api.js"),
    asset!("/assets/sse.js", JS, "sse.js"),
    asset!("/assets/stream.js", JS, "stream.js"),
    asset!("/assets/store.js", JS, "store.js"),
    asset!("/assets/view.js", JS, "view.js"),
    asset!("/assets/virtual-list.js", JS, "virtual-list.js"),
    asset!("/assets/ansi.js", JS, "ansi.js"),
    asset!("/assets/log-row.js", JS, "log-row.js"),
    asset!("/assets/controls.js", JS, "controls.js"),
    asset!("/assets/filters.js", JS, "filters.js"),
    asset!("/assets/timeline.js", JS, "timeline.js"),
    asset!("/assets/failure.js", JS, "failure.js"),
    asset!("/assets/save.js", JS, "save.js"),
    asset!("/assets/format.js", JS, "format.js"),
];

impl Asset {
    pub(crate) fn response(self) -> Response {
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        // The files change with the binary; a browser must ask again rather than mix versions.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}
