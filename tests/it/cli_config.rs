//! `prometeu-session` refusing bad configurations: exit 2, one line naming the file, table and
//! key, what was found and what was expected, and nothing run.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_prometeu-session-it");

/// A project whose build step would leave a marker if anything ran.
pub(crate) fn project(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    let marker = dir.path().join("ran");
    let config = config.replace("MARKER", &marker.display().to_string());
    std::fs::write(dir.path().join("prometeu-session.toml"), config).expect("write config");
    std::fs::write(dir.path().join("runtime.sh"), "#!/bin/sh\nexit 0\n").expect("write runtime");
    set_executable(&dir.path().join("runtime.sh"));
    dir
}

fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

pub(crate) const GOOD: &str = r#"
[runtime]
path = "./runtime.sh"
[shipper]
build = ["touch", "MARKER"]
pack-validation = ["true"]
pack = ["true"]
"#;

pub(crate) fn run_play(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let output = Command::new(BIN)
        .arg("play")
        .arg("--project")
        .arg(dir)
        .args(extra)
        .output()
        .expect("run prometeu-session");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// (config, what the one error line must contain)
const BAD: &[(&str, &[&str])] = &[
    (
        "[runtime]\npath = \"./runtime.sh\"\n[sesion]\nstop_grace = \"1s\"\n",
        &["[sesion]", "unknown", "did you mean [session]"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[session]\nstop_grac = \"1s\"\n",
        &["[session] stop_grac", "did you mean `stop_grace`"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[session]\nstop_grace = \"2 seconds\"\n",
        &["[session] stop_grace", "\"2 seconds\"", "ms, s or m"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[session]\npipe_grace = 200\n",
        &["[session] pipe_grace", "200 (an integer)", "a string"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\nhandshake_timeout = \"0s\"\n",
        &["[runtime] handshake_timeout", "above zero"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\nmode = \"fast\"\n",
        &["[runtime] mode", "\"fast\"", "\"run\" or \"debug\""],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\ndebug_address = \"localhost:7777\"\n",
        &["[runtime] debug_address", "IP literal"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\nenv = { RUST_LOG = 1 }\n",
        &["[runtime] env.RUST_LOG", "1 (an integer)", "a string"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[log]\nmax_line = \"64KB\"\n",
        &["[log] max_line", "\"64KB\"", "KiB"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[log]\nbuffer_events = 0\n",
        &["[log] buffer_events", "positive integer"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[log]\nmax_line = \"1MiB\"\nbuffer_bytes = \"1MiB\"\n",
        &["[log] buffer_bytes", "max_line + 256"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[shipper]\nbuild = []\n",
        &["[shipper] build", "non-empty array"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[shipper]\npack = \"prometeu-packer pack\"\n",
        &["[shipper] pack", "array of strings"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[cartridge]\napp_id = 1\ntitle = \"T\"\napp_version = \"1\"\napp_mode = \"Arcade\"\nentrypoint = \"main\"\n",
        &["[cartridge] app_mode", "\"Game\" or \"System\""],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[cartridge]\napp_id = 5000000000\ntitle = \"T\"\napp_version = \"1\"\napp_mode = \"Game\"\nentrypoint = \"main\"\n",
        &["[cartridge] app_id", "4294967295"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[cartridge]\napp_id = 1\ntitle = \"\"\napp_version = \"1\"\napp_mode = \"Game\"\nentrypoint = \"main\"\n",
        &["[cartridge] title", "non-empty"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[cartridge]\napp_id = 1\napp_version = \"1\"\napp_mode = \"Game\"\nentrypoint = \"main\"\n",
        &["[cartridge] title", "found nothing"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[cartridge]\napp_id = 1\ntitle = \"T\"\napp_version = \"1\"\napp_mode = \"Game\"\nentrypoint = \"main\"\ncapabilities = [\"\"]\n",
        &["[cartridge] capabilities", "non-empty strings"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[shipper\nbuild = [\"true\"]\n",
        &["prometeu-session.toml:3:", "not valid TOML"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[session]\nstop_grace = \"1s\"\nstop_grace = \"2s\"\n",
        &["prometeu-session.toml:5:1:", "duplicate key `stop_grace`"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\nenv = { A = \"1\", A = \"2\" }\n",
        &["prometeu-session.toml:3:", "duplicate key `A`"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[session]\nstop_grace = \"1s\"\n[session]\n",
        &["prometeu-session.toml:5:", "duplicate table [session]"],
    ),
    (
        "[runtime]\npath = \"missing/prometeu\"\n",
        &["[runtime] path", "missing/prometeu"],
    ),
    (
        "[runtime]\npath = \"no-such-runtime-on-path\"\n",
        &["[runtime] path", "PATH"],
    ),
    (
        "[runtime]\npath = \"./\"\n",
        &["[runtime] path", "directory"],
    ),
    (
        "[runtime]\npath = \"./prometeu-session.toml\"\n",
        &["[runtime] path", "executable"],
    ),
    (
        "[shipper]\nbuild = [\"true\"]\n",
        &["[runtime] path", "--runtime"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[session]\nstop_grace = \"18446744073709551615s\"\n",
        &["[session] stop_grace", "at most one day"],
    ),
    (
        "[runtime]\npath = \"./runtime.sh\"\n[log]\nmax_line = \"18446744073709551615B\"\n",
        &["[log] max_line", "at most 1 GiB"],
    ),
    (
        "stop_grace = \"1s\"\n[runtime]\npath = \"./runtime.sh\"\n",
        &["stop_grace", "did you mean `stop_grace` in [session]"],
    ),
];

#[test]
fn bad_configurations_exit_2_with_one_line_and_run_nothing() {
    assert!(BAD.len() >= 15);
    for (config, expected) in BAD {
        // Every case gets a build step that would leave a marker, unless it is about [shipper].
        let config = if config.contains("[shipper]") {
            (*config).to_owned()
        } else {
            format!("{config}\n[shipper]\nbuild = [\"touch\", \"MARKER\"]\n")
        };
        let dir = project(&config);
        let (code, stdout, stderr) = run_play(dir.path(), &[]);
        assert_eq!(code, 2, "config:\n{config}\nstderr: {stderr}");
        assert!(stdout.is_empty(), "config:\n{config}\nstdout: {stdout}");
        assert_eq!(
            stderr.lines().count(),
            1,
            "one line for:\n{config}\nstderr: {stderr}"
        );
        assert!(stderr.starts_with("prometeu-session: error: "), "{stderr}");
        for fragment in *expected {
            assert!(
                stderr.contains(fragment),
                "{fragment:?} missing for:\n{config}\nstderr: {stderr}"
            );
        }
        assert!(
            !dir.path().join("ran").exists(),
            "something ran for:\n{config}"
        );
    }
}

#[test]
fn missing_config_names_the_path_and_suggests_init() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, _, stderr) = run_play(dir.path(), &[]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("prometeu-session.toml") && stderr.contains("init"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_are_one_line_exit_2() {
    let dir = project(GOOD);
    for args in [
        &["--source", "compiler"][..],
        &["--min-severity", "loud"][..],
        &["--format", "xml"][..],
        &["--stop-after", "5"][..],
        &["--stop-after", "18446744073709551615s"][..],
        &["--mode", "fast"][..],
    ] {
        let (code, _, stderr) = run_play(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("prometeu-session: error: "), "{stderr}");
    }
    let output = Command::new(BIN)
        .args(["prepare", "--runtime", "x", "--project"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(2));
    assert!(!dir.path().join("ran").exists());
}

#[test]
fn an_existing_log_file_is_left_untouched_when_the_config_is_bad() {
    let dir = project("[runtime]\npath = \"./runtime.sh\"\nmode = \"fast\"\n");
    let log = dir.path().join("session.log");
    std::fs::write(&log, "keep me\n").expect("write log");
    let (code, _, _) = run_play(dir.path(), &["--log-file", &log.display().to_string()]);
    assert_eq!(code, 2);
    assert_eq!(
        std::fs::read_to_string(&log).expect("read log"),
        "keep me\n"
    );
}

#[test]
fn init_writes_a_config_that_loads_and_then_play_says_what_to_edit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let init = Command::new(BIN)
        .args(["init", "--project"])
        .arg(dir.path())
        .output()
        .expect("init");
    assert_eq!(
        init.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let written = std::fs::read_to_string(dir.path().join("prometeu-session.toml")).expect("read");
    assert!(written.contains("# [cartridge]"));

    // It loads: `prepare` gets past configuration (and fails later, at the build step,
    // because prometeuc is not installed here).
    let prepare = Command::new(BIN)
        .args(["prepare", "--format", "json", "--project"])
        .arg(dir.path())
        .output()
        .expect("prepare");
    assert_ne!(
        prepare.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&prepare.stderr)
    );

    let (code, stdout, stderr) = run_play(dir.path(), &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("prometeu-session.toml") && stderr.contains("[runtime] path"),
        "{stderr}"
    );
    assert!(stderr.contains("path/to/prometeu"), "{stderr}");

    let again = Command::new(BIN)
        .args(["init", "--project"])
        .arg(dir.path())
        .output()
        .expect("init again");
    assert_eq!(again.status.code(), Some(2));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("prometeu-session.toml")).expect("read"),
        written
    );
}

#[test]
fn a_bare_command_line_is_a_one_line_usage_error() {
    let output = Command::new(BIN).output().expect("run");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("play, prepare, init, serve, attach, status, stop, kill or dap"),
        "{stderr}"
    );
}

#[test]
fn an_unwritable_log_file_is_a_tool_error_exit_1() {
    let dir = project(GOOD);
    let (code, _, stderr) = run_play(dir.path(), &["--log-file", "/dev/full"]);
    assert_eq!(code, 1, "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("prometeu-session: error: the log file cannot be written"),
        "{stderr}"
    );
}

/// How a diagnosis case runs: `play` with these flags, from this folder.
struct Diagnosis {
    /// What replaces `./runtime.sh` in the file.
    runtime_in_file: &'static str,
    /// What replaces `"touch", "MARKER"` as the build step.
    build: &'static str,
    /// Extra flags (`ROOT` becomes the project's path).
    flags: &'static [&'static str],
    /// Run from the project root (else from its parent).
    from_root: bool,
    code: i32,
    /// What stderr (exit 2) or stdout (a failed run) must say.
    says: &'static [&'static str],
}

#[test]
fn runtime_and_step_diagnoses_name_the_real_cause() {
    let cases = [
        Diagnosis {
            runtime_in_file: "./loop",
            build: r#""true""#,
            flags: &[],
            from_root: true,
            code: 2,
            says: &["[runtime] path", "loop of symbolic links"],
        },
        Diagnosis {
            runtime_in_file: "./runtime.sh",
            build: r#""true""#,
            flags: &["--runtime", "ROOT/runtime.sh/"],
            from_root: true,
            code: 2,
            says: &["--runtime", "goes through a file as if it were a folder"],
        },
        Diagnosis {
            runtime_in_file: "./run\\u0000time",
            build: r#""true""#,
            flags: &[],
            from_root: true,
            code: 2,
            says: &["[runtime] path", "without a NUL byte"],
        },
        Diagnosis {
            runtime_in_file: "./runtime.sh",
            build: r#""true""#,
            flags: &["--runtime", "tools/prometeu"],
            from_root: false,
            code: 2,
            says: &[
                "does not exist",
                "a path given as a flag resolves against the current directory",
            ],
        },
        Diagnosis {
            runtime_in_file: "./tools/prometeu",
            build: r#""true""#,
            flags: &[],
            from_root: false,
            code: 2,
            says: &[
                "does not exist",
                "a path in the file resolves against the project root",
            ],
        },
        Diagnosis {
            runtime_in_file: "./no-interpreter.sh",
            build: r#""true""#,
            flags: &["--format", "json"],
            from_root: true,
            code: 4,
            says: &[
                "its interpreter `/no/such/interpreter` (named on its `#!` line) does not exist",
            ],
        },
        Diagnosis {
            runtime_in_file: "./runtime.sh",
            build: r#""./no-interpreter.sh""#,
            flags: &["--format", "json"],
            from_root: true,
            code: 3,
            says: &[
                "build failed",
                "its interpreter `/no/such/interpreter` (named on its `#!` line) does not exist",
            ],
        },
    ];
    for case in cases {
        let config = GOOD
            .replace("./runtime.sh", case.runtime_in_file)
            .replace(r#""touch", "MARKER""#, case.build)
            + "[cartridge]\napp_id = 1\ntitle = \"T\"\napp_version = \"1.0.0\"\napp_mode = \"Game\"\nentrypoint = \"main\"\n";
        let dir = project(&config);
        let root = dir.path();
        std::os::unix::fs::symlink("loop", root.join("loop")).expect("link");
        let script = root.join("no-interpreter.sh");
        std::fs::write(&script, "#!/no/such/interpreter\necho hello\n").expect("write");
        set_executable(&script);
        let root_text = root.display().to_string();
        let flags: Vec<String> = case
            .flags
            .iter()
            .map(|flag| flag.replace("ROOT", &root_text))
            .collect();
        let output = Command::new(BIN)
            .arg("play")
            .arg("--project")
            .arg(root)
            .args(&flags)
            .current_dir(if case.from_root {
                root
            } else {
                root.parent().expect("a parent")
            })
            .output()
            .expect("run prometeu-session");
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let told = if case.code == 2 { &stderr } else { &stdout };
        assert_eq!(
            output.status.code(),
            Some(case.code),
            "{}: {stderr}{stdout}",
            case.runtime_in_file
        );
        for needle in case.says {
            assert!(told.contains(needle), "{needle:?} in {told}");
        }
        assert!(!told.contains("chmod +x"), "{told}");
        assert!(!told.contains("No such file or directory"), "{told}");
    }
}

/// Nothing a file, a flag or a child writes reaches the terminal as a control character:
/// error lines escape them, the human format removes them (C1 included) with colour off.
#[test]
fn control_characters_never_reach_the_terminal() {
    let has_control = |text: &[u8]| {
        text.windows(2)
            .any(|pair| pair[0] == 0xc2 && (0x80..=0x9f).contains(&pair[1]))
            || text
                .iter()
                .any(|&byte| byte < 0x20 && byte != b'\n' && byte != b'\t' || byte == 0x7f)
    };
    // A key and a path with ESC, BEL and a C1 CSI in them: each one error line, escaped.
    let bad_key =
        "[runtime]\npath = \"./runtime.sh\"\n[session]\n\"k\\u001b]0;owned\\u0007\\u009b2J\" = 1\n";
    let bad_path = GOOD.replace("./runtime.sh", "./run\\u001b[2Jtime\\u0085");
    for config in [bad_key, bad_path.as_str()] {
        let dir = project(config);
        let output = Command::new(BIN)
            .arg("play")
            .arg("--project")
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(output.status.code(), Some(2));
        assert!(!has_control(&output.stderr), "{:?}", output.stderr);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(stderr.contains("\\u{1b}"), "{stderr}");
    }

    // A step that prints 8-bit controls: gone from the human format, kept in JSON.
    let config = GOOD.replace(
        r#""touch", "MARKER""#,
        r#""printf", "a\u009b2Jb\u009d0;title\u0007c\u0085d\n""#,
    );
    let dir = project(&config);
    let human = Command::new(BIN)
        .args(["prepare", "--color", "never", "--project"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(!has_control(&human.stdout), "{:?}", human.stdout);
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(text.contains("abcd"), "{text}");
    let json = Command::new(BIN)
        .args(["prepare", "--format", "json", "--project"])
        .arg(dir.path())
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&json.stdout);
    // JSON keeps messages as written (U+009B needs no escape in JSON).
    assert!(text.contains("a\u{9b}2Jb"), "{text}");
}
