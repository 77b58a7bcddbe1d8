//! Peak RSS (`ru_maxrss`) of `play --format json > /dev/null` for each of the brief's
//! workloads, against its 16 MiB target.

use std::path::Path;

use crate::commands::play;
use crate::cost::measure;
use crate::figure::{Judged, Spread, Target, Unit};
use crate::fixtures::cat_project;

const TARGET: Target = Target::AtMost {
    words: "under",
    limit: 16.0,
};

/// The highest peak RSS seen for one workload.
#[derive(Debug)]
pub struct PeakRss {
    pub workload: String,
    pub kib: i64,
}

/// One run of `play --format json` over `file`, for its peak RSS alone.
pub fn of_play(dir: &Path, file: &Path, workload: String) -> PeakRss {
    let project = cat_project(dir, "memory", file);
    let cost = measure(&mut play(&project, "json"));
    PeakRss {
        workload,
        kib: cost.max_rss_kib,
    }
}

pub fn print(figures: &[PeakRss]) {
    println!("peak RSS of play --format json > /dev/null (ru_maxrss; the highest of its runs):");
    for figure in figures {
        println!(
            "  {}: {}",
            figure.workload,
            Judged {
                spread: Spread::of([figure.kib as f64 / 1024.0]),
                unit: Unit::MiB,
                target: TARGET,
            }
        );
    }
}
