//! The client of the API, as the command line uses it: one connection per exchange (over the
//! Unix socket when the server has one, else loopback TCP with the token), typed answers, and
//! a reader of the NDJSON event stream that remembers where it is, for `Last-Event-ID`.
//!
//! One file per job: where the server is (`endpoint.rs`), a connection and its raw exchange
//! (`connection.rs`), the control requests and their answers (`control.rs`, `answers.rs`), the
//! stream (`stream.rs`) and its pure line decoder (`ndjson.rs`).

mod answers;
mod connection;
mod control;
mod endpoint;
mod ndjson;
mod stream;

pub use answers::{CartridgeStatus, PlayAnswer, RuntimeStatus, SessionInfo};
pub use connection::{ConnectError, Connection, RequestError};
pub use control::Client;
pub use endpoint::{Endpoint, EndpointError};
pub use ndjson::{DecodeError, MAX_LINE_BYTES, NdjsonDecoder, StreamItem};
pub use stream::{EventStream, EventsRequest, StreamError};
