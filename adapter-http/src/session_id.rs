//! The session id: random per server process, so that a client holding `seq`s of a server
//! that is gone can tell.

use std::fmt;
use std::str::FromStr;

/// 64 random bits, shown as 16 lowercase hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionId(u64);

impl SessionId {
    /// An id from 64 random bits.
    pub fn from_bits(bits: u64) -> Self {
        Self(bits)
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// Text that is not 16 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a session id is 16 hex digits")]
pub struct BadSessionId;

impl FromStr for SessionId {
    type Err = BadSessionId;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.len() != 16 || !text.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            return Err(BadSessionId);
        }
        u64::from_str_radix(text, 16)
            .map(Self)
            .map_err(|_| BadSessionId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_sixteen_hex_digits_and_parses_them_back() {
        for bits in [0, 1, 0xdead_beef, u64::MAX] {
            let id = SessionId::from_bits(bits);
            let text = id.to_string();
            assert_eq!(text.len(), 16);
            assert_eq!(text.parse::<SessionId>(), Ok(id));
        }
        for bad in [
            "",
            "abc",
            "+123456789abcdef",
            "0123456789abcdeg",
            "0123456789abcdef0",
        ] {
            assert_eq!(bad.parse::<SessionId>(), Err(BadSessionId), "{bad:?}");
        }
    }
}
