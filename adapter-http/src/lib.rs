//! The session behind a local HTTP API: a driving adapter.
//!
//! It translates requests into [`ExecutionSession`](session_ports::ExecutionSession) calls and
//! subscriptions into bytes, and decides nothing the session decides. The pure parts (where a
//! stream starts, what a query asks, how items are framed, the request checks) are separate
//! from the sockets, so that each is a table test.
#![warn(missing_docs)]

mod checks;
mod framing;
mod resume;
mod session_id;
mod stream_query;

pub use checks::{CheckFailure, Token, Transport, check_host, check_origin, check_token};
pub use framing::{StreamEncoder, StreamFormat};
pub use resume::{StartError, start_after};
pub use session_id::{BadSessionId, SessionId};
pub use stream_query::{QueryError, StreamQuery, parse_stream_query};
