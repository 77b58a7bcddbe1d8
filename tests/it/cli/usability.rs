//! Small things a user trips on (issue 10, item 9), each over the real binary: what a wrong
//! `--project` or a `build` file is called, `init`'s own exit codes, `help <command>`, an
//! unreadable `PROMETEU_SESSION_LOG`, filters in any case, and `CLICOLOR_FORCE` as anstream
//! reads it.

use std::process::Command;

use super::support::{BIN, Project, Setup};

fn run(command: &mut Command) -> (i32, String, String) {
    let output = command.output().expect("run prometeu-session");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn prepared() -> Setup<'static> {
    Setup {
        build: "say-out:built",
        validate: "say-out:[WARN] almost",
        pack: "say-out:packed",
        cartridge: true,
        ..Setup::default()
    }
}

#[test]
fn a_project_that_is_a_file_is_said_to_be_a_file_by_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "not a project\n").expect("write");
    for command in ["play", "prepare", "init", "status", "serve"] {
        let (code, stdout, stderr) = run(Command::new(BIN).args([command, "--project"]).arg(&file));
        assert_eq!(code, 2, "{command}: {stderr}");
        assert!(stdout.is_empty(), "{command}: {stdout}");
        assert_eq!(stderr.lines().count(), 1, "{command}: {stderr}");
        assert!(
            stderr.contains("notes.txt: is a file, not a directory"),
            "{command}: {stderr}"
        );
    }
    let missing = dir.path().join("nowhere");
    let (code, _, stderr) = run(Command::new(BIN).args(["play", "--project"]).arg(&missing));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nowhere: no such directory"), "{stderr}");
}

#[test]
fn a_build_that_is_a_file_is_named_with_what_to_do() {
    let project = Project::new(&prepared());
    std::fs::write(project.path().join("build"), "a file\n").expect("write");
    let (code, stdout, stderr) = project.run("prepare", &["--no-color"]);
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stdout.contains("`build` in the project is not a directory; move it away or remove it"),
        "{stdout}"
    );
    assert!(!stdout.contains("File exists"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(project.path().join("build")).expect("read"),
        "a file\n",
        "the file is left alone"
    );
}

#[test]
fn init_help_lists_its_own_exit_codes() {
    let (code, stdout, stderr) = run(Command::new(BIN).args(["init", "--help"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("0    the file was written"), "{stdout}");
    assert!(stdout.contains("2    usage error"), "{stdout}");
    assert!(!stdout.contains("130"), "no run exit codes: {stdout}");
    assert!(!stdout.contains("prepare_failed"), "{stdout}");
}

#[test]
fn help_names_a_command_as_git_and_cargo_do() {
    let (code, stdout, stderr) = run(Command::new(BIN).args(["help", "play"]));
    assert_eq!(code, 0, "{stderr}");
    let (_, own, _) = run(Command::new(BIN).args(["play", "--help"]));
    assert_eq!(stdout, own, "`help play` is `play --help`");
    assert!(stdout.contains("--stop-after"), "{stdout}");
    assert!(
        stdout.contains("a whole number"),
        "--stop-after says it takes whole numbers: {stdout}"
    );
    let (code, stdout, _) = run(Command::new(BIN).arg("help"));
    assert_eq!(code, 0);
    assert!(stdout.contains("Commands:"), "{stdout}");
}

#[test]
fn an_unreadable_log_filter_is_said_once_and_the_default_used() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (code, _, stderr) = run(Command::new(BIN)
        .args(["init", "--project"])
        .arg(dir.path())
        .env("PROMETEU_SESSION_LOG", "session=loud"));
    assert_eq!(code, 0, "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|line| line.contains("PROMETEU_SESSION_LOG"))
        .collect();
    assert_eq!(warnings.len(), 1, "{stderr}");
    assert!(
        warnings[0].starts_with("prometeu-session: warning: PROMETEU_SESSION_LOG=session=loud")
            && warnings[0].contains("using the default, `warn`"),
        "{stderr}"
    );
    let again = tempfile::tempdir().expect("temp dir");
    let (code, _, stderr) = run(Command::new(BIN)
        .args(["init", "--project"])
        .arg(again.path())
        .env("PROMETEU_SESSION_LOG", "info"));
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("PROMETEU_SESSION_LOG"),
        "a valid filter is quiet: {stderr}"
    );
}

#[test]
fn sources_and_severities_are_read_in_any_case() {
    let project = Project::new(&prepared());
    let args = [
        "--format",
        "json",
        "--source",
        "PACK-VALIDATION,Session",
        "--min-severity",
        "WARN",
    ];
    let (code, stdout, stderr) = project.run("prepare", &args);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("[WARN] almost"), "{stdout}");
    assert!(!stdout.contains("\"built\""), "{stdout}");
}

#[test]
fn clicolor_force_forces_colour_when_non_empty_as_anstream_reads_it() {
    let project = Project::new(&prepared());
    let coloured = |value: Option<&str>| {
        let mut command = project.command("prepare", &[]);
        if let Some(value) = value {
            command.env("CLICOLOR_FORCE", value);
        }
        let (code, stdout, stderr) = run(&mut command);
        assert_eq!(code, 0, "{stderr}");
        stdout.contains("\x1b[")
    };
    assert!(!coloured(None));
    assert!(!coloured(Some("")));
    assert!(coloured(Some("1")));
    assert!(
        coloured(Some("0")),
        "anstream forces for any non-empty value"
    );
}
