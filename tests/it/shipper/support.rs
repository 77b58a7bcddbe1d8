//! Running `Shipper` against the fake build tools and looking at what it said.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use adapter_process::ProcessTiming;
use adapter_shipper::{AppMode, CartridgeConfig, Shipper, ShipperConfig, ShipperSettings};
use session_domain::StepRecord;
use session_domain::{PortFailure, PreparationEnd, Severity, Source, Step, Stream, Timestamp};
use session_ports::{PortOutput, RunningPreparation, ShipperSource, SystemClock, output_channel};
use tokio::task::JoinHandle;

/// The fake build tool, freshly built with this test binary.
pub const FAKE_TOOL: &str = env!("CARGO_BIN_EXE_fake-tool");

/// Long enough for anything on a loaded 2-core machine; short enough to fail a hung test.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// The line cap used by every test.
pub const MAX_LINE: usize = 64 * 1024;

/// One line as the shipper sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub at: Timestamp,
    pub source: Source,
    pub severity: Severity,
    pub stream: Option<Stream>,
    pub message: String,
    pub truncated: bool,
}

/// A temporary project directory.
pub struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    pub fn new() -> Self {
        let dir = tempfile::Builder::new()
            .prefix("shipper-it-")
            .tempdir()
            .expect("a temporary project directory can be created");
        Self { dir }
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.root().join(relative)
    }

    /// `true` when the fake tool ran as `step` here (it leaves `ran-<step>`).
    pub fn ran(&self, step: Step) -> bool {
        self.path(&format!("ran-{step}")).exists()
    }
}

/// What each fake step does (see the table in `fake-tool.rs`).
#[derive(Debug, Clone, Default)]
pub struct Scripts {
    pub build: &'static str,
    pub pack_validation: &'static str,
    pub pack: &'static str,
}

impl Scripts {
    /// Every step leaves its marker; `pack` also writes `build/manifest.json`.
    pub fn succeeding() -> Self {
        Self {
            build: "marker",
            pack_validation: "marker",
            pack: "marker;manifest",
        }
    }

    /// [`Scripts::succeeding`], but the build runs `build`.
    pub fn building(build: &'static str) -> Self {
        Self {
            build,
            ..Self::succeeding()
        }
    }

    /// Every step leaves its marker and nothing else: no step writes the manifest.
    pub fn markers_only() -> Self {
        Self {
            build: "marker",
            pack_validation: "marker",
            pack: "marker",
        }
    }
}

/// `[fake-tool, step]`: the command of a step run by the fake tool.
pub fn tool_command(step: Step) -> Vec<String> {
    vec![FAKE_TOOL.to_owned(), step.as_str().to_owned()]
}

/// How the session line names the fake tool's command for `step`.
pub fn shown_command(step: Step) -> String {
    format!("{FAKE_TOOL} {step}")
}

/// Settings that run the fake tool for every step with these scripts.
pub fn settings(project: &Project, scripts: &Scripts) -> ShipperSettings {
    let mut env = BTreeMap::new();
    env.insert("FAKE_TOOL_BUILD".to_owned(), scripts.build.to_owned());
    env.insert(
        "FAKE_TOOL_PACK_VALIDATION".to_owned(),
        scripts.pack_validation.to_owned(),
    );
    env.insert("FAKE_TOOL_PACK".to_owned(), scripts.pack.to_owned());
    ShipperSettings {
        project_root: project.root().to_owned(),
        steps: ShipperConfig {
            build: tool_command(Step::Build),
            pack_validation: tool_command(Step::PackValidation),
            pack: tool_command(Step::Pack),
            env,
        },
        cartridge: None,
        timing: ProcessTiming {
            stop_grace: Duration::from_millis(300),
            pipe_grace: Duration::from_millis(200),
            max_line: NonZeroUsize::new(MAX_LINE).expect("non-zero"),
        },
    }
}

/// The ColorSquare cartridge of the brief, with two capabilities and a non-ASCII title.
pub fn color_square() -> CartridgeConfig {
    CartridgeConfig {
        app_id: 1,
        title: "ColorSquare ☕".to_owned(),
        app_version: "1.0.0".to_owned(),
        app_mode: AppMode::Game,
        entrypoint: "main".to_owned(),
        capabilities: vec!["gfx".to_owned(), "audio".to_owned()],
    }
}

/// A preparation in progress, with its output collected as it arrives.
pub struct Started {
    pub running: Box<dyn RunningPreparation>,
    lines: Arc<Mutex<Vec<Line>>>,
    steps: Arc<Mutex<Vec<StepRecord>>>,
    collector: JoinHandle<()>,
}

/// A preparation that ended, and everything it said.
#[derive(Debug)]
pub struct Finished {
    pub end: PreparationEnd,
    pub lines: Vec<Line>,
    /// The typed step facts, in the order they were sent.
    pub steps: Vec<StepRecord>,
}

/// Starts a preparation through the `ShipperSource` port, as the session does.
pub async fn start(settings: ShipperSettings) -> Started {
    let shipper = Shipper::new(settings, Arc::new(SystemClock));
    // A small channel, so that a slow consumer really holds the pipes back.
    let (output, mut batches) = output_channel(8);
    let running = shipper.start(1, output).await;
    let lines = Arc::new(Mutex::new(Vec::new()));
    let steps = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&lines);
    let step_sink = Arc::clone(&steps);
    let collector = tokio::spawn(async move {
        while let Some(output) = batches.recv().await {
            let batch = match output {
                PortOutput::Lines(batch) => batch,
                PortOutput::Step(record) => {
                    step_sink.lock().expect("never poisoned").push(record);
                    continue;
                }
            };
            let mut sink = sink.lock().expect("the line list is never poisoned");
            sink.extend(batch.iter().map(|(meta, message)| Line {
                at: meta.at,
                source: meta.source,
                severity: meta.severity,
                stream: meta.stream,
                message: message.to_owned(),
                truncated: meta.truncated,
            }));
        }
    });
    Started {
        running,
        lines,
        steps,
        collector,
    }
}

/// Runs a whole preparation.
pub async fn prepare(settings: ShipperSettings) -> Finished {
    start(settings).await.finish().await
}

impl Started {
    /// Waits until a line satisfying `wanted` has arrived, and returns it.
    pub async fn line_where(&self, wanted: impl Fn(&Line) -> bool) -> Line {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        loop {
            let found = {
                let lines = self.lines.lock().expect("never poisoned");
                lines.iter().find(|line| wanted(line)).cloned()
            };
            if let Some(line) = found {
                return line;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the expected line never came; got {:#?}",
                self.lines.lock().expect("never poisoned")
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits for the end, then for the output channel to close: every sender the shipper held
    /// is gone, so nothing of the preparation is left running. Checks that no process whose pid
    /// the fake tools printed is alive.
    pub async fn finish(self) -> Finished {
        let end = tokio::time::timeout(PATIENCE, self.running.wait())
            .await
            .expect("the preparation ends");
        drop(self.running);
        tokio::time::timeout(PATIENCE, self.collector)
            .await
            .expect("the output channel closes once the preparation ended")
            .expect("the collector does not panic");
        let lines = Arc::try_unwrap(self.lines)
            .expect("the collector is done")
            .into_inner()
            .expect("never poisoned");
        let steps = Arc::try_unwrap(self.steps)
            .expect("the collector is done")
            .into_inner()
            .expect("never poisoned");
        let finished = Finished { end, lines, steps };
        for (what, pid) in finished.reported_pids() {
            assert!(
                !tests::pid_alive(pid),
                "{what} {pid} is still alive after the preparation ended"
            );
        }
        finished
    }
}

impl Finished {
    /// How the preparation failed; panics if it did not.
    pub fn failure(&self) -> &PortFailure {
        let PreparationEnd::Failed(failure) = &self.end else {
            panic!("expected a failure, got {:?}", self.end);
        };
        failure
    }

    /// The last line sent; panics if there was none.
    pub fn last_line(&self) -> &Line {
        self.lines.last().expect("lines were sent")
    }

    /// Messages of `source` read from `stream`, in order.
    pub fn messages(&self, source: Source, stream: Stream) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|line| line.source == source && line.stream == Some(stream))
            .map(|line| line.message.as_str())
            .collect()
    }

    /// The session's own lines, in order.
    pub fn session(&self) -> Vec<&str> {
        self.lines
            .iter()
            .filter(|line| line.source == Source::Session)
            .map(|line| line.message.as_str())
            .collect()
    }

    /// The position of the first line satisfying `wanted`.
    pub fn position(&self, wanted: impl Fn(&Line) -> bool) -> Option<usize> {
        self.lines.iter().position(wanted)
    }

    /// The first line satisfying `wanted`.
    pub fn find(&self, wanted: impl Fn(&Line) -> bool) -> Option<&Line> {
        self.lines.iter().find(|line| wanted(line))
    }

    /// The position of the first session line starting with `prefix`.
    pub fn session_position(&self, prefix: &str) -> Option<usize> {
        self.position(|line| line.source == Source::Session && line.message.starts_with(prefix))
    }

    /// `true` when a session line contains `text`.
    pub fn told(&self, text: &str) -> bool {
        self.session().iter().any(|message| message.contains(text))
    }

    /// Every `pid=`, `grandchild=` and `stubborn=` the fake tools printed.
    pub fn reported_pids(&self) -> Vec<(&str, i32)> {
        self.lines
            .iter()
            .filter_map(|line| line.message.split_once('='))
            .filter(|(what, _)| matches!(*what, "pid" | "grandchild" | "stubborn"))
            .filter_map(|(what, pid)| Some((what, pid.parse().ok()?)))
            .collect()
    }
}

/// `pid` of a `<what>=<pid>` line.
pub fn pid_of(line: &Line) -> i32 {
    line.message
        .split_once('=')
        .and_then(|(_, pid)| pid.parse().ok())
        .expect("a pid line")
}
