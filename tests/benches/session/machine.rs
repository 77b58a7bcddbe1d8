//! What machine the figures were measured on, printed first: they mean little without it.

use std::num::NonZeroUsize;

pub fn describe() -> String {
    let cores = std::thread::available_parallelism().map_or(1, NonZeroUsize::get);
    format!("machine: {cores} cores; {}", cpu_model())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split(':').nth(1))
                .map(|model| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
