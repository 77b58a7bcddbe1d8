//! The web workspace's cookie as the second way through check 3, and the rule that goes with
//! it: a cookie is sent by the browser whoever made the page, so a request that changes
//! anything (every `POST`) must also carry the server's own `Origin`; check 2 has already
//! refused any other origin, so here it only has to be present. Pure, like the other checks.

use crate::{CheckFailure, Transport, WebLogin};

/// The cookie's name on a TCP port. Browsers do not isolate cookies by port, so two servers on
/// one machine (two projects) must not overwrite each other's.
pub fn cookie_name(port: u16) -> String {
    format!("prometeu_session_{port}")
}

/// Every value of the cookie `name` among `Cookie` header values (`a=b; c=d`). There may be
/// several: any page of the same host, on any port, can set a cookie of this name (a longer
/// `Path` even puts it first), and the browser then sends both.
fn cookie_values<'a>(
    cookie_headers: &'a [&'a str],
    name: &'a str,
) -> impl Iterator<Item = &'a str> {
    cookie_headers
        .iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .filter_map(move |(key, value)| (key == name).then_some(value))
}

/// What the request carries that check 3 may accept instead of a token.
#[derive(Debug, Clone, Copy)]
pub struct CookieRequest<'a> {
    /// Every `Cookie` header's value.
    pub cookie_headers: &'a [&'a str],
    /// `true` for a method that may change something (anything but `GET` and `HEAD`).
    pub changes_state: bool,
    /// `true` when an `Origin` header was sent (check 2 made sure it is ours).
    pub origin_sent: bool,
}

/// Check 3 by cookie: the login's secret under this port's name, and an `Origin` on every
/// request that changes anything. Never passes on the Unix socket (no browser reaches it).
pub fn check_cookie(
    transport: Transport,
    login: Option<&WebLogin>,
    request: CookieRequest<'_>,
) -> Result<(), CheckFailure> {
    let (Transport::Tcp { port, .. }, Some(login)) = (transport, login) else {
        return Err(CheckFailure::Unauthorized);
    };
    let name = cookie_name(port);
    if !cookie_values(request.cookie_headers, &name).any(|value| login.accepts_cookie(value)) {
        Err(CheckFailure::Unauthorized)
    } else if request.changes_state && !request.origin_sent {
        Err(CheckFailure::CookieWithoutOrigin)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr};
    use std::time::Instant;

    use rstest::rstest;

    use super::*;
    use crate::Token;

    const TCP: Transport = Transport::Tcp {
        ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 4100,
    };

    #[rstest]
    #[case::get(&["prometeu_session_4100=s3cret"], false, false, Ok(()))]
    #[case::among_others(&["a=1; prometeu_session_4100=s3cret; b=2"], false, false, Ok(()))]
    #[case::second_header(&["a=1", "prometeu_session_4100=s3cret"], false, false, Ok(()))]
    #[case::after_a_planted_one(&["prometeu_session_4100=junk; prometeu_session_4100=s3cret"], false, false, Ok(()))]
    #[case::planted_in_another_header(&["prometeu_session_4100=junk", "prometeu_session_4100=s3cret"], false, false, Ok(()))]
    #[case::post_with_origin(&["prometeu_session_4100=s3cret"], true, true, Ok(()))]
    #[case::post_without_origin(&["prometeu_session_4100=s3cret"], true, false, Err(CheckFailure::CookieWithoutOrigin))]
    #[case::wrong_secret(&["prometeu_session_4100=s3cre7"], false, false, Err(CheckFailure::Unauthorized))]
    #[case::wrong_secret_post(&["prometeu_session_4100=s3cre7"], true, false, Err(CheckFailure::Unauthorized))]
    #[case::other_port(&["prometeu_session_4101=s3cret"], false, false, Err(CheckFailure::Unauthorized))]
    #[case::name_prefix(&["xprometeu_session_4100=s3cret"], false, false, Err(CheckFailure::Unauthorized))]
    #[case::no_cookie(&[], false, false, Err(CheckFailure::Unauthorized))]
    #[case::empty_value(&["prometeu_session_4100="], false, false, Err(CheckFailure::Unauthorized))]
    fn the_cookie_is_a_second_way_through_check_3(
        #[case] cookie_headers: &[&str],
        #[case] changes_state: bool,
        #[case] origin_sent: bool,
        #[case] expected: Result<(), CheckFailure>,
    ) {
        let login = WebLogin::new(
            Token::new("code".to_owned()),
            Token::new("s3cret".to_owned()),
            Instant::now(),
        );
        let request = CookieRequest {
            cookie_headers,
            changes_state,
            origin_sent,
        };
        assert_eq!(check_cookie(TCP, Some(&login), request), expected);
        assert_eq!(
            check_cookie(Transport::Unix, Some(&login), request),
            Err(CheckFailure::Unauthorized)
        );
        assert_eq!(
            check_cookie(TCP, None, request),
            Err(CheckFailure::Unauthorized)
        );
    }
}
