//! How a figure is summed up and judged: the median of its samples with their spread, and
//! `met` / `NOT met` against the version-4 target. Judged on the median; the spread shows how
//! far one noisy run could move it.

use std::fmt;

/// The median of a set of samples and their extremes.
#[derive(Debug, Clone, Copy)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub count: usize,
}

impl Spread {
    pub fn of(samples: impl IntoIterator<Item = f64>) -> Self {
        let mut samples: Vec<f64> = samples.into_iter().collect();
        assert!(!samples.is_empty(), "a figure needs at least one sample");
        samples.sort_by(f64::total_cmp);
        let middle = samples.len() / 2;
        let median = if samples.len() % 2 == 0 {
            (samples[middle - 1] + samples[middle]) / 2.0
        } else {
            samples[middle]
        };
        Self {
            median,
            min: samples[0],
            max: samples[samples.len() - 1],
            count: samples.len(),
        }
    }
}

/// What a figure counts, which decides how it is printed.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// A ratio to a baseline.
    Times,
    Nanoseconds,
    Milliseconds,
    Seconds,
    MiB,
    /// Percent of one core.
    Percent,
}

impl Unit {
    pub fn show(self, value: f64) -> String {
        match self {
            Self::Times => format!("{value:.2}x"),
            Self::Nanoseconds => format!("{value:.0} ns"),
            Self::Milliseconds => format!("{value:.2} ms"),
            Self::Seconds => format!("{value:.3} s"),
            Self::MiB => format!("{value:.1} MiB"),
            Self::Percent => format!("{value:.2}%"),
        }
    }
}

/// A bound from the design brief, with the words it uses for it ("within 1.3x", "under 80 ns",
/// "at least 2.5x").
#[derive(Debug, Clone, Copy)]
pub enum Target {
    AtMost { words: &'static str, limit: f64 },
    AtLeast { words: &'static str, limit: f64 },
}

impl Target {
    pub fn met(self, value: f64) -> bool {
        match self {
            Self::AtMost { limit, .. } => value <= limit,
            Self::AtLeast { limit, .. } => value >= limit,
        }
    }

    fn show(self, unit: Unit) -> String {
        let (Self::AtMost { words, limit } | Self::AtLeast { words, limit }) = self;
        format!("{words} {}", unit.show(limit))
    }
}

pub fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "NOT met" }
}

/// One judged figure, printed as `2.07x (spread 1.95x–2.30x of 5); target within 1.30x: NOT met`.
#[derive(Debug, Clone, Copy)]
pub struct Judged {
    pub spread: Spread,
    pub unit: Unit,
    pub target: Target,
}

impl fmt::Display for Judged {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self {
            spread,
            unit,
            target,
        } = *self;
        write!(formatter, "{}", unit.show(spread.median))?;
        if spread.count > 1 {
            write!(
                formatter,
                " (median of {}, spread {}–{})",
                spread.count,
                unit.show(spread.min),
                unit.show(spread.max)
            )?;
        }
        write!(
            formatter,
            "; target {}: {}",
            target.show(unit),
            verdict(target.met(spread.median))
        )
    }
}

/// `2000000` as `2,000,000`: the counts in the brief's words.
pub fn thousands(count: u64) -> String {
    let digits = count.to_string();
    let mut grouped = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}
