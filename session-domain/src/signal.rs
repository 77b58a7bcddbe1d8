//! Signals as values that know their conventional names.

use std::fmt;
use std::num::NonZeroI32;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A signal number. Serialises as its standard name (`SIGSEGV`), or `SIG<n>` without one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(NonZeroI32);

#[cfg(not(target_os = "macos"))]
const NAMES: &[(i32, &str)] = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGBUS"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGUSR1"),
    (11, "SIGSEGV"),
    (12, "SIGUSR2"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGSTKFLT"),
    (17, "SIGCHLD"),
    (18, "SIGCONT"),
    (19, "SIGSTOP"),
    (20, "SIGTSTP"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGURG"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGIO"),
    (30, "SIGPWR"),
    (31, "SIGSYS"),
];

#[cfg(target_os = "macos")]
const NAMES: &[(i32, &str)] = &[
    (1, "SIGHUP"),
    (2, "SIGINT"),
    (3, "SIGQUIT"),
    (4, "SIGILL"),
    (5, "SIGTRAP"),
    (6, "SIGABRT"),
    (7, "SIGEMT"),
    (8, "SIGFPE"),
    (9, "SIGKILL"),
    (10, "SIGBUS"),
    (11, "SIGSEGV"),
    (12, "SIGSYS"),
    (13, "SIGPIPE"),
    (14, "SIGALRM"),
    (15, "SIGTERM"),
    (16, "SIGURG"),
    (17, "SIGSTOP"),
    (18, "SIGTSTP"),
    (19, "SIGCONT"),
    (20, "SIGCHLD"),
    (21, "SIGTTIN"),
    (22, "SIGTTOU"),
    (23, "SIGIO"),
    (24, "SIGXCPU"),
    (25, "SIGXFSZ"),
    (26, "SIGVTALRM"),
    (27, "SIGPROF"),
    (28, "SIGWINCH"),
    (29, "SIGINFO"),
    (30, "SIGUSR1"),
    (31, "SIGUSR2"),
];

impl Signal {
    /// SIGINT on this platform.
    pub const INT: Self = Self::known(2);
    /// SIGKILL on this platform.
    pub const KILL: Self = Self::known(9);
    /// SIGTERM on this platform.
    pub const TERM: Self = Self::known(15);
    /// SIGHUP on this platform.
    pub const HUP: Self = Self::known(1);

    const fn known(number: i32) -> Self {
        match NonZeroI32::new(number) {
            Some(number) => Self(number),
            None => panic!("signal numbers are never zero"),
        }
    }

    /// The signal with this number, or `None` for 0, which is no signal.
    pub fn from_number(number: i32) -> Option<Self> {
        NonZeroI32::new(number).map(Self)
    }

    /// The signal's number on this platform.
    pub fn number(self) -> i32 {
        self.0.get()
    }

    /// The standard name, if this platform has one for the number.
    pub fn standard_name(self) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(number, _)| *number == self.0.get())
            .map(|(_, name)| *name)
    }

    /// Parses `SIGSEGV` or `SIG11`.
    pub fn from_name(name: &str) -> Option<Self> {
        if let Some((number, _)) = NAMES.iter().find(|(_, known)| *known == name) {
            return Self::from_number(*number);
        }
        let digits = name.strip_prefix("SIG")?;
        // `parse` would also take a sign: `SIG+9` and `SIG-9` are not signal names.
        if !digits.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        Self::from_number(digits.parse().ok()?)
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.standard_name() {
            Some(name) => f.write_str(name),
            None => write!(f, "SIG{}", self.0),
        }
    }
}

impl Serialize for Signal {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Signal {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::from_name(&name).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "expected a signal name such as SIGSEGV or SIG40, found {name:?}"
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_standard_signals_and_numbers_others() {
        assert_eq!(Signal::TERM.to_string(), "SIGTERM");
        assert_eq!(
            Signal::from_number(11).map(|s| s.to_string()).as_deref(),
            Some("SIGSEGV")
        );
        assert_eq!(
            Signal::from_number(40).map(|s| s.to_string()).as_deref(),
            Some("SIG40")
        );
        assert_eq!(Signal::from_name("SIG40"), Signal::from_number(40));
        assert_eq!(Signal::from_name("SIGKILL"), Some(Signal::KILL));
        assert_eq!(Signal::from_name("KILL"), None);
        assert_eq!(Signal::from_number(0), None);
    }

    #[test]
    fn serialises_as_its_name_and_parses_back() {
        for number in [1, 9, 11, 15, 40, 64] {
            let signal = Signal::from_number(number).expect("not zero");
            let json = serde_json::to_string(&signal).expect("a signal serialises");
            assert_eq!(json, format!("\"{signal}\""));
            assert_eq!(
                serde_json::from_str::<Signal>(&json).expect("parses back"),
                signal
            );
            assert_eq!(signal.number(), number);
        }
        for bad in [
            r#""SIG0""#,
            r#""SIG+9""#,
            r#""SIG-9""#,
            r#""sigkill""#,
            r#""SIG""#,
            "9",
        ] {
            assert!(serde_json::from_str::<Signal>(bad).is_err(), "{bad}");
        }
    }
}
