//! The guardian's sweep: SIGKILL to every group of the run and to every process that carries
//! the run's marker, again and again until a look finds none of them alive.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use super::group::signal_group;
use super::procfs::{self, ProcStat};

/// The guardian never outlives its job by more than this, whatever it finds: a fork bomb must
/// not keep it alive.
const SWEEP_LIMIT: Duration = Duration::from_secs(5);

/// Between two looks: long enough for the kernel to finish what a SIGKILL started.
const PAUSE: Duration = Duration::from_millis(5);

/// Kills the processes of the run: the members of `groups` and whatever carries `marker` (an
/// environment entry, `NAME=value`) in its environment. Without procfs, signals the groups once.
pub(crate) fn sweep(groups: &BTreeSet<i32>, marker: &[u8]) {
    let me = i32::try_from(std::process::id()).unwrap_or(0);
    let started = Instant::now();
    loop {
        for pgid in groups {
            signal_group(*pgid, Signal::KILL);
        }
        let Some(pids) = procfs::pids() else {
            return;
        };
        let found: Vec<ProcStat> = pids.into_iter().filter_map(procfs::read_stat).collect();
        let doomed = targets(&found, groups, me, |pid| procfs::environ_has(pid, marker));
        if doomed.is_empty() || started.elapsed() >= SWEEP_LIMIT {
            return;
        }
        for pid in doomed.iter().filter_map(|pid| Pid::from_raw(*pid)) {
            let _ = kill_process(pid, Signal::KILL);
        }
        std::thread::sleep(PAUSE);
    }
}

/// The living processes to kill among `processes`: those in one of `groups` and those
/// `marked`, never `me`.
fn targets(
    processes: &[ProcStat],
    groups: &BTreeSet<i32>,
    me: i32,
    marked: impl Fn(i32) -> bool,
) -> Vec<i32> {
    processes
        .iter()
        .filter(|process| process.is_alive() && process.pid != me)
        .filter(|process| groups.contains(&process.pgrp) || marked(process.pid))
        .map(|process| process.pid)
        .collect()
}

#[cfg(test)]
mod tests {
    use rstest::rstest;

    use super::*;

    fn process(pid: i32, state: char, pgrp: i32) -> ProcStat {
        ProcStat {
            pid,
            state,
            ppid: 1,
            pgrp,
        }
    }

    #[rstest]
    #[case::a_member_of_a_group_of_the_run(process(11, 'S', 10), true)]
    #[case::a_stopped_member(process(12, 'T', 10), true)]
    #[case::a_zombie_member_is_already_dead(process(13, 'Z', 10), false)]
    #[case::a_marked_process_that_left_the_group(process(30, 'S', 30), true)]
    #[case::a_marked_zombie(process(31, 'Z', 31), false)]
    #[case::a_stranger(process(40, 'S', 40), false)]
    #[case::the_guardian_itself_even_if_marked(process(99, 'S', 99), false)]
    fn kills_the_living_of_the_run_and_nothing_else(
        #[case] candidate: ProcStat,
        #[case] killed: bool,
    ) {
        let groups = BTreeSet::from([10, 20]);
        let marked = |pid| pid == 30 || pid == 31 || pid == 99;
        let expected = if killed { vec![candidate.pid] } else { vec![] };
        assert_eq!(targets(&[candidate], &groups, 99, marked), expected);
    }
}
