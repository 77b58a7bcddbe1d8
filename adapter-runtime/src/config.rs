//! The `[runtime]` settings: the table as people write it, and the values the adapter runs on.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use adapter_process::ProcessTiming;
use serde::{Deserialize, Serialize};
use session_ports::{DurationSetting, InvalidSetting};

use crate::RuntimePathError;

/// The table these settings live in, as errors name it.
const TABLE: &str = "runtime";

/// How the runtime is started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuntimeMode {
    /// `"<path>" run build`: running as soon as the spawn succeeded.
    #[default]
    Run,
    /// `"<path>" debug build`: running once the DevTools handshake completed.
    Debug,
}

impl RuntimeMode {
    /// The runtime's sub-command for this mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Debug => "debug",
        }
    }
}

/// The `[runtime]` table of `prometeu-session.toml`, every key optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeConfig {
    /// The runtime program. No default: `play` needs it (or `--runtime`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<PathBuf>,
    /// `run` (the default) or `debug`.
    pub mode: RuntimeMode,
    /// Debug mode: where the runtime's DevTools socket listens; an IP literal and a port.
    pub debug_address: String,
    /// Debug mode: from spawn to handshake completed. Must be positive.
    pub handshake_timeout: DurationSetting,
    /// Variables added to the runtime's environment.
    pub env: BTreeMap<String, String>,
}

/// The Studio's default DevTools address.
pub const DEFAULT_DEBUG_ADDRESS: &str = "127.0.0.1:7777";

/// How long a debug-mode runtime has, from spawn, to complete the handshake.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            path: None,
            mode: RuntimeMode::Run,
            debug_address: DEFAULT_DEBUG_ADDRESS.to_owned(),
            handshake_timeout: DurationSetting(DEFAULT_HANDSHAKE_TIMEOUT),
            env: BTreeMap::new(),
        }
    }
}

/// The settings could not be turned into something the adapter can run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeConfigError {
    /// A value is out of range or malformed.
    #[error(transparent)]
    Invalid(#[from] InvalidSetting),
    /// No runtime path is configured.
    #[error(transparent)]
    Path(#[from] RuntimePathError),
}

impl RuntimeConfig {
    /// Checks every value; the first problem is reported, naming `[runtime]` and its key.
    ///
    /// The path is not looked at on disk: [`check_runtime_path`](crate::check_runtime_path)
    /// does that, up front in frontends and again at launch.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        if let Some(path) = &self.path {
            if path.as_os_str().is_empty() {
                return Err(invalid(
                    "path",
                    "\"\"",
                    "the runtime's path, such as \"tools/prometeu\", or a program name on PATH",
                ));
            }
        }
        self.debug_socket_address()?;
        if self.handshake_timeout.0.is_zero() {
            return Err(invalid(
                "handshake_timeout",
                &format!("\"{}\"", self.handshake_timeout),
                "a positive duration, such as \"10s\"",
            ));
        }
        for (key, value) in &self.env {
            if key.is_empty() || key.contains(['=', '\0']) {
                return Err(invalid(
                    &format!("env.{key}"),
                    &format!("{key:?}"),
                    "a variable name that is not empty and has no '=' or NUL in it",
                ));
            }
            if value.contains('\0') {
                return Err(invalid(
                    &format!("env.{key}"),
                    &format!("{value:?}"),
                    "a value without NUL characters",
                ));
            }
        }
        Ok(())
    }

    /// `debug_address` as a socket address: an IP literal and a port from 1 to 65535.
    pub fn debug_socket_address(&self) -> Result<SocketAddr, InvalidSetting> {
        let expected = "an IP address and a port, such as \"127.0.0.1:7777\" or \"[::1]:7777\" \
             (a host name is not accepted: it must match the runtime's own setting)";
        let found = format!("{:?}", self.debug_address);
        let address: SocketAddr = self
            .debug_address
            .parse()
            .map_err(|_| invalid("debug_address", &found, expected))?;
        if address.port() == 0 {
            return Err(invalid(
                "debug_address",
                &found,
                "a port from 1 to 65535: the runtime listens on a fixed port",
            ));
        }
        Ok(address)
    }

    /// Validates the table and builds the settings the adapter runs on, for a project rooted at
    /// `project_root`. A missing `path` is [`RuntimePathError::Missing`]; whether the program
    /// exists is not checked here (the service does not pre-check: a program that disappears
    /// during preparation fails the launch with stage `spawn`).
    pub fn to_settings(
        &self,
        project_root: PathBuf,
        timing: ProcessTiming,
    ) -> Result<RuntimeSettings, RuntimeConfigError> {
        self.validate()?;
        let program = self.path.clone().ok_or(RuntimePathError::Missing)?;
        Ok(RuntimeSettings {
            project_root,
            program,
            mode: self.mode,
            debug_address: self.debug_socket_address()?,
            handshake_timeout: self.handshake_timeout.0,
            env: self.env.clone(),
            timing,
        })
    }
}

fn invalid(key: &str, found: &str, expected: &str) -> InvalidSetting {
    InvalidSetting {
        table: TABLE.to_owned(),
        key: key.to_owned(),
        found: found.to_owned(),
        expected: expected.to_owned(),
    }
}

/// What the adapter needs to launch a runtime: validated values, ready to use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeSettings {
    /// The project root: the runtime's working directory, and the base of a relative program
    /// path.
    pub project_root: PathBuf,
    /// The program as configured: a name without `/` is looked up on `PATH` at launch,
    /// anything else resolves against `project_root` (frontends make flag paths absolute).
    pub program: PathBuf,
    /// `run` or `debug`.
    pub mode: RuntimeMode,
    /// Debug mode: where the DevTools socket listens.
    pub debug_address: SocketAddr,
    /// Debug mode: from spawn to handshake completed.
    pub handshake_timeout: Duration,
    /// Variables added to the runtime's environment.
    pub env: BTreeMap<String, String>,
    /// Stop grace, pipe grace and the line cap (also the DevTools line cap).
    pub timing: ProcessTiming,
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroUsize;

    use rstest::rstest;

    use super::*;

    fn timing() -> ProcessTiming {
        ProcessTiming {
            stop_grace: Duration::from_secs(2),
            pipe_grace: Duration::from_millis(200),
            max_line: NonZeroUsize::new(65_536).expect("positive"),
        }
    }

    #[test]
    fn defaults_match_the_brief() {
        let config: RuntimeConfig = serde_json::from_str("{}").expect("an empty table loads");
        assert_eq!(config, RuntimeConfig::default());
        assert_eq!(config.mode, RuntimeMode::Run);
        assert_eq!(config.debug_address, "127.0.0.1:7777");
        assert_eq!(config.handshake_timeout.0, Duration::from_secs(10));
        assert!(config.validate().is_ok());
    }

    #[test]
    fn reads_every_key() {
        let config: RuntimeConfig = serde_json::from_str(
            r#"{"path":"tools/prometeu","mode":"debug","debug_address":"[::1]:9000",
                "handshake_timeout":"500ms","env":{"RUST_LOG":"info"}}"#,
        )
        .expect("loads");
        let settings = config
            .to_settings(PathBuf::from("/project"), timing())
            .expect("valid");
        assert_eq!(settings.program, PathBuf::from("tools/prometeu"));
        assert_eq!(settings.mode, RuntimeMode::Debug);
        assert_eq!(settings.debug_address.to_string(), "[::1]:9000");
        assert_eq!(settings.handshake_timeout, Duration::from_millis(500));
        assert_eq!(
            settings.env.get("RUST_LOG").map(String::as_str),
            Some("info")
        );
    }

    #[rstest]
    #[case(r#"{"mode":"fast"}"#)]
    #[case(r#"{"handshake_timeout":"10"}"#)]
    #[case(r#"{"pathh":"x"}"#)]
    fn rejects_malformed_tables(#[case] json: &str) {
        assert!(serde_json::from_str::<RuntimeConfig>(json).is_err());
    }

    #[rstest]
    #[case(r#"{"debug_address":"localhost:7777"}"#, "debug_address")]
    #[case(r#"{"debug_address":"127.0.0.1"}"#, "debug_address")]
    #[case(r#"{"debug_address":"127.0.0.1:0"}"#, "debug_address")]
    #[case(r#"{"debug_address":"127.0.0.1:70000"}"#, "debug_address")]
    #[case(r#"{"handshake_timeout":"0s"}"#, "handshake_timeout")]
    #[case(r#"{"path":""}"#, "path")]
    #[case(r#"{"env":{"A=B":"x"}}"#, "env.A=B")]
    #[case(r#"{"env":{"":"x"}}"#, "env.")]
    fn names_the_invalid_key(#[case] json: &str, #[case] key: &str) {
        let config: RuntimeConfig = serde_json::from_str(json).expect("loads");
        let error = config.validate().expect_err("invalid");
        assert_eq!(error.table, "runtime");
        assert_eq!(error.key, key);
    }

    #[test]
    fn settings_need_a_path() {
        let error = RuntimeConfig::default()
            .to_settings(PathBuf::from("/project"), timing())
            .expect_err("no path");
        assert_eq!(error, RuntimeConfigError::Path(RuntimePathError::Missing));
    }

    #[test]
    fn serialises_back_to_the_same_table() {
        let config = RuntimeConfig {
            path: Some(PathBuf::from("tools/prometeu")),
            mode: RuntimeMode::Debug,
            ..RuntimeConfig::default()
        };
        let json = serde_json::to_string(&config).expect("serialises");
        assert_eq!(
            serde_json::from_str::<RuntimeConfig>(&json).expect("loads"),
            config
        );
    }
}
