//! A candidate against its baseline: run in alternation (baseline, candidate, baseline,
//! candidate…) so that a busy moment of the shared machine tends to fall on both sides of a
//! pair, and judged on the ratio within each pair rather than on a ratio of medians.

use crate::cost::Cost;
use crate::figure::{Judged, Spread, Target, Unit};

/// One baseline run and the candidate run right after it.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    pub baseline: Cost,
    pub candidate: Cost,
}

/// `pairs` alternating runs of `baseline` and `candidate`, baseline first.
pub fn alternate(
    pairs: usize,
    mut baseline: impl FnMut() -> Cost,
    mut candidate: impl FnMut() -> Cost,
) -> Vec<Pair> {
    (0..pairs)
        .map(|_| Pair {
            baseline: baseline(),
            candidate: candidate(),
        })
        .collect()
}

/// Prints the per-pair wall ratio (candidate / baseline), the median wall times of both and
/// the CPU per line of both, judged against the targets given.
pub fn print(
    candidate: &str,
    baseline: &str,
    lines: u64,
    pairs: &[Pair],
    wall_target: Target,
    cpu_target: Option<Target>,
) {
    let seconds = |cost: &Cost| cost.wall.as_secs_f64();
    let per_line = |cost: &Cost| cost.cpu.as_nanos() as f64 / lines as f64;
    println!("  {candidate}  vs  {baseline}:");
    println!(
        "    wall: {}; medians {} vs {}",
        Judged {
            spread: Spread::of(
                pairs
                    .iter()
                    .map(|pair| seconds(&pair.candidate) / seconds(&pair.baseline))
            ),
            unit: Unit::Times,
            target: wall_target,
        },
        Unit::Seconds.show(Spread::of(pairs.iter().map(|pair| seconds(&pair.candidate))).median),
        Unit::Seconds.show(Spread::of(pairs.iter().map(|pair| seconds(&pair.baseline))).median),
    );
    let candidate_cpu = Spread::of(pairs.iter().map(|pair| per_line(&pair.candidate)));
    let baseline_cpu = Unit::Nanoseconds
        .show(Spread::of(pairs.iter().map(|pair| per_line(&pair.baseline))).median);
    match cpu_target {
        Some(target) => println!(
            "    CPU per line, whole process tree: {}; the baseline's {baseline_cpu}",
            Judged {
                spread: candidate_cpu,
                unit: Unit::Nanoseconds,
                target,
            }
        ),
        None => println!(
            "    CPU per line, whole process tree: {} (spread {}–{}; no target); the baseline's {baseline_cpu}",
            Unit::Nanoseconds.show(candidate_cpu.median),
            Unit::Nanoseconds.show(candidate_cpu.min),
            Unit::Nanoseconds.show(candidate_cpu.max),
        ),
    }
}

/// The highest peak RSS of the candidate's runs, in KiB.
pub fn candidate_peak_rss_kib(pairs: &[Pair]) -> i64 {
    pairs
        .iter()
        .map(|pair| pair.candidate.max_rss_kib)
        .max()
        .unwrap_or(0)
}
