//! How counts read in `session` lines and in the command line's output.

/// `1 byte`, `2 bytes`, `0 bytes`: the count and its noun, singular for exactly one.
///
/// Every line that states a count of something uses this, so that none reads "1 bytes".
pub fn counted(count: u64, singular: &str, plural: &str) -> String {
    let noun = if count == 1 { singular } else { plural };
    format!("{count} {noun}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn singular_for_exactly_one() {
        assert_eq!(counted(0, "byte", "bytes"), "0 bytes");
        assert_eq!(counted(1, "byte", "bytes"), "1 byte");
        assert_eq!(counted(2, "event", "events"), "2 events");
    }
}
