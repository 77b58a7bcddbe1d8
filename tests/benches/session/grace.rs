//! The session's own CPU (user + system, from procfs) while it waits out a 10 s stop grace for
//! a leftover that ignores SIGTERM: the runtime exits on SIGTERM and leaves in its group a
//! grandchild that does not, so the session waits for the group to empty.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::commands::play;
use crate::figure::{Judged, Spread, Target, Unit};

const FAKE_RUNTIME: &str = env!("CARGO_BIN_EXE_fake-runtime");
const GRACE: Duration = Duration::from_secs(10);
const TARGET: Target = Target::AtMost {
    words: "under",
    limit: 1.0,
};

pub fn cpu_during_stop_grace(dir: &Path) {
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
        .expect("spawn play");
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
        "CPU of the session in a 10 s stop grace, a leftover ignoring SIGTERM ({:.0} ms over {:.1} s in procfs ticks; exit {}), share of a core: {}",
        used.as_secs_f64() * 1000.0,
        elapsed.as_secs_f64(),
        status.code().unwrap_or(-1),
        Judged {
            spread: Spread::of([used.as_secs_f64() * 100.0 / elapsed.as_secs_f64()]),
            unit: Unit::Percent,
            target: TARGET,
        }
    );
}

/// User + system CPU time of process `pid` so far, from `/proc/<pid>/stat`.
fn cpu_of(pid: i32) -> Duration {
    let ticks = tests::cpu_ticks(pid);
    let per_second = rustix::param::clock_ticks_per_second();
    Duration::from_secs_f64(ticks as f64 / per_second as f64)
}
