//! `concurrently "cat FILE"` (npm) against `play --format json`, both with stdout on the null
//! device, on the big line file: when the environment variable `CONCURRENTLY` names the
//! `concurrently` executable.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

use crate::Options;
use crate::commands::play;
use crate::comparison::{Pair, alternate};
use crate::cost::{Cost, measure};
use crate::figure::{Judged, Spread, Target, Unit, thousands};
use crate::fixtures::{LINE_BYTES, cat_project};

const CPU_TARGET: Target = Target::AtLeast {
    words: "at least",
    limit: 2.5,
};
/// "Less wall time" than `concurrently`: theirs over ours above 1.
const WALL_TARGET: Target = Target::AtLeast {
    words: "over",
    limit: 1.0,
};

pub fn compare(dir: &Path, program: &OsStr, file: &Path, options: &Options) {
    let lines = options.big_lines;
    println!(
        "concurrently, {} lines of {LINE_BYTES} bytes, {} alternating pairs (theirs / ours per pair):",
        thousands(lines),
        options.concurrently_pairs
    );
    let project = cat_project(dir, "concurrently", file);
    // concurrently runs its command through a shell; the temp path holds no quote.
    let command = format!("cat '{}'", file.display());
    let pairs = alternate(
        options.concurrently_pairs,
        || measure(Command::new(program).arg(&command)),
        || measure(&mut play(&project, "json")),
    );
    let ratio = |of: fn(&Cost) -> f64| {
        Spread::of(
            pairs
                .iter()
                .map(|pair| of(&pair.baseline) / of(&pair.candidate)),
        )
    };
    let per_line = |of: fn(&Pair) -> &Cost| {
        Unit::Nanoseconds.show(
            Spread::of(
                pairs
                    .iter()
                    .map(|pair| of(pair).cpu.as_nanos() as f64 / lines as f64),
            )
            .median,
        )
    };
    let wall = |of: fn(&Pair) -> &Cost| {
        Unit::Seconds.show(Spread::of(pairs.iter().map(|pair| of(pair).wall.as_secs_f64())).median)
    };
    println!("  `concurrently \"cat FILE\"`  vs  play --format json, both > /dev/null:");
    println!(
        "    CPU, theirs / ours: {}; per line {} vs {}",
        Judged {
            spread: ratio(|cost| cost.cpu.as_secs_f64()),
            unit: Unit::Times,
            target: CPU_TARGET,
        },
        per_line(|pair| &pair.baseline),
        per_line(|pair| &pair.candidate),
    );
    println!(
        "    wall, theirs / ours: {}; medians {} vs {}",
        Judged {
            spread: ratio(|cost| cost.wall.as_secs_f64()),
            unit: Unit::Times,
            target: WALL_TARGET,
        },
        wall(|pair| &pair.baseline),
        wall(|pair| &pair.candidate),
    );
    println!(
        "    concurrently's peak RSS: {}",
        Unit::MiB.show(
            pairs
                .iter()
                .map(|pair| pair.baseline.max_rss_kib)
                .max()
                .unwrap_or(0) as f64
                / 1024.0
        )
    );
}
