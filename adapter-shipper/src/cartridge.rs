//! The `[cartridge]` table: the metadata the shipper writes into `build/manifest.json`.

use serde::{Deserialize, Serialize};
use session_ports::InvalidSetting;

/// The table these settings live in.
const TABLE: &str = "cartridge";

/// The values `app_mode` may take.
pub const APP_MODES: [&str; 2] = ["Game", "System"];

/// The `[cartridge]` table. When present, every key but `capabilities` is required, and the
/// shipper writes `build/manifest.json` from it after `pack`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CartridgeConfig {
    /// The application id; must fit in a `u32` (checked by [`validate`](Self::validate), so
    /// that the error names the key rather than the integer type).
    pub app_id: i64,
    /// The title shown to players.
    pub title: String,
    /// The application's version, written as given.
    pub app_version: String,
    /// `Game` or `System`.
    pub app_mode: String,
    /// The entry point the runtime starts.
    pub entrypoint: String,
    /// Capabilities the cartridge asks for; non-empty strings, not checked further.
    #[serde(default)]
    pub capabilities: Vec<String>,
}

impl CartridgeConfig {
    /// Checks what deserialisation cannot: `app_id` fits in a `u32`, `title` and `entrypoint`
    /// are not empty, `app_mode` is `Game` or `System`, and no capability is empty. Reports the
    /// first problem, in key order.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let invalid = |key: &str, found: String, expected: &str| InvalidSetting {
            table: TABLE.to_owned(),
            key: key.to_owned(),
            found,
            expected: expected.to_owned(),
        };
        if self.checked_app_id().is_none() {
            return Err(invalid(
                "app_id",
                self.app_id.to_string(),
                "an integer from 0 to 4294967295 (a u32)",
            ));
        }
        if self.title.trim().is_empty() {
            return Err(invalid(
                "title",
                format!("{:?}", self.title),
                "the cartridge's title, a non-empty string",
            ));
        }
        if !APP_MODES.contains(&self.app_mode.as_str()) {
            return Err(invalid(
                "app_mode",
                format!("{:?}", self.app_mode),
                "\"Game\" or \"System\"",
            ));
        }
        if self.entrypoint.trim().is_empty() {
            return Err(invalid(
                "entrypoint",
                format!("{:?}", self.entrypoint),
                "the entry point's name, a non-empty string",
            ));
        }
        if self.capabilities.iter().any(String::is_empty) {
            return Err(invalid(
                "capabilities",
                crate::config::toml_array(&self.capabilities),
                "an array of non-empty strings",
            ));
        }
        Ok(())
    }

    /// `app_id` as the manifest writes it, if it fits in a `u32`.
    pub fn checked_app_id(&self) -> Option<u32> {
        u32::try_from(self.app_id).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLOR_SQUARE: &str = r#"{"app_id": 1, "title": "ColorSquare", "app_version": "1.0.0",
        "app_mode": "Game", "entrypoint": "main"}"#;

    fn cartridge() -> CartridgeConfig {
        serde_json::from_str(COLOR_SQUARE).expect("valid cartridge")
    }

    #[test]
    fn capabilities_default_to_none() {
        let parsed = cartridge();
        assert!(parsed.capabilities.is_empty());
        assert_eq!(parsed.validate(), Ok(()));
    }

    #[test]
    fn every_other_key_is_required() {
        let error =
            serde_json::from_str::<CartridgeConfig>(r#"{"app_id": 1}"#).expect_err("title missing");
        assert!(error.to_string().contains("title"), "{error}");
    }

    #[test]
    fn rejects_unknown_keys() {
        let text = COLOR_SQUARE.replace("\"main\"", "\"main\", \"icon\": \"x\"");
        let error = serde_json::from_str::<CartridgeConfig>(&text).expect_err("unknown key");
        assert!(error.to_string().contains("icon"), "{error}");
    }

    #[test]
    fn rejects_each_invalid_value() {
        type Spoil = fn(&mut CartridgeConfig);
        let cases: [(&str, Spoil); 7] = [
            ("app_id", |c| c.app_id = -1),
            ("app_id", |c| c.app_id = i64::from(u32::MAX) + 1),
            ("title", |c| c.title = String::new()),
            ("app_mode", |c| c.app_mode = "game".to_owned()),
            ("app_mode", |c| c.app_mode = "Tool".to_owned()),
            ("entrypoint", |c| c.entrypoint = " ".to_owned()),
            ("capabilities", |c| {
                c.capabilities = vec!["net".to_owned(), String::new()];
            }),
        ];
        for (key, spoil) in cases {
            let mut config = cartridge();
            spoil(&mut config);
            let error = config.validate().expect_err("invalid");
            assert_eq!(
                (error.table.as_str(), error.key.as_str()),
                ("cartridge", key)
            );
        }
    }

    #[test]
    fn accepts_the_extremes_of_app_id_and_both_modes() {
        for (app_id, mode) in [(0, "System"), (i64::from(u32::MAX), "Game")] {
            let mut config = cartridge();
            config.app_id = app_id;
            config.app_mode = mode.to_owned();
            assert_eq!(config.validate(), Ok(()));
        }
    }
}
