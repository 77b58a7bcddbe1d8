//! `server.json`: how clients find a project's server. `serve` writes it (0600, through a
//! temporary file and a rename) in the project's state folder and removes it on a clean exit;
//! a client reads it, and trusts it only while the project lock is held.

use serde::{Deserialize, Serialize};

/// The file's name in the state folder.
pub const SERVER_FILE_NAME: &str = "server.json";

/// The contents of `server.json`: exactly these keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    /// The server's version.
    pub version: String,
    /// The server's process id (the lock holds the same pid).
    pub pid: u32,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The Unix socket's path, when the server has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix: Option<String>,
    /// The session id (16 hex digits).
    pub session: String,
    /// The bearer token for TCP clients.
    pub token: String,
}

/// The one line `serve` prints on stdout when it is ready.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadyLine {
    /// Always `"ready"`.
    pub kind: String,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The Unix socket's path, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unix: Option<String>,
    /// The session id.
    pub session: String,
    /// Where `server.json` is.
    pub server_file: String,
    /// The web workspace's one-time login URL (`<url>/login?code=…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_json_has_exactly_its_keys_in_order() {
        let file = ServerFile {
            version: "0.1.0".into(),
            pid: 42,
            url: "http://127.0.0.1:4100".into(),
            unix: None,
            session: "00000000000000ab".into(),
            token: "t".into(),
        };
        assert_eq!(
            serde_json::to_string(&file).expect("serialises"),
            r#"{"version":"0.1.0","pid":42,"url":"http://127.0.0.1:4100","session":"00000000000000ab","token":"t"}"#
        );
        assert!(
            serde_json::from_str::<ServerFile>(
                r#"{"version":"0.1.0","pid":42,"url":"u","session":"s","token":"t","extra":1}"#
            )
            .is_err()
        );
    }
}
