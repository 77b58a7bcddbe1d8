//! The brief's throughput figures: `play --format human` and `--format json` with stdout on the
//! null device, each against `cat FILE | cat > /dev/null`.

use std::path::Path;

use crate::Options;
use crate::commands::{play, shell};
use crate::comparison::{self, alternate};
use crate::cost::measure;
use crate::figure::{Target, thousands};
use crate::fixtures::{LINE_BYTES, cat_project, line_file};
use crate::memory::PeakRss;

const WALL_TARGET: Target = Target::AtMost {
    words: "within",
    limit: 1.3,
};
const CPU_TARGET: Target = Target::AtMost {
    words: "under",
    limit: 80.0,
};

/// Prints both figures; returns the JSON run's peak RSS for the memory figures.
pub fn human_and_json(dir: &Path, options: &Options) -> PeakRss {
    let file = line_file(dir, options.lines, LINE_BYTES);
    let project = cat_project(dir, "throughput", &file);
    let baseline = || measure(&mut shell("cat \"$0\" | cat > /dev/null", [&file]));
    println!(
        "throughput, {} lines of {LINE_BYTES} bytes, {} alternating pairs (ratio per pair):",
        thousands(options.lines),
        options.pairs
    );
    let human = alternate(options.pairs, baseline, || {
        measure(&mut play(&project, "human"))
    });
    comparison::print(
        "play --format human > /dev/null",
        "`cat FILE | cat > /dev/null`",
        options.lines,
        &human,
        WALL_TARGET,
        Some(CPU_TARGET),
    );
    let json = alternate(options.pairs, baseline, || {
        measure(&mut play(&project, "json"))
    });
    comparison::print(
        "play --format json > /dev/null",
        "`cat FILE | cat > /dev/null`",
        options.lines,
        &json,
        WALL_TARGET,
        Some(CPU_TARGET),
    );
    PeakRss {
        workload: format!("{} lines of {LINE_BYTES} bytes", thousands(options.lines)),
        kib: comparison::candidate_peak_rss_kib(&json),
    }
}
