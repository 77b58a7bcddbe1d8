//! The file `prometeu-session init` writes, generated from the catalogue.

use std::fmt::Write;

use super::catalogue::{Presence, TABLES, settings_of};

/// Where comments start, so that they line up.
const COMMENT_COLUMN: usize = 34;

/// Every key at its default, each with a comment; `[cartridge]` commented out; a placeholder
/// runtime path that `play` rejects with a message saying what to edit.
pub fn template() -> String {
    let mut text = String::from(
        "# prometeu-session configuration: what Play does for this project.\n\
         # Paths resolve against this project's root; a program name without '/' is looked up on PATH.\n\
         # Every key is described in docs/configuration.md of prometeu-session.\n",
    );
    for table in TABLES {
        text.push('\n');
        let prefix = if table.optional { "# " } else { "" };
        push_line(&mut text, &format!("{prefix}[{}]", table.name), table.note);
        for setting in settings_of(table.name) {
            let help = match setting.presence() {
                Presence::Optional { .. } => format!("EDIT ME: {}", setting.help()),
                _ => setting.help().to_owned(),
            };
            let line = format!(
                "{prefix}{} = {}",
                setting.key(),
                setting.presence().template_value()
            );
            push_line(&mut text, &line, Some(&help));
        }
    }
    text
}

/// `line`, then its comment in the comment column (or one space after a long line).
fn push_line(text: &mut String, line: &str, comment: Option<&str>) {
    match comment {
        Some(comment) => {
            let _ = writeln!(
                text,
                "{line:<width$} # {comment}",
                width = COMMENT_COLUMN - 1
            );
        }
        None => {
            let _ = writeln!(text, "{line}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::catalogue::ALL;
    use super::super::load::parse;
    use super::*;

    #[test]
    fn the_template_loads_with_every_default() {
        let text = template();
        let config = parse(Path::new("prometeu-session.toml"), &text).expect("it loads");
        assert!(config.cartridge.is_none());
        for setting in ALL {
            let line = format!(
                "{} = {}",
                setting.key(),
                setting.presence().template_value()
            );
            assert!(text.contains(&line), "{line} missing from:\n{text}");
        }
        assert!(text.contains("# [cartridge]"));
        assert!(text.contains("path = \"path/to/prometeu\""));
    }

    #[test]
    fn the_commented_cartridge_loads_once_uncommented() {
        let text = template().replace("# [cartridge]", "[cartridge]");
        let uncommented: String = text
            .lines()
            .map(|line| {
                let is_cartridge_key = [
                    "app_id",
                    "title",
                    "app_version",
                    "app_mode",
                    "entrypoint",
                    "capabilities",
                ]
                .iter()
                .any(|key| line.starts_with(&format!("# {key} = ")));
                if is_cartridge_key { &line[2..] } else { line }
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let config = parse(Path::new("prometeu-session.toml"), &uncommented).expect("it loads");
        assert!(config.cartridge.is_some());
    }
}
