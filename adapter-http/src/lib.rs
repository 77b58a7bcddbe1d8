//! The session behind a local HTTP API: a driving adapter.
//!
//! It translates requests into [`ExecutionSession`](session_ports::ExecutionSession) calls and
//! subscriptions into bytes, and decides nothing the session decides. The pure parts (where a
//! stream starts, what a query asks, how items are framed, the request checks) are separate
//! from the sockets, so that each is a table test.
#![warn(missing_docs)]

mod api_types;
mod checks;
pub mod client;
mod events;
mod framing;
mod guard;
mod login;
mod problem;
mod resume;
mod routes;
mod server;
mod server_file;
mod session_id;
mod state;
mod stream_query;
mod web_assets;
mod web_auth;
mod web_headers;
mod web_login;

pub use checks::{CheckFailure, Token, Transport, check_host, check_origin, check_token};
pub use framing::{StreamEncoder, StreamFormat};
pub use login::{LOGIN_CODE_LIFETIME, LoginError, WebLogin};
pub use problem::Problem;
pub use resume::{StartError, start_after};
pub use server::{Listeners, serve};
pub use server_file::{ReadyLine, SERVER_FILE_NAME, ServerFile};
pub use session_id::{BadSessionId, SessionId};
pub use state::ApiContext;
pub use stream_query::{QueryError, StreamQuery, parse_stream_query};
pub use web_auth::{CookieRequest, check_cookie, cookie_name};
