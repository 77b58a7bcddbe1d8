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
        &["[log] buffer_bytes", "max_line + 64"],
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
