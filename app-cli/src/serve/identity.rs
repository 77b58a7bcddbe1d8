//! Who this server is: a fresh session id every start, and the token TCP clients present
//! (fresh too, unless `--token-file` names one the Studio generated).

use std::path::Path;

use adapter_http::{SessionId, Token};

use crate::exit::Fatal;

/// A random session id (64 bits).
pub(crate) fn new_session_id() -> Result<SessionId, Fatal> {
    let mut bytes = [0_u8; 8];
    random(&mut bytes)?;
    Ok(SessionId::from_bits(u64::from_le_bytes(bytes)))
}

/// The token: the first line of `token_file`, or 256 random bits as hex.
pub(crate) fn token(token_file: Option<&Path>) -> Result<Token, Fatal> {
    if let Some(path) = token_file {
        let text = std::fs::read_to_string(path).map_err(|error| {
            Fatal::usage(format!(
                "--token-file {}: cannot read it: {error}",
                path.display()
            ))
        })?;
        let token = text.lines().next().unwrap_or("").trim();
        if token.len() < 16 || !token.bytes().all(|byte| byte.is_ascii_graphic()) {
            return Err(Fatal::usage(format!(
                "--token-file {}: its first line must be a token of at least 16 visible ASCII \
                 characters",
                path.display()
            )));
        }
        return Ok(Token::new(token.to_owned()));
    }
    random_secret()
}

/// 256 random bits as hex: the token, the web login's code and its cookie secret.
pub(crate) fn random_secret() -> Result<Token, Fatal> {
    let mut bytes = [0_u8; 32];
    random(&mut bytes)?;
    Ok(Token::new(
        bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
    ))
}

fn random(bytes: &mut [u8]) -> Result<(), Fatal> {
    getrandom::fill(bytes)
        .map_err(|error| Fatal::tool(format!("cannot read the system's random source: {error}")))
}
