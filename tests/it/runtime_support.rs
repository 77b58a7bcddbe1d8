//! Helpers for the runtime adapter's tests: a fake-runtime set-up per test, a launched runtime
//! whose output is collected concurrently, and the check that nothing it started survives.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use adapter_process::ProcessTiming;
use adapter_runtime::{Runtime, RuntimeSettings};
use session_domain::{RunMode, RuntimeEnd, RuntimeInfo, Severity, Source, StepRecord, Stream};
use session_ports::{PortOutput, RunningRuntime, RuntimeSource, SystemClock, output_channel};
use tempfile::TempDir;
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// The fake runtime, built with this test binary.
pub const FAKE_RUNTIME: &str = env!("CARGO_BIN_EXE_fake-runtime");
/// The subreaper harness, built with this test binary.
pub const SUBREAPER_HARNESS: &str = env!("CARGO_BIN_EXE_subreaper-harness");

/// How long any single wait in these tests may take before it counts as a hang. Generous: the
/// machine is small and shared; nothing in a passing test comes near it.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// One log line as the adapter sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub source: Source,
    pub severity: Severity,
    pub stream: Option<Stream>,
    pub message: String,
    pub truncated: bool,
}

impl Line {
    pub fn is_session(&self) -> bool {
        self.source == Source::Session
    }
}

/// A fake runtime, configured for one test: its own project directory, pid file and (in debug
/// mode) free loopback port.
#[derive(Debug)]
pub struct Fake {
    pub dir: TempDir,
    pub settings: RuntimeSettings,
}

/// A free loopback address: bind port 0, read it, let it go.
pub fn free_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("a local address")
}

impl Fake {
    /// A fake runtime in run mode.
    pub fn run() -> Self {
        Self::new(RunMode::Run, "127.0.0.1:7777".parse().expect("valid"))
    }

    /// A fake runtime in debug mode, serving DevTools on its own free port.
    pub fn debug() -> Self {
        let address = free_address();
        Self::new(RunMode::Debug, address).env("FAKE_RT_DEVTOOLS_ADDR", &address.to_string())
    }

    fn new(mode: RunMode, debug_address: SocketAddr) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let pid_file = dir.path().join("pids");
        let settings = RuntimeSettings {
            project_root: dir.path().to_path_buf(),
            program: PathBuf::from(FAKE_RUNTIME),
            mode,
            debug_address,
            handshake_timeout: Duration::from_secs(20),
            env: BTreeMap::from([(
                "FAKE_RT_PID_FILE".to_owned(),
                pid_file.display().to_string(),
            )]),
            timing: ProcessTiming {
                stop_grace: Duration::from_secs(5),
                pipe_grace: Duration::from_millis(200),
                max_line: NonZeroUsize::new(64 * 1024).expect("positive"),
            },
        };
        Self { dir, settings }
    }

    /// Serves (and connects to) DevTools at `address` instead.
    pub fn address(mut self, address: SocketAddr) -> Self {
        self.settings.debug_address = address;
        self.env("FAKE_RT_DEVTOOLS_ADDR", &address.to_string())
    }

    /// Adds a variable to the fake's environment (never to ours: tests run in parallel).
    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.settings.env.insert(key.to_owned(), value.to_owned());
        self
    }

    pub fn stop_grace(mut self, grace: Duration) -> Self {
        self.settings.timing.stop_grace = grace;
        self
    }

    pub fn max_line(mut self, max_line: usize) -> Self {
        self.settings.timing.max_line = NonZeroUsize::new(max_line).expect("positive");
        self
    }

    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.settings.handshake_timeout = timeout;
        self
    }

    pub fn program(mut self, program: &Path) -> Self {
        self.settings.program = program.to_path_buf();
        self
    }

    pub fn pid_file(&self) -> PathBuf {
        self.dir.path().join("pids")
    }

    /// Every pid the fake recorded: `(role, pid)`.
    pub fn recorded_pids(&self) -> Vec<(String, i32)> {
        read_pids(&self.pid_file())
    }

    /// Launches the runtime through the port, collecting its output concurrently.
    pub async fn launch(&self) -> Launched {
        let runtime = Runtime::new(self.settings.clone(), Arc::new(SystemClock));
        // A small channel, so that the adapter meets back-pressure as it would behind a slow
        // sink.
        let (output, mut batches) = output_channel(4);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let steps = Arc::new(Mutex::new(Vec::new()));
        let arrived = Arc::new(Notify::new());
        let collector = tokio::spawn({
            let lines = Arc::clone(&lines);
            let steps = Arc::clone(&steps);
            let arrived = Arc::clone(&arrived);
            async move {
                while let Some(output) = batches.recv().await {
                    let batch = match output {
                        PortOutput::Lines(batch) => batch,
                        PortOutput::Step(record) => {
                            lock(&steps).push(record);
                            continue;
                        }
                    };
                    let mut held = lock(&lines);
                    held.extend(batch.iter().map(|(meta, message)| Line {
                        source: meta.source,
                        severity: meta.severity,
                        stream: meta.stream,
                        message: message.to_owned(),
                        truncated: meta.truncated,
                    }));
                    drop(held);
                    arrived.notify_waiters();
                }
            }
        });
        let handle = timeout(PATIENCE, runtime.launch(1, output))
            .await
            .expect("launch returns at once");
        Launched {
            handle,
            lines,
            steps,
            arrived,
            collector,
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

pub fn read_pids(path: &Path) -> Vec<(String, i32)> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let (role, pid) = line.split_once(' ')?;
            Some((role.to_owned(), pid.trim().parse().ok()?))
        })
        .collect()
}

/// A launched runtime and the lines collected so far.
pub struct Launched {
    pub handle: Box<dyn RunningRuntime>,
    lines: Arc<Mutex<Vec<Line>>>,
    steps: Arc<Mutex<Vec<StepRecord>>>,
    arrived: Arc<Notify>,
    collector: JoinHandle<()>,
}

impl Launched {
    pub async fn ready(&self) -> Result<RuntimeInfo, RuntimeEnd> {
        timeout(PATIENCE, self.handle.ready())
            .await
            .expect("ready() resolves")
    }

    pub async fn wait(&self) -> RuntimeEnd {
        timeout(PATIENCE, self.handle.wait())
            .await
            .expect("wait() resolves")
    }

    /// Waits until a line whose message contains `needle` has arrived.
    pub async fn line_containing(&self, needle: &str) -> Line {
        let found = timeout(PATIENCE, async {
            loop {
                let notified = self.arrived.notified();
                if let Some(line) = lock(&self.lines)
                    .iter()
                    .find(|line| line.message.contains(needle))
                {
                    return line.clone();
                }
                notified.await;
            }
        })
        .await;
        match found {
            Ok(line) => line,
            Err(_) => panic!(
                "no line containing {needle:?} arrived; got {:#?}",
                lock(&self.lines)
            ),
        }
    }

    /// Once the runtime ended: drops the handle and returns every line, in order.
    pub async fn lines(self) -> Vec<Line> {
        self.lines_and_steps().await.0
    }

    /// Every line and every typed step fact, once the adapter let go of its output.
    pub async fn lines_and_steps(self) -> (Vec<Line>, Vec<StepRecord>) {
        drop(self.handle);
        timeout(PATIENCE, self.collector)
            .await
            .expect("the adapter lets go of its output once the runtime ended")
            .expect("the collector does not panic");
        let lines = Arc::try_unwrap(self.lines)
            .map(|lines| lines.into_inner().unwrap_or_else(PoisonError::into_inner))
            .unwrap_or_else(|shared| lock(&shared).clone());
        let steps = lock(&self.steps).clone();
        (lines, steps)
    }
}

/// Asserts that none of `pids` is alive (a zombie counts as dead only once reaped by someone:
/// `pid_alive` treats it as dead, and the adapter reaps what it spawned before `wait` returns).
pub fn assert_dead(pids: &[i32]) {
    let alive: Vec<i32> = pids
        .iter()
        .copied()
        .filter(|&pid| tests::pid_alive(pid))
        .collect();
    for &pid in &alive {
        // Clean up before failing, so that one failure does not leave processes behind.
        tests::send_signal(pid, libc::SIGKILL);
    }
    assert!(alive.is_empty(), "processes still alive: {alive:?}");
}

/// Waits, within [`PATIENCE`], until none of `pids` is alive; for deaths the kernel delivers
/// on its own schedule. Callers assert afterwards.
pub fn wait_until_dead(pids: &[i32]) {
    let deadline = std::time::Instant::now() + PATIENCE;
    while pids.iter().any(|&pid| tests::pid_alive(pid)) && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The checks every test ends with: the runtime and everything the fake recorded are gone.
pub fn assert_nothing_survives(fake: &Fake, runtime_pid: Option<u32>) {
    let mut pids: Vec<i32> = fake
        .recorded_pids()
        .into_iter()
        .map(|(_, pid)| pid)
        .collect();
    pids.extend(runtime_pid.and_then(|pid| i32::try_from(pid).ok()));
    assert_dead(&pids);
}

/// Lines of one source and stream, messages only.
pub fn messages(lines: &[Line], source: Source, stream: Option<Stream>) -> Vec<String> {
    lines
        .iter()
        .filter(|line| line.source == source && line.stream == stream)
        .map(|line| line.message.clone())
        .collect()
}

/// The index of the first line containing `needle`, failing with every line if none does.
pub fn position(lines: &[Line], needle: &str) -> usize {
    lines
        .iter()
        .position(|line| line.message.contains(needle))
        .unwrap_or_else(|| panic!("no line contains {needle:?} in {lines:#?}"))
}
