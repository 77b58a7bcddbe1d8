//! The brief's realistic writer (one `write(2)` per line) under `play --format json`, against
//! the same writer with each of its pipes read by a `cat`: all on stdout, and split half and
//! half between stdout and stderr.

use std::path::Path;

use crate::Options;
use crate::commands::{play, shell};
use crate::comparison::{self, alternate};
use crate::cost::measure;
use crate::figure::{Target, thousands};
use crate::fixtures::{LINE_BYTES, project, remove};
use crate::memory::PeakRss;
use crate::writer::{self, Mode, SPLIT_COUNTING_SCRIPT};

const WALL_TARGET: Target = Target::AtMost {
    words: "within",
    limit: 1.1,
};

/// Prints both figures, or why they could not be measured; returns the peak RSS of each mode.
pub fn both_modes(dir: &Path, options: &Options) -> Vec<PeakRss> {
    let lines = options.writer_lines;
    println!(
        "one write(2) per line, a C writer, {} lines of {LINE_BYTES} bytes, {} alternating pairs (ratio per pair):",
        thousands(lines),
        options.pairs
    );
    let program = match writer::build(dir) {
        Ok(program) => program,
        Err(why) => {
            println!("  skipped: {why}");
            return Vec::new();
        }
    };
    check_two_pipes(dir, &program, lines);
    [Mode::Stdout, Mode::Split]
        .into_iter()
        .map(|mode| {
            let project = project(
                dir,
                &format!("writer-{}", mode.argument()),
                &format!("exec \"$BENCH_WRITER\" {lines} {}", mode.argument()),
                &[("BENCH_WRITER", &program)],
            );
            let lines_argument = lines.to_string();
            let pairs = alternate(
                options.pairs,
                || {
                    measure(&mut shell(
                        mode.baseline_script(),
                        [program.as_os_str(), lines_argument.as_ref()],
                    ))
                },
                || measure(&mut play(&project, "json")),
            );
            comparison::print(
                &format!("play --format json > /dev/null, writer {}", mode.argument()),
                match mode {
                    Mode::Stdout => "`writer stdout | cat > /dev/null`",
                    Mode::Split => "`writer split` with a `cat > /dev/null` on each pipe",
                },
                lines,
                &pairs,
                WALL_TARGET,
                None,
            );
            PeakRss {
                workload: format!("the one-write-per-line writer, {}", mode.argument()),
                kib: comparison::candidate_peak_rss_kib(&pairs),
            }
        })
        .collect()
}

/// The split baseline's plumbing with a `wc -l` in place of each `cat`: each must count half
/// the lines, or the two `cat`s were not reading a pipe each.
fn check_two_pipes(dir: &Path, program: &Path, lines: u64) {
    let (stdout_count, stderr_count) = (dir.join("stdout.count"), dir.join("stderr.count"));
    let lines_argument = lines.to_string();
    measure(&mut shell(
        SPLIT_COUNTING_SCRIPT,
        [
            program.as_os_str(),
            lines_argument.as_ref(),
            stdout_count.as_os_str(),
            stderr_count.as_os_str(),
        ],
    ));
    let read = |path: &Path| -> u64 {
        let count = std::fs::read_to_string(path).expect("read a line count");
        remove(path);
        count.trim().parse().expect("a line count")
    };
    let (on_stdout, on_stderr) = (read(&stdout_count), read(&stderr_count));
    let two_pipes = on_stdout == lines - lines / 2 && on_stderr == lines / 2;
    println!(
        "  the split baseline's two pipes carried {} (stdout) and {} (stderr) lines: {}",
        thousands(on_stdout),
        thousands(on_stderr),
        if two_pipes {
            "two pipes, as meant"
        } else {
            "NOT two pipes: the split baseline is wrong"
        }
    );
}
