//! `play --format json --log-file F > /dev/null` against `cat JSON | tee F2 > /dev/null`, where
//! JSON is the very JSON that play writes to F (the same bytes written twice, the physical
//! limit), and a check that F lost nothing.

use std::path::Path;

use crate::Options;
use crate::commands::{play, shell};
use crate::comparison::{self, alternate};
use crate::cost::measure;
use crate::figure::{Target, thousands};
use crate::fixtures::{LINE_BYTES, cat_project, line_file, remove};

const WALL_TARGET: Target = Target::AtMost {
    words: "within",
    limit: 1.5,
};

pub fn against_tee(dir: &Path, options: &Options) {
    let file = line_file(dir, options.lines, LINE_BYTES);
    let project = cat_project(dir, "log-file", &file);
    let log = dir.join("events.log");
    let teed = dir.join("teed.txt");
    let session_events = own_events(dir);
    // The JSON that the session writes to F, for the baseline to write twice.
    let json = dir.join("events.json");
    let status = play(&project, "json")
        .stdout(std::fs::File::create(&json).expect("create the JSON for tee"))
        .status()
        .expect("run play for the JSON");
    assert!(status.success(), "play for the JSON: {status}");
    let mut checked = None;
    println!(
        "log file, {} lines of {LINE_BYTES} bytes, {} alternating pairs (ratio per pair):",
        thousands(options.lines),
        options.pairs
    );
    let pairs = alternate(
        options.pairs,
        || {
            let cost = measure(&mut shell(
                "cat \"$0\" | tee \"$1\" > /dev/null",
                [&json, &teed],
            ));
            remove(&teed);
            cost
        },
        || {
            let cost = measure(play(&project, "json").arg("--log-file").arg(&log));
            // Once is enough: the same run each time, and counting 2,000,000 lines takes time.
            if checked.is_none() {
                checked = Some(count_lines(&log, RUNTIME_LINE));
            }
            remove(&log);
            cost
        },
    );
    comparison::print(
        "play --format json --log-file F > /dev/null",
        "`cat JSON | tee F2 > /dev/null`",
        options.lines,
        &pairs,
        WALL_TARGET,
        None,
    );
    remove(&json);
    let (lines, runtime_lines) = checked.expect("at least one pair");
    let whole = runtime_lines == options.lines && lines == options.lines + session_events;
    println!(
        "    F held {} events: {} runtime lines of {} and {} of the session's own ({session_events} expected): {}",
        thousands(lines),
        thousands(runtime_lines),
        thousands(options.lines),
        lines - runtime_lines,
        if whole { "nothing lost" } else { "LINES LOST" }
    );
}

/// What marks a line of the runtime in the JSON log.
const RUNTIME_LINE: &str = "\"source\":\"runtime\"";

/// How many events of its own (states, steps, its messages) the session logs around a run of
/// this project: those of a three-line run, less the three lines.
fn own_events(dir: &Path) -> u64 {
    let file = dir.join("three-lines.txt");
    std::fs::write(&file, "one\ntwo\nthree\n").expect("three-line file");
    let project = cat_project(dir, "log-file-three", &file);
    let log = dir.join("three-lines.log");
    measure(play(&project, "json").arg("--log-file").arg(&log));
    let (lines, runtime_lines) = count_lines(&log, RUNTIME_LINE);
    assert_eq!(
        runtime_lines, 3,
        "the three-line run logged its three lines"
    );
    remove(&log);
    lines - runtime_lines
}

/// How many `\n`-ended lines `path` holds, and how many of them contain `needle`; read in
/// chunks, so that a file of hundreds of MB costs no more memory than one line.
pub fn count_lines(path: &Path, needle: &str) -> (u64, u64) {
    use std::io::BufRead;
    let file = std::fs::File::open(path).expect("open for counting");
    let mut reader = std::io::BufReader::with_capacity(1 << 20, file);
    let (mut lines, mut matching) = (0, 0);
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).expect("read") == 0 {
            break;
        }
        lines += 1;
        if line
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
        {
            matching += 1;
        }
    }
    (lines, matching)
}
