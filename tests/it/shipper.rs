//! adapter-shipper against real fake build tools.
//!
//! Each test prepares a temporary project with `fake-tool` as every step, drives `Shipper`
//! through the `ShipperSource` port as the session does, and checks the lines it sent, the
//! session's account, the ending, the files, and that no process it started is still alive.

mod support;

use std::time::Duration;

use session_domain::{
    AbnormalExit, Failure, PortFailure, PreparationEnd, Severity, Signal, Source, Step,
    StepFailure, StepName, StepOutcome, StepPhase, Stream,
};

use support::{
    Finished, MAX_LINE, Project, Scripts, Started, color_square, pid_of, prepare, settings,
    shown_command, start,
};

/// Runs a whole preparation in `project` whose build runs `build` (the other steps succeed).
async fn prepare_building(project: &Project, build: &'static str) -> Finished {
    prepare(settings(project, &Scripts::building(build))).await
}

/// Starts a preparation in `project` whose build runs `build`, with a stop grace of
/// `stop_grace`, and waits until the build said a line starting with `ready`.
async fn start_building(
    project: &Project,
    build: &'static str,
    stop_grace: Duration,
    ready: &str,
) -> Started {
    let mut settings = settings(project, &Scripts::building(build));
    settings.timing.stop_grace = stop_grace;
    let started = start(settings).await;
    started
        .line_where(|line| line.message.starts_with(ready))
        .await;
    started
}

/// Runs a preparation in `project` in which `step`'s command is `command`, which cannot be
/// started, and checks that it failed to spawn exactly that step.
async fn fails_to_spawn(project: &Project, step: Step, command: &[&str]) -> Finished {
    let mut settings = settings(project, &Scripts::succeeding());
    let steps = &mut settings.steps;
    let slot = match step {
        Step::Build => &mut steps.build,
        Step::PackValidation => &mut steps.pack_validation,
        Step::Pack => &mut steps.pack,
    };
    *slot = command.iter().map(|&word| word.to_owned()).collect();

    let finished = prepare(settings).await;

    assert_eq!(
        finished.failure().failure,
        Failure::Step {
            step,
            cause: StepFailure::Spawn
        }
    );
    finished
}

/// The last line states the manifest failure `reason`: on source manifest, as an error.
fn assert_ends_with_manifest_error(finished: &Finished, reason: &str) {
    let last = finished.last_line();
    assert_eq!(
        (last.source, last.severity, last.message.as_str()),
        (Source::Manifest, Severity::Error, reason)
    );
}

#[tokio::test]
async fn success_runs_every_step_in_order_and_tells_the_story() {
    let project = Project::new();
    let scripts = Scripts {
        build: "out:3;err:2;say-err:warning: unused import;say-out:error[E0308]: not really;env:PROMETEU_IT_VALUE;stdin;marker",
        pack_validation: "out:1;marker",
        pack: "err:1;marker;manifest",
    };
    let mut settings = settings(&project, &scripts);
    settings
        .steps
        .env
        .insert("PROMETEU_IT_VALUE".to_owned(), "42".to_owned());

    let finished = prepare(settings).await;

    assert_eq!(finished.end, PreparationEnd::Succeeded);
    assert!(Step::ORDER.into_iter().all(|step| project.ran(step)));
    // Each step's start and end, then the manifest's, as typed facts.
    let told: Vec<(StepName, bool)> = finished
        .steps
        .iter()
        .map(|record| {
            (
                record.step,
                matches!(record.phase, StepPhase::Started { .. }),
            )
        })
        .collect();
    let expected: Vec<(StepName, bool)> = [
        StepName::Build,
        StepName::PackValidation,
        StepName::Pack,
        StepName::Manifest,
    ]
    .into_iter()
    .flat_map(|step| [(step, true), (step, false)])
    .collect();
    assert_eq!(told, expected);
    for record in &finished.steps {
        if let StepPhase::Ended(end) = &record.phase {
            assert_eq!(end.outcome, StepOutcome::Succeeded, "{record:?}");
            let ran_a_process = record.step != StepName::Manifest;
            assert_eq!(end.exit_code(), ran_a_process.then_some(0), "{record:?}");
        }
    }
    assert_eq!(
        finished.messages(Source::Build, Stream::Stdout),
        [
            "build out 1",
            "build out 2",
            "build out 3",
            "error[E0308]: not really",
            "PROMETEU_IT_VALUE=42",
            "stdin bytes=0"
        ]
    );
    assert_eq!(
        finished.messages(Source::Build, Stream::Stderr),
        ["build err 1", "build err 2", "warning: unused import"]
    );
    assert_eq!(
        finished.messages(Source::PackValidation, Stream::Stdout),
        ["pack-validation out 1"]
    );
    assert_eq!(
        finished.messages(Source::Pack, Stream::Stderr),
        ["pack err 1"]
    );

    // The severity rule: a shipper step's stderr is `info` unless the line says otherwise.
    let severity_of = |message: &str| {
        finished
            .find(|line| line.message == message)
            .map(|line| line.severity)
    };
    assert_eq!(severity_of("build err 1"), Some(Severity::Info));
    assert_eq!(severity_of("build out 1"), Some(Severity::Info));
    assert_eq!(severity_of("warning: unused import"), Some(Severity::Warn));
    assert_eq!(
        severity_of("error[E0308]: not really"),
        Some(Severity::Error)
    );
    assert!(finished.lines.iter().all(|line| !line.truncated));

    // The session's account, in order: each step's start, then its end.
    let session = finished.session();
    assert_eq!(session.len(), 6, "{session:#?}");
    for (index, step) in Step::ORDER.into_iter().enumerate() {
        assert_eq!(
            session[2 * index],
            format!("{step}: running `{}`", shown_command(step))
        );
        let end = session[2 * index + 1];
        assert!(
            end.starts_with(&format!("{step} finished: exit 0 in ")),
            "{end}"
        );
    }
    assert!(
        finished
            .lines
            .iter()
            .filter(|line| line.source == Source::Session)
            .all(|line| line.severity == Severity::Info && line.stream.is_none())
    );

    // Every output line of a step comes between its start and its end.
    for step in Step::ORDER {
        let started = finished
            .session_position(&format!("{step}: running"))
            .expect("the start is told");
        let ended = finished
            .session_position(&format!("{step} finished"))
            .expect("the end is told");
        for (index, line) in finished.lines.iter().enumerate() {
            if line.source == step.source() {
                assert!(started < index && index < ended, "{line:?} outside {step}");
                assert!(line.stream.is_some());
                // Stamped when read: after the step was started.
                assert!(line.at >= finished.lines[started].at, "{line:?}");
            }
        }
    }

    // Without cartridge metadata the manifest written by pack is checked, on source manifest.
    let manifest = finished
        .find(|line| line.source == Source::Manifest)
        .expect("the manifest check is told");
    assert_eq!(manifest.severity, Severity::Info);
    assert_eq!(manifest.stream, None);
    assert!(
        manifest
            .message
            .starts_with("build/manifest.json is present"),
        "{manifest:?}"
    );
    assert_eq!(
        finished.position(|line| line.source == Source::Manifest),
        Some(finished.lines.len() - 1),
        "the manifest comes after pack"
    );
}

/// The step `failing` writes a line on each stream and exits 3; every step leaves a marker.
async fn fails_at(failing: Step) {
    let project = Project::new();
    let failing_script = "marker;out:1;say-err:error: boom;exit:3";
    let script = |step: Step| {
        if step == failing {
            failing_script
        } else {
            "marker;manifest"
        }
    };
    let scripts = Scripts {
        build: script(Step::Build),
        pack_validation: script(Step::PackValidation),
        pack: script(Step::Pack),
    };

    let finished = prepare(settings(&project, &scripts)).await;

    assert_eq!(
        finished.end,
        PreparationEnd::Failed(PortFailure {
            failure: Failure::Step {
                step: failing,
                cause: StepFailure::Exit(AbnormalExit::Code(3.try_into().expect("non-zero"))),
            },
            reason: format!(
                "{failing} failed: `{}` exited with code 3",
                shown_command(failing)
            ),
        })
    );
    // The failing step's last lines are all there, before the line that states its failure.
    assert_eq!(
        finished.messages(failing.source(), Stream::Stdout),
        [format!("{failing} out 1")]
    );
    assert_eq!(
        finished.messages(failing.source(), Stream::Stderr),
        ["error: boom"]
    );
    let last = finished.last_line();
    assert_eq!(last.source, Source::Session);
    assert_eq!(last.severity, Severity::Error);
    assert!(
        last.message
            .starts_with(&format!("{failing} failed: exit 3 in ")),
        "{last:?}"
    );

    // Steps before ran; the failing one ran; none after it started.
    for step in Step::ORDER {
        let expected = step <= failing;
        assert_eq!(project.ran(step), expected, "{step} ran");
        assert_eq!(
            finished.told(&format!("{step}: running")),
            expected,
            "{step} was started"
        );
    }
    assert!(
        finished
            .find(|line| line.source == Source::Manifest)
            .is_none()
    );
}

#[tokio::test]
async fn a_failing_build_ends_preparation_before_pack_validation() {
    fails_at(Step::Build).await;
}

#[tokio::test]
async fn a_failing_pack_validation_ends_preparation_before_pack() {
    fails_at(Step::PackValidation).await;
}

#[tokio::test]
async fn a_failing_pack_ends_preparation_before_the_manifest() {
    fails_at(Step::Pack).await;
}

#[tokio::test]
async fn a_program_not_on_path_fails_to_spawn() {
    let project = Project::new();
    let finished = fails_to_spawn(
        &project,
        Step::Build,
        &["prometeu-no-such-tool-3f1c", "build"],
    )
    .await;

    let failure = finished.failure();
    assert_eq!(
        failure.reason,
        "build failed: `prometeu-no-such-tool-3f1c build` could not be started: \
         `prometeu-no-such-tool-3f1c` was not found on PATH"
    );
    assert_eq!(
        finished.session(),
        [
            "build: running `prometeu-no-such-tool-3f1c build`",
            failure.reason.as_str()
        ]
    );
    assert_eq!(
        finished.lines.last().map(|line| line.severity),
        Some(Severity::Error)
    );
    assert!(Step::ORDER.into_iter().all(|step| !project.ran(step)));
}

#[tokio::test]
async fn a_missing_program_path_fails_to_spawn() {
    let project = Project::new();
    let finished = fails_to_spawn(
        &project,
        Step::PackValidation,
        &["./tools/missing-validator"],
    )
    .await;

    let failure = finished.failure();
    assert!(
        failure.reason.starts_with(
            "pack-validation failed: `./tools/missing-validator` could not be started: "
        ),
        "{}",
        failure.reason
    );
    assert!(project.ran(Step::Build));
    assert!(!project.ran(Step::Pack));
}

#[tokio::test]
async fn a_step_killed_by_a_signal_fails_with_its_last_line_delivered() {
    let project = Project::new();
    let finished =
        prepare_building(&project, "say-out:compiling;partial:last words;signal:SEGV").await;

    let segv = Signal::from_name("SIGSEGV").expect("a known signal");
    assert_eq!(
        finished.end,
        PreparationEnd::Failed(PortFailure {
            failure: Failure::Step {
                step: Step::Build,
                cause: StepFailure::Exit(AbnormalExit::Signal(segv)),
            },
            reason: format!(
                "build failed: `{}` was killed by SIGSEGV",
                shown_command(Step::Build)
            ),
        })
    );
    assert_eq!(
        finished.messages(Source::Build, Stream::Stdout),
        ["compiling", "last words"]
    );
    assert!(finished.told("build failed: killed by SIGSEGV in "));
    assert!(!project.ran(Step::PackValidation));
}

#[tokio::test]
async fn heavy_output_on_both_streams_is_read_concurrently_and_in_order() {
    const LINES: usize = 20_000;
    let project = Project::new();
    let finished = prepare_building(&project, "both:20000").await;

    assert_eq!(finished.end, PreparationEnd::Succeeded);
    for (stream, word) in [(Stream::Stdout, "out"), (Stream::Stderr, "err")] {
        let messages = finished.messages(Source::Build, stream);
        assert_eq!(messages.len(), LINES, "{word}");
        for (expected, message) in (1..=LINES).zip(&messages) {
            let number = message
                .strip_prefix(&format!("build {word} "))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|number| number.parse::<usize>().ok());
            assert_eq!(number, Some(expected), "{message}");
        }
    }
}

#[tokio::test]
async fn invalid_utf8_is_replaced_not_fatal() {
    let project = Project::new();
    let finished = prepare_building(&project, "bad-utf8;say-out:after").await;

    assert_eq!(finished.end, PreparationEnd::Succeeded);
    assert_eq!(
        finished.messages(Source::Build, Stream::Stdout),
        ["bad \u{FFFD}\u{FFFD} bytes", "after"]
    );
}

/// A fast writer (`cat` writes 128 KiB at a time) gets pipes with room for two of its writes,
/// so that it does not stop at every one of them until we read.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_step_writes_into_pipes_of_256_kib() {
    let project = Project::new();
    let finished = prepare_building(&project, "pipe-size").await;

    assert_eq!(finished.end, PreparationEnd::Succeeded);
    assert_eq!(
        finished.messages(Source::Build, Stream::Stdout),
        ["stdout pipe=262144 stderr pipe=262144"]
    );
}

#[tokio::test]
async fn a_one_mebibyte_line_without_newline_is_cut_at_max_line() {
    let project = Project::new();
    let finished = prepare_building(&project, "say-out:before;long-line:1048576").await;

    assert_eq!(finished.end, PreparationEnd::Succeeded);
    let stdout: Vec<_> = finished
        .lines
        .iter()
        .filter(|line| line.source == Source::Build && line.stream == Some(Stream::Stdout))
        .collect();
    assert_eq!(stdout.len(), 2);
    assert_eq!(
        (stdout[0].message.as_str(), stdout[0].truncated),
        ("before", false)
    );
    assert!(stdout[1].truncated);
    assert_eq!(stdout[1].message.len(), MAX_LINE);
    assert!(stdout[1].message.bytes().all(|byte| byte == b'x'));

    let warning = finished
        .session_position("build: 1 line was longer than 65536 bytes on stdout")
        .expect("the cut is told");
    assert_eq!(finished.lines[warning].severity, Severity::Warn);
    let ended = finished
        .session_position("build finished: exit 0")
        .expect("the end is told");
    assert!(warning < ended);
}

#[tokio::test]
async fn a_grandchild_holding_the_pipes_is_ended_and_preparation_continues() {
    let project = Project::new();
    let finished =
        prepare_building(&project, "say-out:starting;linger:60000;say-out:leaving").await;

    // The step's own exit status decides: it exited 0, so preparation went on.
    assert_eq!(finished.end, PreparationEnd::Succeeded);
    assert!(project.ran(Step::PackValidation) && project.ran(Step::Pack));
    let grandchild = finished
        .find(|line| line.message.starts_with("grandchild="))
        .map(pid_of)
        .expect("the grandchild's pid was printed");
    assert!(!tests::pid_alive(grandchild));
    let leftovers = finished
        .find(|line| line.source == Source::Session && line.message.contains("left processes"))
        .expect("the leftovers are told");
    assert_eq!(leftovers.severity, Severity::Warn);
    assert!(
        leftovers.message.contains(&grandchild.to_string()),
        "{leftovers:?}"
    );
    let told = finished
        .session_position("build exited but left")
        .expect("told");
    let ended = finished
        .session_position("build finished: exit 0")
        .expect("the end is told");
    assert!(told < ended);
    assert_eq!(
        finished.messages(Source::Build, Stream::Stdout).last(),
        Some(&"leaving")
    );
}

#[tokio::test]
async fn stop_ends_a_step_whose_grandchild_ignores_sigterm() {
    let project = Project::new();
    let started = start(settings(
        &project,
        &Scripts::building("pid;stubborn:60000;sleep:60000"),
    ))
    .await;
    let tool = pid_of(
        &started
            .line_where(|line| line.message.starts_with("pid="))
            .await,
    );
    let stubborn = pid_of(
        &started
            .line_where(|line| line.message.starts_with("stubborn="))
            .await,
    );

    started.running.stop();
    started.running.stop();
    let finished = started.finish().await;

    assert_eq!(finished.end, PreparationEnd::Stopped);
    assert!(!tests::pid_alive(tool));
    assert!(!tests::pid_alive(stubborn));
    assert!(finished.told("SIGTERM sent to process group"));
    assert!(finished.told("stop grace of 300 ms expired"));
    assert!(finished.told("SIGKILL sent to process group"));
    assert!(finished.told("is empty"));
    assert!(finished.told("build stopped: killed by SIGTERM in "));
    assert!(!finished.told("pack-validation: running"));
    assert!(!project.ran(Step::PackValidation));
}

#[tokio::test]
async fn kill_now_skips_the_grace() {
    let project = Project::new();
    // A grace no test would wait out: only kill-now can end this step in time.
    let started = start_building(
        &project,
        "ignore-term;pid;stubborn:60000;sleep:60000",
        Duration::from_secs(600),
        "stubborn=",
    )
    .await;

    started.running.stop();
    started
        .line_where(|line| line.message.contains("SIGTERM sent to process group"))
        .await;
    started.running.kill_now();
    let finished = started.finish().await;

    assert_eq!(finished.end, PreparationEnd::Stopped);
    assert!(finished.told("build stopped: killed by SIGKILL in "));
    assert!(!finished.told("expired"));
    assert!(!project.ran(Step::PackValidation));
}

#[tokio::test]
async fn stop_with_no_grace_kills_at_once() {
    let project = Project::new();
    let started = start_building(
        &project,
        "ignore-term;pid;sleep:60000",
        Duration::ZERO,
        "pid=",
    )
    .await;

    started.running.stop();
    let finished = started.finish().await;

    assert_eq!(finished.end, PreparationEnd::Stopped);
    assert!(!finished.told("SIGTERM"));
    assert!(finished.told("SIGKILL sent to process group"));
    assert!(finished.told("build stopped: killed by SIGKILL in "));
}

const GOLDEN_MANIFEST: &str = r#"{
  "magic": "PMTU",
  "cartridge_version": 1,
  "app_id": 1,
  "title": "ColorSquare ☕",
  "app_version": "1.0.0",
  "app_mode": "Game",
  "entrypoint": "main",
  "capabilities": [
    "gfx",
    "audio"
  ]
}
"#;

#[tokio::test]
async fn the_manifest_is_written_byte_for_byte_and_again_identically() {
    let project = Project::new();
    // No step creates build/: the shipper creates it for the manifest.
    let mut settings = settings(&project, &Scripts::markers_only());
    settings.cartridge = Some(color_square());

    for run in 1..=2 {
        let finished = prepare(settings.clone()).await;

        assert_eq!(finished.end, PreparationEnd::Succeeded, "run {run}");
        let written = std::fs::read(project.path("build/manifest.json")).expect("written");
        assert_eq!(
            String::from_utf8(written).expect("UTF-8"),
            GOLDEN_MANIFEST,
            "run {run}"
        );
        let manifest = finished
            .find(|line| line.source == Source::Manifest)
            .expect("the manifest is told");
        assert_eq!(
            manifest.message,
            "wrote build/manifest.json (ColorSquare ☕ 1.0.0)"
        );
        assert_eq!(manifest.severity, Severity::Info);
        // The temporary file was renamed, not left behind.
        let entries: Vec<_> = std::fs::read_dir(project.path("build"))
            .expect("build/ exists")
            .map(|entry| entry.expect("readable").file_name())
            .collect();
        assert_eq!(entries, ["manifest.json"], "run {run}");
    }
}

#[tokio::test]
async fn a_manifest_missing_without_metadata_fails_preparation() {
    let project = Project::new();
    let finished = prepare(settings(&project, &Scripts::markers_only())).await;

    let reason = "build/manifest.json is missing: add a [cartridge] table to \
                  prometeu-session.toml or make the pack step write it";
    assert_eq!(
        finished.end,
        PreparationEnd::Failed(PortFailure {
            failure: Failure::Manifest,
            reason: reason.to_owned(),
        })
    );
    assert_ends_with_manifest_error(&finished, reason);
    assert!(project.ran(Step::Pack));
}

#[tokio::test]
async fn a_manifest_that_cannot_be_written_fails_preparation() {
    let project = Project::new();
    // A file where build/ should be: the manifest has nowhere to go.
    std::fs::write(project.path("build"), "not a directory").expect("written");
    let mut settings = settings(&project, &Scripts::markers_only());
    settings.cartridge = Some(color_square());

    let finished = prepare(settings).await;

    let failure = finished.failure();
    assert_eq!(failure.failure, Failure::Manifest);
    assert!(
        failure
            .reason
            .starts_with("could not write build/manifest.json: `build` in the project is not a directory; move it away or remove it"),
        "{}",
        failure.reason
    );
    assert_ends_with_manifest_error(&finished, &failure.reason);
}
