//! The targets listed in BENCHMARKS.md, each against a baseline measured in the same run.
//!
//! `cargo bench -p tests --bench session` (add `-- --quick` for fewer, shorter runs, or
//! `-- --grace` for the stop grace's CPU alone). It prints
//! one line per figure; BENCHMARKS.md records what it printed on our machines. Nothing here
//! asserts a timing: the machines are shared and noisy, so the figures are for people.

use std::io::{BufRead, BufReader, Read, Write};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use adapter_process::ProcessTiming;
use adapter_runtime::{Runtime, RuntimeSettings};
use adapter_shipper::{Shipper, ShipperConfig, ShipperSettings};
use session_domain::{Event, LogLimits, RunGoal, RunMode, SessionState};
use session_ports::{
    Clock, ExecutionSession, Ports, RunPorts, ServiceSettings, StopOutcome, SubscriptionItem,
    SystemClock,
};

const BIN: &str = env!("CARGO_BIN_EXE_prometeu-session-it");
const FAKE_RUNTIME: &str = env!("CARGO_BIN_EXE_fake-runtime");
const LINE_BYTES: usize = 60;

struct Options {
    runs: usize,
    lines: u64,
    big_lines: u64,
    slow_seconds: u64,
}

fn main() {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let options = if quick {
        Options {
            runs: 3,
            lines: 2_000_000,
            big_lines: 4_000_000,
            slow_seconds: 3,
        }
    } else {
        Options {
            runs: 5,
            lines: 2_000_000,
            big_lines: 20_000_000,
            slow_seconds: 5,
        }
    };
    let work = tempfile::tempdir().expect("temp dir");
    println!("machine: {} cores; {}", cores(), cpu_model());
    if std::env::args().any(|arg| arg == "--grace") {
        grace_cpu(work.path());
        return;
    }
    throughput(work.path(), &options);
    peak_rss(work.path(), &options);
    slow_consumer(work.path(), &options);
    grace_cpu(work.path());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    runtime.block_on(stop_latency(work.path(), &options));
    runtime.block_on(attach(work.path(), &options));
}

/// A file of `lines` lines of 60 bytes (59 characters and `\n`).
fn line_file(dir: &Path, lines: u64) -> PathBuf {
    let path = dir.join(format!("lines-{lines}.txt"));
    if path.exists() {
        return path;
    }
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path).expect("create"));
    for index in 0..lines {
        writeln!(
            out,
            "frame {index:>12}: the quick brown fox jumps over the dog"
        )
        .expect("write");
    }
    out.flush().expect("flush");
    path
}

/// A project whose steps are `true`, whose manifest exists, and whose runtime `cat`s `file`.
fn cat_project(dir: &Path, name: &str, file: &Path) -> PathBuf {
    let project = dir.join(name);
    std::fs::create_dir_all(project.join("build")).expect("mkdir");
    std::fs::write(project.join("build/manifest.json"), "{}\n").expect("manifest");
    let runtime = project.join("runtime.sh");
    std::fs::write(&runtime, "#!/bin/sh\nexec cat \"$BENCH_FILE\"\n").expect("runtime");
    make_executable(&runtime);
    let config = format!(
        "[runtime]\npath = \"./runtime.sh\"\nenv = {{ BENCH_FILE = {:?} }}\n[shipper]\nbuild = [\"true\"]\npack-validation = [\"true\"]\npack = [\"true\"]\n",
        file.display().to_string()
    );
    std::fs::write(project.join("prometeu-session.toml"), config).expect("config");
    project
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// What one child cost: wall time, its own CPU time, its peak RSS.
#[derive(Debug, Clone, Copy)]
struct Cost {
    wall: Duration,
    cpu: Duration,
    max_rss_kib: i64,
}

/// Runs `command` to its end with stdout on the null device, measuring it with wait4.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also reports its usage"
)]
fn measure(mut command: Command) -> Cost {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    let started = Instant::now();
    let child = command.spawn().expect("spawn");
    let (status, usage) = wait4(child.id());
    let wall = started.elapsed();
    assert!(status == 0, "{command:?} exited with status {status}");
    let cpu = timeval(usage.ru_utime) + timeval(usage.ru_stime);
    Cost {
        wall,
        cpu,
        max_rss_kib: usage.ru_maxrss,
    }
}

fn wait4(pid: u32) -> (i32, libc::rusage) {
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value of this plain C struct; wait4 writes into the
    // two locals we pass and reaps the child we spawned (std never waits for it: we own it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = i32::try_from(pid).expect("pid");
    let result = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(result, pid, "wait4");
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    (code, usage)
}

fn timeval(value: libc::timeval) -> Duration {
    Duration::from_secs(value.tv_sec as u64) + Duration::from_micros(value.tv_usec as u64)
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn play(project: &Path, format: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["play", "--format", format, "--project"])
        .arg(project);
    command
}

fn throughput(dir: &Path, options: &Options) {
    let file = line_file(dir, options.lines);
    let project = cat_project(dir, "throughput", &file);
    let (mut baseline, mut human, mut json) = (Vec::new(), Vec::new(), Vec::new());
    let (mut human_cpu, mut json_cpu) = (Vec::new(), Vec::new());
    for _ in 0..options.runs {
        let mut cat = Command::new("sh");
        cat.arg("-c").arg("cat \"$0\" | cat > /dev/null").arg(&file);
        baseline.push(measure(cat).wall);
        let cost = measure(play(&project, "human"));
        human.push(cost.wall);
        human_cpu.push(cost.cpu);
        let cost = measure(play(&project, "json"));
        json.push(cost.wall);
        json_cpu.push(cost.cpu);
    }
    let (baseline, human, json) = (median(baseline), median(human), median(json));
    // For comparison, when `CONCURRENTLY` names an installed `concurrently` (npm).
    let concurrently = std::env::var_os("CONCURRENTLY").map(|program| {
        let mut command = Command::new(program);
        command.arg(format!("cat {}", file.display()));
        measure(command)
    });
    let per_line = |cpu: Duration| cpu.as_nanos() as f64 / options.lines as f64;
    println!(
        "throughput, {} lines of {LINE_BYTES} bytes, median of {} alternating runs:",
        options.lines, options.runs
    );
    println!(
        "  baseline `cat FILE | cat > /dev/null`: {:.3} s",
        baseline.as_secs_f64()
    );
    println!(
        "  play --format human > /dev/null: {:.3} s = {:.2}x baseline (target 4x), {:.0} ns CPU per line",
        human.as_secs_f64(),
        human.as_secs_f64() / baseline.as_secs_f64(),
        per_line(median(human_cpu))
    );
    println!(
        "  play --format json > /dev/null: {:.3} s = {:.2}x baseline (target 6x), {:.0} ns CPU per line",
        json.as_secs_f64(),
        json.as_secs_f64() / baseline.as_secs_f64(),
        per_line(median(json_cpu))
    );
    if let Some(cost) = concurrently {
        println!(
            "  for comparison, `concurrently \"cat FILE\"` > /dev/null (one run): {:.3} s = {:.2}x baseline, {:.1} MiB peak RSS",
            cost.wall.as_secs_f64(),
            cost.wall.as_secs_f64() / baseline.as_secs_f64(),
            cost.max_rss_kib as f64 / 1024.0
        );
    }
}

fn peak_rss(dir: &Path, options: &Options) {
    println!("peak RSS of play --format json > /dev/null (target under 32 MiB at any line count):");
    for lines in [options.lines, options.big_lines] {
        let file = line_file(dir, lines);
        let project = cat_project(dir, &format!("rss-{lines}"), &file);
        let cost = measure(play(&project, "json"));
        println!(
            "  {lines} lines: {:.1} MiB (wall {:.2} s)",
            cost.max_rss_kib as f64 / 1024.0,
            cost.wall.as_secs_f64()
        );
        let _ = std::fs::remove_file(&file);
    }
}

/// stdout read at 1 MB/s while the runtime floods: memory stays bounded, the runtime is slowed,
/// nothing is lost on stdout or in the log file.
#[expect(
    clippy::zombie_processes,
    reason = "reaped by wait4, which also reports its usage"
)]
fn slow_consumer(dir: &Path, options: &Options) {
    let lines = options.lines;
    let file = line_file(dir, lines);
    let project = cat_project(dir, "slow", &file);
    let log = dir.join("slow.log");
    let mut command = play(&project, "json");
    command
        .args([
            "--stop-after",
            &format!("{}s", options.slow_seconds),
            "--log-file",
        ])
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::piped());
    let mut child = command.spawn().expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let started = Instant::now();
    let rate = 1_000_000.0;
    let mut received = Vec::new();
    let mut chunk = vec![0_u8; 16 * 1024];
    loop {
        let read = stdout.read(&mut chunk).expect("read");
        if read == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..read]);
        // Pace the reader: never ahead of 1 MB/s.
        let due = Duration::from_secs_f64(received.len() as f64 / rate);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let (status, usage) = wait4(child.id());
    let elapsed = started.elapsed();
    let stdout_events: Vec<Event> = parse_events(&received);
    let logged: Vec<Event> = parse_events(&std::fs::read(&log).expect("log"));
    let runtime_lines = logged.iter().filter(|event| matches!(event, Event::Log(log) if log.source == session_domain::Source::Runtime)).count();
    let gapless = logged
        .iter()
        .enumerate()
        .all(|(index, event)| event.seq() == index as u64 + 1);
    println!(
        "slow consumer at 1 MB/s for {:.1} s (stopped by --stop-after {}s): exit {status}, peak RSS {:.1} MiB;",
        elapsed.as_secs_f64(),
        options.slow_seconds,
        usage.ru_maxrss as f64 / 1024.0
    );
    println!(
        "  the runtime wrote {runtime_lines} of {lines} lines before the stop (back-pressure: it was slowed to the reader's pace);"
    );
    println!(
        "  stdout events {} = log file events {}: {}; log seq gapless: {gapless}",
        stdout_events.len(),
        logged.len(),
        if stdout_events == logged {
            "identical"
        } else {
            "DIFFERENT"
        }
    );
}

fn parse_events(bytes: &[u8]) -> Vec<Event> {
    BufReader::new(bytes)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

fn in_process_session(
    dir: &Path,
    name: &str,
    script: &str,
    stop_grace: Duration,
) -> ExecutionSession {
    let project = dir.join(name);
    std::fs::create_dir_all(project.join("build")).expect("mkdir");
    std::fs::write(project.join("build/manifest.json"), "{}\n").expect("manifest");
    let runtime = project.join("runtime.sh");
    std::fs::write(&runtime, format!("#!/bin/sh\n{script}\n")).expect("runtime");
    make_executable(&runtime);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let timing = ProcessTiming {
        stop_grace,
        pipe_grace: Duration::from_millis(200),
        max_line: NonZeroUsize::new(64 * 1024).expect("non-zero"),
    };
    let truth = vec!["true".to_owned()];
    let shipper = Shipper::new(
        ShipperSettings {
            project_root: project.clone(),
            steps: ShipperConfig {
                build: truth.clone(),
                pack_validation: truth.clone(),
                pack: truth,
                env: Default::default(),
            },
            cartridge: None,
            timing,
        },
        Arc::clone(&clock),
    );
    let runtime = Runtime::new(
        RuntimeSettings {
            project_root: project,
            program: runtime,
            mode: RunMode::Run,
            debug_address: "127.0.0.1:7777".parse().expect("address"),
            handshake_timeout: Duration::from_secs(10),
            env: Default::default(),
            timing,
        },
        Arc::clone(&clock),
    );
    let settings = ServiceSettings {
        limits: LogLimits {
            max_events: NonZeroUsize::new(200_000).expect("non-zero"),
            max_bytes: NonZeroUsize::new(64 * 1024 * 1024).expect("non-zero"),
        },
        ..ServiceSettings::default()
    };
    ExecutionSession::start(
        Ports {
            factory: Arc::new(RunPorts {
                shipper: Arc::new(shipper),
                runtime: Arc::new(runtime),
            }),
            clock,
        },
        Vec::new(),
        settings,
    )
}

/// From the `stop()` call to the `stopped` event, for a runtime that honours SIGTERM and one
/// that ignores it (`stop_grace` 200 ms).
async fn stop_latency(dir: &Path, options: &Options) {
    let grace = Duration::from_millis(200);
    for (name, script) in [
        ("honours SIGTERM", "exec sleep 1000"),
        ("ignores SIGTERM", "trap '' TERM\nexec sleep 1000"),
    ] {
        let mut samples = Vec::new();
        for run in 0..options.runs * 2 {
            let session = in_process_session(
                dir,
                &format!("stop-{}-{run}", samples.len() + name.len()),
                script,
                grace,
            );
            let mut events = session.subscribe(0);
            session.play(RunGoal::Play.into()).await.expect("play");
            session
                .wait_for_state(|state| state == SessionState::Running || !state.is_active())
                .await;
            // Let the shell reach `exec sleep`, so the trap is in place.
            tokio::time::sleep(Duration::from_millis(50)).await;
            let started = Instant::now();
            assert_eq!(session.stop("bench").await, Ok(StopOutcome::Requested));
            loop {
                match events.next().await {
                    Some(SubscriptionItem::Event(event)) => {
                        if matches!(event.view(), session_domain::EventView::State(state) if state.to == SessionState::Stopped)
                        {
                            break;
                        }
                    }
                    Some(SubscriptionItem::Missed { .. }) => {}
                    None => panic!("the session ended before stopped"),
                }
            }
            samples.push(started.elapsed());
            session.shutdown().await;
        }
        let target = if name.starts_with("honours") {
            "50 ms"
        } else {
            "stop_grace + 50 ms = 250 ms"
        };
        println!(
            "stop latency, runtime that {name}: median {:.1} ms over {} runs (target under {target})",
            median(samples).as_secs_f64() * 1000.0,
            options.runs * 2
        );
    }
}

/// A subscriber joining a session that holds 100,000 events, until it holds the backlog.
async fn attach(dir: &Path, options: &Options) {
    let session = in_process_session(
        dir,
        "attach",
        "i=0; while [ $i -lt 100000 ]; do echo \"line $i of the backlog\"; i=$((i+1)); done; exec sleep 1000",
        Duration::from_millis(200),
    );
    session.play(RunGoal::Play.into()).await.expect("play");
    while session.snapshot().last_seq < 100_000 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut samples = Vec::new();
    for _ in 0..options.runs * 2 {
        let target = session.snapshot().last_seq;
        let started = Instant::now();
        let mut subscription = session.subscribe(0);
        let mut held = 0_u64;
        while subscription.position() < target {
            match subscription.next().await {
                Some(SubscriptionItem::Event(_)) => held += 1,
                Some(SubscriptionItem::Missed { .. }) => {}
                None => break,
            }
        }
        samples.push(started.elapsed());
        assert!(held >= 100_000, "held only {held}");
    }
    println!(
        "attach: a subscriber joining a session holding {} events has its backlog in {:.2} ms (median of {}; target under 50 ms)",
        session.snapshot().last_seq,
        median(samples).as_secs_f64() * 1000.0,
        options.runs * 2
    );
    session.shutdown().await;
}

/// The session's own CPU (user + system, from procfs) while it waits out a 10 s stop grace for
/// a leftover that ignores SIGTERM: the runtime exits on SIGTERM and leaves in its group a
/// grandchild that does not, so the session waits for the group to empty.
fn grace_cpu(dir: &Path) {
    const GRACE: Duration = Duration::from_secs(10);
    let project = dir.join("grace");
    std::fs::create_dir_all(project.join("build")).expect("mkdir");
    std::fs::write(project.join("build/manifest.json"), "{}\n").expect("manifest");
    let config = format!(
        "[session]\nstop_grace = \"10s\"\n[runtime]\npath = {FAKE_RUNTIME:?}\nenv = {{ FAKE_RT_ON_TERM = \"exit\", FAKE_RT_GRANDCHILD = \"group\", FAKE_RT_GRANDCHILD_ON_TERM = \"ignore\", FAKE_RT_GRANDCHILD_STDIO = \"null\", FAKE_RT_RUN_FOR = \"forever\" }}\n[shipper]\nbuild = [\"true\"]\npack-validation = [\"true\"]\npack = [\"true\"]\n"
    );
    std::fs::write(project.join("prometeu-session.toml"), config).expect("config");
    let mut child = play(&project, "json")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    lines
        .by_ref()
        .map_while(Result::ok)
        .find(|line| line.contains("fake-runtime: ready"))
        .expect("the runtime got ready");
    let pid = i32::try_from(child.id()).expect("pid");
    // Our own child, not yet reaped: the pid is still its.
    tests::send_signal(pid, libc::SIGINT);
    let started = Instant::now();
    let before = cpu_of(pid);
    // Just short of the grace, so that the SIGKILL and the end are not counted.
    std::thread::sleep(GRACE - Duration::from_millis(500));
    let used = cpu_of(pid) - before;
    let elapsed = started.elapsed();
    let drain = std::thread::spawn(move || lines.count());
    let status = child.wait().expect("wait");
    let _ = drain.join();
    println!(
        "CPU during a 10 s stop grace (a leftover ignoring SIGTERM): {:.2}% of a core ({:.0} ms over {:.1} s; exit {}) (target under 1%)",
        used.as_secs_f64() * 100.0 / elapsed.as_secs_f64(),
        used.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64(),
        status.code().unwrap_or(-1)
    );
}

/// User + system CPU time of process `pid` so far, from `/proc/<pid>/stat`.
fn cpu_of(pid: i32) -> Duration {
    let ticks = tests::cpu_ticks(pid);
    let per_second = rustix::param::clock_ticks_per_second();
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, NonZeroUsize::get)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .map(|line| line.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
