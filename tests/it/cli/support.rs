//! Running the freshly built `prometeu-session` (as `prometeu-session-it`) on a temporary
//! project whose build tools are `fake-tool` and whose runtime is `fake-runtime`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_prometeu-session-it");
pub const FAKE_RUNTIME: &str = env!("CARGO_BIN_EXE_fake-runtime");
pub const FAKE_TOOL: &str = env!("CARGO_BIN_EXE_fake-tool");

/// How long a test waits for anything before it fails: generous for a loaded 2-core machine.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// A temporary project.
pub struct Project {
    pub dir: tempfile::TempDir,
    pub pid_file: PathBuf,
}

/// What to put in the project's configuration.
#[derive(Default)]
pub struct Setup<'a> {
    /// `FAKE_TOOL_<STEP>` scripts.
    pub build: &'a str,
    pub validate: &'a str,
    pub pack: &'a str,
    /// `FAKE_RT_*` variables, without the `FAKE_RT_` prefix.
    pub runtime: &'a [(&'a str, &'a str)],
    /// Extra lines for `[session]`.
    pub session: &'a str,
    /// Write a `[cartridge]` table (else the pack step must write the manifest).
    pub cartridge: bool,
}

impl Project {
    pub fn new(setup: &Setup<'_>) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let pid_file = dir.path().join("pids");
        let mut runtime_env = format!("FAKE_RT_PID_FILE = {:?}", pid_file.display().to_string());
        for (key, value) in setup.runtime {
            runtime_env.push_str(&format!(", FAKE_RT_{key} = {value:?}"));
        }
        let pack = if setup.cartridge {
            setup.pack.to_owned()
        } else {
            format!("{};manifest", setup.pack)
        };
        let cartridge = if setup.cartridge {
            "[cartridge]\napp_id = 7\ntitle = \"Test Cart\"\napp_version = \"0.3.0\"\napp_mode = \"Game\"\nentrypoint = \"main\"\n"
        } else {
            ""
        };
        let config = format!(
            r#"[session]
stop_grace = "500ms"
pipe_grace = "100ms"
{session}

[runtime]
path = {runtime:?}
env = {{ {runtime_env} }}

[shipper]
build = [{tool:?}, "build"]
pack-validation = [{tool:?}, "pack-validation"]
pack = [{tool:?}, "pack"]
env = {{ FAKE_TOOL_BUILD = {build:?}, FAKE_TOOL_PACK_VALIDATION = {validate:?}, FAKE_TOOL_PACK = {pack:?}, FAKE_TOOL_PID_FILE = {tool_pids:?} }}

{cartridge}"#,
            session = setup.session,
            runtime = FAKE_RUNTIME,
            tool = FAKE_TOOL,
            build = setup.build,
            validate = setup.validate,
            tool_pids = dir.path().join("tool-pids").display().to_string(),
        );
        std::fs::write(dir.path().join("prometeu-session.toml"), config).expect("write config");
        Self { dir, pid_file }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `prometeu-session <command> --project <dir> <args>`.
    pub fn command(&self, command: &str, args: &[&str]) -> Command {
        let mut process = Command::new(BIN);
        process
            .arg(command)
            .arg("--project")
            .arg(self.path())
            .args(args);
        process.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
        process
    }

    /// Runs to the end; (exit code, stdout, stderr).
    pub fn run(&self, command: &str, args: &[&str]) -> (i32, String, String) {
        let output = self
            .command(command, args)
            .output()
            .expect("run prometeu-session");
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    /// Every pid the fake runtime recorded (itself and its grandchildren).
    pub fn recorded_pids(&self) -> Vec<i32> {
        std::fs::read_to_string(&self.pid_file)
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1)?.parse().ok())
            .collect()
    }

    /// Every pid the fake build tools recorded (themselves and their grandchildren).
    pub fn recorded_tool_pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.path().join("tool-pids"))
            .unwrap_or_default()
            .lines()
            .filter_map(|line| line.split_whitespace().nth(1)?.parse().ok())
            .collect()
    }

    /// Asserts nothing the fakes recorded is alive (waiting a little for the kernel to finish
    /// delivering what was already sent).
    pub fn assert_nothing_alive(&self) {
        let mut pids = self.recorded_pids();
        pids.extend(self.recorded_tool_pids());
        assert_all_dead(&pids);
    }
}

/// Asserts that none of `pids` is alive, polling with a generous deadline (the kernel may still
/// be delivering what was sent; this is no timing assertion).
pub fn assert_all_dead(pids: &[i32]) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let alive: Vec<i32> = pids
            .iter()
            .copied()
            .filter(|pid| tests::pid_alive(*pid))
            .collect();
        if alive.is_empty() {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "still alive after the run: {alive:?} (of {pids:?})"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

/// The children of process `pid` now (every thread's list).
pub fn children_of(pid: u32) -> Vec<i32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(Result::ok)
        .filter_map(|task| std::fs::read_to_string(task.path().join("children")).ok())
        .flat_map(|list| {
            list.split_ascii_whitespace()
                .filter_map(|child| child.parse().ok())
                .collect::<Vec<i32>>()
        })
        .collect()
}

/// The procfs state letter of `pid` (`S`, `T`, `Z`…), if it exists.
pub fn state_of(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?
        .1
        .split_ascii_whitespace()
        .next()?
        .chars()
        .next()
}

/// A running `prometeu-session` whose stdout lines arrive on a channel.
pub struct Running {
    pub child: Child,
    pub lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Running {
    pub fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        let stdout: ChildStdout = child.stdout.take().expect("stdout");
        let (sender, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads stdout until a line contains `needle`.
    pub fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let found = line.contains(needle);
                    self.seen.push(line);
                    if found {
                        return;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        panic!("never saw {needle:?}; saw:\n{}", self.seen.join("\n"));
    }

    pub fn signal(&self, signal: i32) {
        let pid = i32::try_from(self.child.id()).expect("pid");
        tests::send_signal(pid, signal);
    }

    /// Waits for the exit; (code, every stdout line, stderr).
    pub fn finish(mut self) -> (i32, Vec<String>, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "prometeu-session did not end; saw:\n{}",
                self.seen.join("\n")
            );
            thread::sleep(Duration::from_millis(20));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            use std::io::Read;
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status.code().unwrap_or(-1), self.seen, stderr)
    }
}

/// Parses JSON lines, failing on anything that is not a JSON object.
pub fn events(stdout: &str) -> Vec<Value> {
    stdout
        .lines()
        .map(|line| {
            serde_json::from_str::<Value>(line)
                .unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
        })
        .collect()
}

/// The (from, to) of every state event.
pub fn transitions(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|event| event["kind"] == "state")
        .map(|event| {
            (
                event["from"].as_str().unwrap_or("").to_owned(),
                event["to"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(from, to)| ((*from).to_owned(), (*to).to_owned()))
        .collect()
}

/// Asserts that `seq` runs 1, 2, 3… without a gap.
pub fn assert_gapless(events: &[Value]) {
    for (index, event) in events.iter().enumerate() {
        assert_eq!(event["seq"].as_u64(), Some(index as u64 + 1), "at {event}");
    }
}

/// Validates every event against `docs/events.schema.json`.
pub fn assert_schema_valid(events: &[Value]) {
    let schema_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/events.schema.json");
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_path).expect("read schema"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    for event in events {
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|error| error.to_string())
            .collect();
        assert!(
            errors.is_empty(),
            "{event} does not match the schema: {errors:?}"
        );
    }
}

/// A loopback port nothing listens on (bound then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}
