//! The web workspace's login: one code, printed once in the ready line, that a browser trades
//! for a cookie. The code is single use and short-lived because it travels through a terminal
//! and a URL bar; the cookie is a second secret, fresh per server process, that never leaves
//! the browser's cookie jar (`HttpOnly`). Pure decisions over a clock passed in, so that the
//! table test covers every case; the route only carries them out.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use crate::Token;

/// How long the ready line's login URL works.
pub const LOGIN_CODE_LIFETIME: Duration = Duration::from_secs(5 * 60);

/// Why a login code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// The code was already traded for a cookie; it is never accepted twice.
    #[error(
        "this login link was already used; a link works once: start `prometeu-session serve` again for a new one"
    )]
    Used,
    /// The code is older than its lifetime.
    #[error(
        "this login link expired (links work for 5 minutes); start `prometeu-session serve` again for a new one"
    )]
    Expired,
    /// Not this server's code (or no code at all).
    #[error("this is not this server's login link; open the login_url its ready line printed")]
    Wrong,
}

/// Where the one code stands.
#[derive(Debug)]
enum CodeState {
    Pending { code: Token, expires: Instant },
    Used,
    Expired,
}

/// The server's login code and the cookie secret it is traded for.
#[derive(Debug)]
pub struct WebLogin {
    code: Mutex<CodeState>,
    cookie: Token,
}

impl WebLogin {
    /// A login whose `code` works once, until `LOGIN_CODE_LIFETIME` after `now`, and gives
    /// the browser `cookie`.
    pub fn new(code: Token, cookie: Token, now: Instant) -> Self {
        Self {
            code: Mutex::new(CodeState::Pending {
                code,
                expires: now + LOGIN_CODE_LIFETIME,
            }),
            cookie,
        }
    }

    /// Trades `candidate` for the cookie secret, at most once.
    pub fn redeem(&self, candidate: &str, now: Instant) -> Result<&Token, LoginError> {
        // A poisoned lock only means another request panicked mid-check; the state it guards
        // is a plain value that is always whole, so it is still right to read.
        let mut state = self.code.lock().unwrap_or_else(PoisonError::into_inner);
        match &*state {
            CodeState::Used => Err(LoginError::Used),
            CodeState::Expired => Err(LoginError::Expired),
            CodeState::Pending { code, expires } => {
                if !code.matches(candidate) {
                    Err(LoginError::Wrong)
                } else if now >= *expires {
                    *state = CodeState::Expired;
                    Err(LoginError::Expired)
                } else {
                    *state = CodeState::Used;
                    Ok(&self.cookie)
                }
            }
        }
    }

    /// `true` when a cookie's value is this server's secret (constant time, as the token).
    pub fn accepts_cookie(&self, value: &str) -> bool {
        self.cookie.matches(value)
    }
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn login(start: Instant) -> WebLogin {
        WebLogin::new(
            Token::new("c0de".to_owned()),
            Token::new("cookie".to_owned()),
            start,
        )
    }

    #[rstest]
    #[case::fresh(&["c0de"], 0, Ok(()))]
    #[case::just_before_expiry(&["c0de"], 299, Ok(()))]
    #[case::at_expiry(&["c0de"], 300, Err(LoginError::Expired))]
    #[case::wrong(&["c0dd"], 0, Err(LoginError::Wrong))]
    #[case::prefix(&["c0d"], 0, Err(LoginError::Wrong))]
    #[case::empty(&[""], 0, Err(LoginError::Wrong))]
    #[case::twice(&["c0de", "c0de"], 0, Err(LoginError::Used))]
    #[case::wrong_then_right(&["nope", "c0de"], 0, Ok(()))]
    #[case::expired_stays_expired(&["c0de", "c0de"], 301, Err(LoginError::Expired))]
    fn a_code_works_once_and_only_while_fresh(
        #[case] attempts: &[&str],
        #[case] after_seconds: u64,
        #[case] last: Result<(), LoginError>,
    ) {
        let start = Instant::now();
        let login = login(start);
        let now = start + Duration::from_secs(after_seconds);
        let mut outcome = Err(LoginError::Wrong);
        for attempt in attempts {
            outcome = login.redeem(attempt, now).map(|cookie| {
                assert_eq!(cookie.as_str(), "cookie");
            });
        }
        assert_eq!(outcome, last);
    }

    #[rstest]
    #[case::right("cookie", true)]
    #[case::wrong("cookie2", false)]
    #[case::code_is_not_a_cookie("c0de", false)]
    #[case::empty("", false)]
    fn only_the_secret_is_a_cookie(#[case] value: &str, #[case] accepted: bool) {
        assert_eq!(login(Instant::now()).accepts_cookie(value), accepted);
    }
}
