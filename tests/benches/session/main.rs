//! The session's targets (design brief, version 4, section 7), each figure against a baseline
//! measured in the same run: baseline and candidate run in alternation, and each figure is the
//! median of the per-pair ratios with their spread, marked `met` or `NOT met`.
//!
//! `cargo bench -p tests --bench session` (add `-- --quick` for fewer, shorter runs, or
//! `-- --grace` for the stop grace's CPU alone, `-- --throughput` for the throughput and
//! log-file figures alone; set `CONCURRENTLY` to a `concurrently`
//! executable to compare with it). BENCHMARKS.md records what it printed on our machines.
//! Nothing here asserts a timing: the machines are shared and noisy, so the figures are for
//! people, and the spread says how far to trust each one.

mod attach;
mod commands;
mod comparison;
mod concurrently;
mod cost;
mod figure;
mod fixtures;
mod grace;
mod in_process;
mod log_file;
mod machine;
mod memory;
mod one_write_per_line;
mod slow_consumer;
mod stop_latency;
mod throughput;
mod writer;

use figure::thousands;
use fixtures::{LINE_BYTES, WIDE_LINE_BYTES, line_file, remove};

/// How much each figure runs: the full set, or `--quick`.
#[derive(Debug)]
pub struct Options {
    /// Alternating baseline/candidate pairs per ratio.
    pairs: usize,
    /// Lines of the throughput, log-file and slow-consumer figures.
    lines: u64,
    /// Lines of the big memory figure and of the `concurrently` comparison.
    big_lines: u64,
    /// Lines of 10 KiB of the wide memory figure.
    wide_lines: u64,
    /// Lines the one-write-per-line writer writes.
    writer_lines: u64,
    /// Pairs of the `concurrently` comparison, whose runs are ten times as long.
    concurrently_pairs: usize,
    slow_seconds: u64,
    /// Samples of the stop-latency and attach figures.
    timing_samples: usize,
}

const FULL: Options = Options {
    // Nine: on a shared machine a neighbour's burst spoils a pair or two; the median of nine
    // stands through that where the median of five did not.
    pairs: 9,
    lines: 2_000_000,
    big_lines: 20_000_000,
    wide_lines: 100_000,
    writer_lines: 2_000_000,
    concurrently_pairs: 9,
    slow_seconds: 5,
    timing_samples: 10,
};

const QUICK: Options = Options {
    pairs: 3,
    lines: 2_000_000,
    big_lines: 4_000_000,
    wide_lines: 100_000,
    writer_lines: 1_000_000,
    concurrently_pairs: 2,
    slow_seconds: 3,
    timing_samples: 6,
};

fn main() {
    if cost::act_as_measuring_parent() {
        return;
    }
    let quick = std::env::args().any(|arg| arg == "--quick");
    let options = if quick { QUICK } else { FULL };
    let work = machine::work_dir();
    let dir = work.path();
    println!("{}", machine::describe());
    println!("files in {}", dir.display());
    if std::env::args().any(|arg| arg == "--grace") {
        grace::cpu_during_stop_grace(dir);
        return;
    }
    if std::env::args().any(|arg| arg == "--throughput") {
        throughput::human_and_json(dir, &options);
        log_file::against_tee(dir, &options);
        return;
    }
    let mut peak_rss = vec![throughput::human_and_json(dir, &options)];
    log_file::against_tee(dir, &options);
    slow_consumer::at_one_megabyte_a_second(dir, &options);
    remove(&line_file(dir, options.lines, LINE_BYTES));
    peak_rss.extend(one_write_per_line::both_modes(dir, &options));

    // The big files one at a time, each deleted when done: 1.2 GB and 1 GB.
    let big = line_file(dir, options.big_lines, LINE_BYTES);
    peak_rss.push(memory::of_play(
        dir,
        &big,
        format!(
            "{} lines of {LINE_BYTES} bytes",
            thousands(options.big_lines)
        ),
    ));
    match std::env::var_os("CONCURRENTLY") {
        Some(program) => concurrently::compare(dir, &program, &big, &options),
        None => println!("concurrently: skipped (set CONCURRENTLY to its executable to compare)"),
    }
    remove(&big);
    let wide = line_file(dir, options.wide_lines, WIDE_LINE_BYTES);
    peak_rss.push(memory::of_play(
        dir,
        &wide,
        format!(
            "{} lines of {} KiB",
            thousands(options.wide_lines),
            WIDE_LINE_BYTES / 1024
        ),
    ));
    remove(&wide);
    memory::print(&peak_rss);

    grace::cpu_during_stop_grace(dir);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(stop_latency::honouring_and_ignoring_sigterm(dir, &options));
    runtime.block_on(attach::to_a_held_backlog(dir, &options));
}
