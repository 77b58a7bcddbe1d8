//! stdout read at 1 MB/s while the runtime floods: memory stays bounded, the runtime is slowed,
//! nothing is lost on stdout or in the log file.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use session_domain::{Event, Source};

use crate::Options;
use crate::commands::play;
use crate::cost::Measured;
use crate::figure::{thousands, verdict};
use crate::fixtures::{LINE_BYTES, cat_project, line_file};

/// The brief's memory target, which holds for a slow reader too.
const PEAK_RSS_MIB: f64 = 16.0;
const READ_RATE: f64 = 1_000_000.0;

pub fn at_one_megabyte_a_second(dir: &Path, options: &Options) {
    let lines = options.lines;
    let file = line_file(dir, lines, LINE_BYTES);
    let project = cat_project(dir, "slow", &file);
    let log = dir.join("slow.log");
    let mut command = play(&project, "json");
    command
        .args([
            "--stop-after",
            &format!("{}s", options.slow_seconds),
            "--log-file",
        ])
        .arg(&log);
    let mut measured = Measured::spawn(&mut command, Stdio::piped());
    let mut stdout = measured.parent.stdout.take().expect("stdout");
    let started = Instant::now();
    let mut received = Vec::new();
    let mut chunk = vec![0_u8; 16 * 1024];
    loop {
        let read = stdout.read(&mut chunk).expect("read");
        if read == 0 {
            break;
        }
        received.extend_from_slice(&chunk[..read]);
        // Pace the reader: never ahead of 1 MB/s.
        let due = Duration::from_secs_f64(received.len() as f64 / READ_RATE);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            std::thread::sleep(wait);
        }
    }
    let (status, cost) = measured.finish();
    let elapsed = started.elapsed();
    let stdout_events = parse_events(&received);
    let logged = parse_events(&std::fs::read(&log).expect("log"));
    let runtime_lines = logged
        .iter()
        .filter(|event| matches!(event, Event::Log(log) if log.source == Source::Runtime))
        .count();
    let gapless = logged
        .iter()
        .enumerate()
        .all(|(index, event)| event.seq() == index as u64 + 1);
    let peak_mib = cost.max_rss_kib as f64 / 1024.0;
    let identical = stdout_events == logged;
    println!(
        "slow consumer at 1 MB/s for {:.1} s (stopped by --stop-after {}s, exit {status}):",
        elapsed.as_secs_f64(),
        options.slow_seconds,
    );
    println!(
        "  bounded: peak RSS {peak_mib:.1} MiB; target under {PEAK_RSS_MIB:.0} MiB: {}",
        verdict(peak_mib <= PEAK_RSS_MIB)
    );
    println!(
        "  slowed: the runtime wrote {} of {} lines before the stop; target fewer than all: {}",
        thousands(runtime_lines as u64),
        thousands(lines),
        verdict((runtime_lines as u64) < lines)
    );
    println!(
        "  lossless: stdout events {} = log file events {}: {}, log seq gapless: {gapless}; target identical and gapless: {}",
        thousands(stdout_events.len() as u64),
        thousands(logged.len() as u64),
        if identical { "identical" } else { "DIFFERENT" },
        verdict(identical && gapless)
    );
}

fn parse_events(bytes: &[u8]) -> Vec<Event> {
    BufReader::new(bytes)
        .lines()
        .map_while(Result::ok)
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}
