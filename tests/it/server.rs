//! `prometeu-session serve` end to end: the freshly built binary on a temporary project, a
//! real HTTP client over loopback TCP and a Unix socket, real signals.

mod checks;
mod config;
mod java;
mod lifecycle;
mod openapi;
mod resume;
mod slow;
mod support;
