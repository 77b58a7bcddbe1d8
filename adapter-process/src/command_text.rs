//! How a command reads in session lines and failure reasons: a step's and the runtime's alike,
//! so that every command the session shows is quoted by one rule.

/// The command as one line a person could paste into a POSIX shell: words joined by spaces, a
/// word single-quoted only when it needs it (`prometeuc build .`, `tool 'two words'`).
pub fn display_command<S: AsRef<str>>(words: &[S]) -> String {
    let quoted: Vec<String> = words.iter().map(|word| quote(word.as_ref())).collect();
    quoted.join(" ")
}

fn quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_alphanumeric() || "-_./:=+,@%^".contains(c));
    if plain {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            display_command(&words(&["prometeuc", "build", "."])),
            "prometeuc build ."
        );
        assert_eq!(
            display_command(&words(&["tool", "two words", "", "it's"])),
            r"tool 'two words' '' 'it'\''s'"
        );
    }
}
