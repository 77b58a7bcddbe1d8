//! The table of every setting in `docs/configuration.md`, generated from the catalogue (a
//! test keeps the page up to date).

use std::fmt::Write;

use super::catalogue::{ALL, Presence};

/// The line before the generated table in the page.
pub const REFERENCE_START: &str =
    "<!-- settings table: generated from app-cli/src/config/catalogue.rs -->";
/// The line after it.
pub const REFERENCE_END: &str = "<!-- end of the settings table -->";

/// The Markdown table of every setting: key, default, what it accepts, its flag, its meaning.
pub fn reference_table() -> String {
    let mut text =
        String::from("| key | default | accepts | flag | meaning |\n|---|---|---|---|---|\n");
    for setting in ALL {
        let default = match setting.presence() {
            Presence::Default(literal) => format!("`{literal}`"),
            Presence::Optional { .. } => "none".to_owned(),
            Presence::Required { .. } => "required in its table".to_owned(),
        };
        let flag = setting
            .flag()
            .map(|flag| format!("`{flag}`"))
            .unwrap_or_default();
        let _ = writeln!(
            text,
            "| `[{}] {}` | {} | {} | {} | {} |",
            setting.table(),
            setting.key(),
            cell(&default),
            cell(setting.accepts()),
            flag,
            cell(setting.help()),
        );
    }
    text
}

/// Text that stays inside one table cell and shows as written (`<path>` is not HTML).
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// The page holds exactly the generated table, so no key, default or bound can drift.
    /// When this fails, paste the table it prints between the two marker lines.
    #[test]
    fn the_reference_page_lists_every_setting_as_defined() {
        let page_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
        let page = std::fs::read_to_string(&page_path).expect("docs/configuration.md");
        let start = page.find(REFERENCE_START).expect("the start marker") + REFERENCE_START.len();
        let end = page.find(REFERENCE_END).expect("the end marker");
        let expected = reference_table();
        assert_eq!(
            page[start..end].trim(),
            expected.trim(),
            "docs/configuration.md is out of date; the table should read:\n{expected}"
        );
        for setting in ALL {
            assert!(page.contains(&format!("`[{}] {}`", setting.table(), setting.key())));
        }
    }
}
