//! The `[shipper]` table: one command per step, and the environment added to every step.
//!
//! Every frontend deserialises it from its own format (the CLI from `prometeu-session.toml`)
//! and calls [`ShipperConfig::validate`], so all of them accept and reject the same settings.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use session_domain::Step;
use session_ports::InvalidSetting;

/// The table these settings live in.
const TABLE: &str = "shipper";

/// The `[shipper]` table: the command of each preparation step and the variables added to
/// their environment. Every key is optional; [`Default`] holds the brief's defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ShipperConfig {
    /// The `build` step: program and arguments.
    pub build: Vec<String>,
    /// The `pack-validation` step: program and arguments.
    #[serde(rename = "pack-validation")]
    pub pack_validation: Vec<String>,
    /// The `pack` step: program and arguments.
    pub pack: Vec<String>,
    /// Variables added to every step's environment.
    pub env: BTreeMap<String, String>,
}

impl Default for ShipperConfig {
    fn default() -> Self {
        let words = |words: &[&str]| words.iter().map(|word| (*word).to_owned()).collect();
        Self {
            build: words(&["prometeuc", "build", "."]),
            pack_validation: words(&["prometeu-packer", "validate"]),
            pack: words(&["prometeu-packer", "pack"]),
            env: BTreeMap::new(),
        }
    }
}

impl ShipperConfig {
    /// The command configured for `step`.
    pub fn command(&self, step: Step) -> &[String] {
        match step {
            Step::Build => &self.build,
            Step::PackValidation => &self.pack_validation,
            Step::Pack => &self.pack,
        }
    }

    /// Checks what deserialisation cannot: every step is a non-empty array whose first element
    /// (the program) is a non-empty string, no word holds a NUL byte, and every `env` name is
    /// a valid variable name. Reports the first problem, in key order.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        for step in Step::ORDER {
            validate_command(step.as_str(), self.command(step))?;
        }
        for (name, value) in &self.env {
            validate_env(name, value)?;
        }
        Ok(())
    }
}

fn validate_command(key: &str, command: &[String]) -> Result<(), InvalidSetting> {
    let invalid = |expected: &str| InvalidSetting {
        table: TABLE.to_owned(),
        key: key.to_owned(),
        found: toml_array(command),
        expected: expected.to_owned(),
    };
    match command.first() {
        None => Err(invalid(
            "a non-empty array of strings: the program and its arguments, such as [\"prometeuc\", \"build\", \".\"]",
        )),
        Some(program) if program.is_empty() => Err(invalid(
            "a program name or path as the first element, not an empty string",
        )),
        Some(_) if command.iter().any(|word| word.contains('\0')) => {
            Err(invalid("strings without NUL characters"))
        }
        Some(_) => Ok(()),
    }
}

fn validate_env(name: &str, value: &str) -> Result<(), InvalidSetting> {
    let invalid = |found: String, expected: &str| InvalidSetting {
        table: TABLE.to_owned(),
        key: format!("env.{name}"),
        found,
        expected: expected.to_owned(),
    };
    if name.is_empty() || name.contains(['=', '\0']) {
        return Err(invalid(
            format!("the variable name {name:?}"),
            "a variable name that is not empty and has no '=' or NUL character",
        ));
    }
    if value.contains('\0') {
        return Err(invalid(
            format!("{value:?}"),
            "a value without NUL characters",
        ));
    }
    Ok(())
}

/// An array of strings as it would be written in the settings file.
pub(crate) fn toml_array(words: &[String]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| format!("{word:?}")).collect();
    format!("[{}]", quoted.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> Result<ShipperConfig, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn an_empty_table_holds_the_defaults() {
        let parsed = config("{}").expect("an empty table is valid");
        assert_eq!(parsed, ShipperConfig::default());
        assert_eq!(parsed.build, ["prometeuc", "build", "."]);
        assert_eq!(parsed.pack_validation, ["prometeu-packer", "validate"]);
        assert_eq!(parsed.pack, ["prometeu-packer", "pack"]);
        assert!(parsed.env.is_empty());
        assert_eq!(parsed.validate(), Ok(()));
    }

    #[test]
    fn reads_the_kebab_case_step_and_the_env_table() {
        let parsed = config(r#"{"pack-validation": ["check"], "env": {"RUST_LOG": "info"}}"#)
            .expect("valid");
        assert_eq!(parsed.pack_validation, ["check"]);
        assert_eq!(parsed.env.get("RUST_LOG").map(String::as_str), Some("info"));
        assert_eq!(parsed.build, ShipperConfig::default().build);
    }

    #[test]
    fn rejects_unknown_keys() {
        let error = config(r#"{"pack_validation": ["check"]}"#).expect_err("unknown key");
        assert!(error.to_string().contains("pack_validation"), "{error}");
    }

    #[test]
    fn rejects_an_empty_step() {
        let parsed = config(r#"{"pack": []}"#).expect("deserialises");
        let error = parsed.validate().expect_err("empty step");
        assert_eq!(error.table, "shipper");
        assert_eq!(error.key, "pack");
        assert_eq!(error.found, "[]");
    }

    #[test]
    fn rejects_an_empty_program() {
        let parsed = config(r#"{"build": ["", "build"]}"#).expect("deserialises");
        let error = parsed.validate().expect_err("empty program");
        assert_eq!(error.key, "build");
        assert_eq!(error.found, r#"["", "build"]"#);
    }

    #[test]
    fn rejects_a_bad_variable_name() {
        let parsed = config(r#"{"env": {"A=B": "x"}}"#).expect("deserialises");
        let error = parsed.validate().expect_err("bad name");
        assert_eq!(error.key, "env.A=B");
    }
}
