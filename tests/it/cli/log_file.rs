//! The log file failing on the last batch before a quiet spell.

use std::io::Read;
use std::os::unix::fs::PermissionsExt;

use super::support::{Project, Running, Setup, assert_gapless, events};

/// A runtime that says one line, waits (silent) until the file `go` exists in the project,
/// says one more line, then stays silent forever.
const QUIET_RUNTIME: &str = "#!/bin/sh
echo 'rt ready'
while [ ! -e go ]; do sleep 0.02; done
echo 'one more line'
exec sleep 100000
";

#[test]
fn a_log_file_that_fails_on_the_last_line_before_a_quiet_spell_stops_the_run_with_exit_1() {
    let project = Project::new(&Setup {
        cartridge: true,
        ..Setup::default()
    });
    let runtime = project.path().join("quiet-runtime");
    std::fs::write(&runtime, QUIET_RUNTIME).expect("write the runtime");
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o755))
        .expect("make it executable");
    let config_path = project.path().join("prometeu-session.toml");
    let config: Vec<String> = std::fs::read_to_string(&config_path)
        .expect("config")
        .lines()
        .map(|line| match line.starts_with("path = ") {
            true => format!("path = {:?}", runtime.display().to_string()),
            false => line.to_owned(),
        })
        .collect();
    std::fs::write(&config_path, config.join("\n")).expect("rewrite config");
    // A FIFO as the log file: once its reader is gone, the next write fails (EPIPE).
    let fifo = project.path().join("session.log");
    let owner_only = rustix::fs::Mode::RUSR | rustix::fs::Mode::WUSR;
    rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, owner_only).expect("mkfifo");

    let running = Running::start(project.command(
        "play",
        &[
            "--format",
            "json",
            "--log-file",
            fifo.to_str().expect("utf-8"),
        ],
    ));
    let mut reader = std::fs::File::open(&fifo).expect("open the FIFO");
    let mut logged = Vec::new();
    let mut chunk = [0_u8; 4096];
    while !String::from_utf8_lossy(&logged).contains("rt ready") {
        let read = reader.read(&mut chunk).expect("read the log");
        assert!(read > 0, "the log ended early");
        logged.extend_from_slice(&chunk[..read]);
    }
    drop(reader);
    std::fs::write(project.path().join("go"), "").expect("let the runtime go on");

    // The write of `one more line` fails; nothing else would be written, so only that write's
    // own failure can stop the run.
    let (code, lines, stderr) = running.finish();
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("the log file cannot be written"),
        "{stderr}"
    );
    let told = events(&lines.join("\n"));
    // Stdout shows what the log file wrote as long as it could, then formats the rest itself:
    // every event, the line the log file failed on included.
    assert_gapless(&told);
    assert!(
        told.iter().any(|event| event["message"] == "one more line"),
        "{lines:?}"
    );
    let last = told.last().expect("events");
    assert_eq!(last["to"], "stopped", "{last}");
    assert!(
        last["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains("the log file")),
        "{last}"
    );
}
