//! Whether to colour, decided once at start-up (anstream's order), and the palette.

use std::io::IsTerminal;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorChoice {
    /// Colour when stdout is a terminal, unless `NO_COLOR`; `CLICOLOR_FORCE` forces it.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour (`--no-color`).
    Never,
}

/// Decides colour for stdout. `env` reads a variable (injected for tests).
pub fn use_color(choice: ColorChoice, env: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| env(name).is_some_and(|value| !value.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if set("CLICOLOR_FORCE") => true,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && env("TERM").is_none_or(|term| term != "dumb")
        }
    }
}

pub(crate) const RESET: &str = "\x1b[0m";
pub(crate) const BOLD: &str = "\x1b[1m";
pub(crate) const DIM: &str = "\x1b[2m";
pub(crate) const RED: &str = "\x1b[31m";
pub(crate) const GREEN: &str = "\x1b[32m";
pub(crate) const YELLOW: &str = "\x1b[33m";
pub(crate) const BLUE: &str = "\x1b[34m";
pub(crate) const MAGENTA: &str = "\x1b[35m";
pub(crate) const CYAN: &str = "\x1b[36m";

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn explicit_choices_decide_alone() {
        assert!(use_color(ColorChoice::Always, env(&[("NO_COLOR", "1")])));
        assert!(!use_color(
            ColorChoice::Never,
            env(&[("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn auto_follows_no_color_then_clicolor_force() {
        assert!(!use_color(
            ColorChoice::Auto,
            env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(use_color(
            ColorChoice::Auto,
            env(&[("NO_COLOR", ""), ("CLICOLOR_FORCE", "1")])
        ));
    }
}
