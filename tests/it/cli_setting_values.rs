//! Every setting's bad values, through the file and (where one exists) the flag that overrides
//! it: each exits 2 with exactly one line, in the same words either way, and runs nothing.

use std::path::Path;

use crate::cli_config::{project, run_play};

/// One bad value of one setting.
struct Bad {
    table: &'static str,
    key: &'static str,
    /// The value as written in the file (TOML).
    literal: &'static str,
    /// The key the message names (`env.RUST_LOG` for an entry of `env`).
    named: &'static str,
    /// What the message says was found.
    found: &'static str,
    /// What the message says was expected (also what the flag's message says).
    expected: &'static str,
    /// The flag that overrides the key, and the same value as a flag.
    flag: Option<(&'static str, &'static str)>,
}

const DURATION: &str = "an integer and ms, s or m, such as \"200ms\" or \"2s\", at most one day";
const DURATION_STRING: &str = "a string: an integer and ms, s or m, such as \"2s\"";
const SIZE: &str = "an integer and B, KiB or MiB, such as \"64KiB\", at most 1 GiB";
const ADDRESS: &str = "an IP literal and a non-zero port, such as \"127.0.0.1:7777\" or \"[::1]:7777\" (no host name: it must match the runtime's own setting)";
const COMMAND: &str = "a non-empty array of strings: the program, then its arguments, such as [\"prometeuc\", \"build\", \".\"]";
const ENV_NAME: &str = "a variable name that is not empty and has no '=' or NUL character";
const ENV_TABLE: &str = "a table of strings, such as { RUST_LOG = \"info\" }";

const fn bad(
    (table, key): (&'static str, &'static str),
    literal: &'static str,
    found: &'static str,
    expected: &'static str,
) -> Bad {
    Bad {
        table,
        key,
        literal,
        named: key,
        found,
        expected,
        flag: None,
    }
}

impl Bad {
    const fn flag(self, flag: &'static str, text: &'static str) -> Self {
        Self {
            flag: Some((flag, text)),
            ..self
        }
    }

    const fn named(self, named: &'static str) -> Self {
        Self { named, ..self }
    }
}

const BAD: &[Bad] = &[
    bad(
        ("session", "stop_grace"),
        "\"2 seconds\"",
        "\"2 seconds\" (a string)",
        DURATION,
    ),
    bad(
        ("session", "stop_grace"),
        "2",
        "2 (an integer)",
        DURATION_STRING,
    ),
    bad(
        ("session", "pipe_grace"),
        "\"-1s\"",
        "\"-1s\" (a string)",
        DURATION,
    ),
    bad(
        ("session", "pipe_grace"),
        "\"2d\"",
        "\"2d\" (a string)",
        DURATION,
    ),
    bad(("log", "max_line"), "\"64KB\"", "\"64KB\" (a string)", SIZE),
    bad(
        ("log", "max_line"),
        "\"0B\"",
        "\"0B\" (a string)",
        "a size above zero, such as \"64KiB\"",
    ),
    bad(
        ("log", "buffer_events"),
        "0",
        "0 (an integer)",
        "a positive integer",
    ),
    bad(
        ("log", "buffer_events"),
        "\"100\"",
        "\"100\" (a string)",
        "a positive integer",
    ),
    bad(
        ("log", "buffer_bytes"),
        "\"2048MiB\"",
        "\"2048MiB\" (a string)",
        SIZE,
    ),
    bad(
        ("log", "buffer_bytes"),
        "\"64KiB\"",
        "\"64KiB\"",
        "at least max_line + 256 bytes (65792 bytes), so that the longest line fits",
    ),
    bad(
        ("runtime", "path"),
        "\"\"",
        "\"\" (a string)",
        "a non-empty string: the path of the PROMETEU runtime, such as \"tools/prometeu\", or a program name on PATH",
    ),
    bad(
        ("runtime", "mode"),
        "\"fast\"",
        "\"fast\" (a string)",
        "\"run\" or \"debug\"",
    )
    .flag("--mode", "fast"),
    bad(
        ("runtime", "mode"),
        "\"Debug\"",
        "\"Debug\" (a string)",
        "\"run\" or \"debug\"",
    )
    .flag("--mode", "Debug"),
    bad(
        ("runtime", "debug_address"),
        "\"127.0.0.1:0\"",
        "\"127.0.0.1:0\" (a string)",
        ADDRESS,
    )
    .flag("--debug-address", "127.0.0.1:0"),
    bad(
        ("runtime", "debug_address"),
        "\"localhost:7777\"",
        "\"localhost:7777\" (a string)",
        ADDRESS,
    )
    .flag("--debug-address", "localhost:7777"),
    bad(
        ("runtime", "debug_address"),
        "\"127.0.0.1\"",
        "\"127.0.0.1\" (a string)",
        ADDRESS,
    )
    .flag("--debug-address", "127.0.0.1"),
    bad(
        ("runtime", "debug_address"),
        "\"[::1]:70000\"",
        "\"[::1]:70000\" (a string)",
        ADDRESS,
    )
    .flag("--debug-address", "[::1]:70000"),
    bad(
        ("runtime", "handshake_timeout"),
        "\"0s\"",
        "\"0s\" (a string)",
        "a duration above zero, such as \"10s\"",
    ),
    bad(
        ("runtime", "env"),
        "{ RUST_LOG = 1 }",
        "1 (an integer)",
        "a string (write numbers in quotes: \"1\")",
    )
    .named("env.RUST_LOG"),
    bad(
        ("runtime", "env"),
        "{ \"A=B\" = \"x\" }",
        "the variable name \"A=B\"",
        ENV_NAME,
    )
    .named("env.A=B"),
    bad(
        ("runtime", "env"),
        "\"RUST_LOG=info\"",
        "\"RUST_LOG=info\" (a string)",
        ENV_TABLE,
    ),
    bad(("shipper", "build"), "[]", "[] (an array)", COMMAND),
    bad(
        ("shipper", "build"),
        "[\"\", \"build\"]",
        "[\"\", \"build\"] (an array)",
        COMMAND,
    ),
    bad(
        ("shipper", "pack-validation"),
        "[1]",
        "[1] (an array)",
        COMMAND,
    ),
    bad(
        ("shipper", "pack"),
        "\"prometeu-packer pack\"",
        "\"prometeu-packer pack\" (a string)",
        COMMAND,
    ),
    bad(
        ("shipper", "env"),
        "{ \"\" = \"x\" }",
        "the variable name \"\"",
        ENV_NAME,
    )
    .named("env."),
    bad(
        ("cartridge", "app_id"),
        "5000000000",
        "5000000000 (an integer)",
        "an integer from 0 to 4294967295",
    ),
    bad(
        ("cartridge", "app_id"),
        "-1",
        "-1 (an integer)",
        "an integer from 0 to 4294967295",
    ),
    bad(
        ("cartridge", "title"),
        "\"\"",
        "\"\" (a string)",
        "a non-empty string",
    ),
    bad(
        ("cartridge", "title"),
        "\"   \"",
        "\"   \" (a string)",
        "a non-empty string",
    ),
    bad(
        ("cartridge", "app_version"),
        "1",
        "1 (an integer)",
        "a non-empty string",
    ),
    bad(
        ("cartridge", "app_mode"),
        "\"Arcade\"",
        "\"Arcade\" (a string)",
        "\"Game\" or \"System\"",
    ),
    bad(
        ("cartridge", "entrypoint"),
        "\"\"",
        "\"\" (a string)",
        "a non-empty string",
    ),
    bad(
        ("cartridge", "capabilities"),
        "[\"\"]",
        "[\"\"] (an array)",
        "an array of non-empty strings",
    ),
    bad(
        ("cartridge", "capabilities"),
        "\"net\"",
        "\"net\" (a string)",
        "an array of non-empty strings",
    ),
];

/// A configuration that runs (a build step leaving the marker), with `key = literal` set in
/// `table`; a `[cartridge]` table is complete but for the key under test.
fn config_with(table: &str, key: &str, literal: &str) -> String {
    let mut tables: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("runtime", vec![("path", "\"./runtime.sh\"")]),
        (
            "shipper",
            vec![
                ("build", "[\"touch\", \"MARKER\"]"),
                ("pack-validation", "[\"true\"]"),
                ("pack", "[\"true\"]"),
            ],
        ),
    ];
    if table == "cartridge" {
        tables.push((
            "cartridge",
            vec![
                ("app_id", "1"),
                ("title", "\"T\""),
                ("app_version", "\"1\""),
                ("app_mode", "\"Game\""),
                ("entrypoint", "\"main\""),
            ],
        ));
    }
    if !tables.iter().any(|(name, _)| *name == table) {
        tables.push((table, Vec::new()));
    }
    let mut text = String::new();
    for (name, mut keys) in tables {
        if name == table {
            keys.retain(|(written, _)| *written != key);
            keys.push((key, literal));
        }
        text.push_str(&format!("[{name}]\n"));
        for (written, value) in keys {
            text.push_str(&format!("{written} = {value}\n"));
        }
    }
    text
}

/// Runs `play` and returns its one error line, asserting exit 2 and nothing run.
fn refused(dir: &Path, args: &[&str], case: &str) -> String {
    let (code, stdout, stderr) = run_play(dir, args);
    assert_eq!(code, 2, "{case}: {stderr}");
    assert!(stdout.is_empty(), "{case}: {stdout}");
    assert_eq!(stderr.lines().count(), 1, "{case}: {stderr}");
    assert!(!dir.join("ran").exists(), "{case}: something ran");
    stderr.trim_end().to_owned()
}

#[test]
fn every_bad_value_exits_2_with_one_line_in_the_file_and_as_a_flag() {
    let good = config_with("runtime", "mode", "\"run\"");
    for bad in BAD {
        let case = format!("[{}] {} = {}", bad.table, bad.key, bad.literal);
        let dir = project(&config_with(bad.table, bad.key, bad.literal));
        let file = dir.path().join("prometeu-session.toml");
        assert_eq!(
            refused(dir.path(), &[], &case),
            format!(
                "prometeu-session: error: {}: [{}] {}: found {}, expected {}",
                file.display(),
                bad.table,
                bad.named,
                bad.found,
                bad.expected
            ),
        );
        if let Some((flag, text)) = bad.flag {
            let dir = project(&good);
            assert_eq!(
                refused(dir.path(), &[flag, text], &format!("{flag} {text}")),
                format!(
                    "prometeu-session: error: {flag} {text}: expected {}",
                    bad.expected
                ),
            );
        }
    }
}

#[test]
fn every_setting_has_a_bad_value_in_the_table() {
    let page = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md"),
    )
    .expect("docs/configuration.md");
    let listed = page
        .lines()
        .filter_map(|line| line.strip_prefix("| `["))
        .filter_map(|line| line.split_once("` |"))
        .map(|(setting, _)| setting.replacen("] ", " ", 1))
        .collect::<Vec<_>>();
    assert!(listed.len() >= 20, "{listed:?}");
    for setting in listed {
        assert!(
            BAD.iter()
                .any(|bad| format!("{} {}", bad.table, bad.key) == setting),
            "no bad value of {setting} is tried"
        );
    }
}

#[test]
fn a_runtime_path_that_cannot_run_is_refused_the_same_way_from_the_file_and_the_flag() {
    for (path, problem) in [
        ("missing/prometeu", "does not exist"),
        ("./", "is a directory"),
        ("./prometeu-session.toml", "is not executable"),
    ] {
        let dir = project(&config_with("runtime", "path", &format!("{path:?}")));
        let file = dir.path().join("prometeu-session.toml");
        let line = refused(dir.path(), &[], path);
        let prefix = format!(
            "prometeu-session: error: {}: [runtime] path: ",
            file.display()
        );
        assert!(
            line.starts_with(&prefix) && line.contains(problem),
            "{line}"
        );

        let flag_path = dir.path().join(path);
        let flag_path = flag_path.display().to_string();
        let dir = project(&config_with("runtime", "mode", "\"run\""));
        let line = refused(dir.path(), &["--runtime", &flag_path], path);
        let prefix = format!("prometeu-session: error: --runtime {flag_path}: ");
        assert!(
            line.starts_with(&prefix) && line.contains(problem),
            "{line}"
        );
    }
}
