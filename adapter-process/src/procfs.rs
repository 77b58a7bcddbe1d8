//! Linux: what procfs says about processes: their state, parent and group, our own children,
//! and whether a process carries a given environment entry.

/// One line of `/proc/<pid>/stat`, the fields we use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ProcStat {
    pub(crate) pid: i32,
    pub(crate) state: char,
    pub(crate) ppid: i32,
    pub(crate) pgrp: i32,
}

impl ProcStat {
    /// `false` for a zombie (`Z`) or a process being torn down (`X`).
    pub(crate) fn is_alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X')
    }

    /// `true` for a process stopped by a signal (`T`) or by a tracer (`t`): it cannot act on
    /// a SIGTERM until it gets a SIGCONT.
    pub(crate) fn is_stopped(&self) -> bool {
        matches!(self.state, 'T' | 't')
    }
}

/// The pids procfs lists now, or `None` without procfs.
pub(crate) fn pids() -> Option<Vec<i32>> {
    let entries = std::fs::read_dir("/proc").ok()?;
    Some(
        entries
            .filter_map(Result::ok)
            .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
            .collect(),
    )
}

/// Every process procfs lists now. Processes that vanish while we read are skipped; empty
/// without procfs.
pub(crate) fn processes() -> Vec<ProcStat> {
    pids()
        .unwrap_or_default()
        .into_iter()
        .filter_map(read_stat)
        .collect()
}

/// Reads and parses `/proc/<pid>/stat`.
pub(crate) fn read_stat(pid: i32) -> Option<ProcStat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// Our own children, from every thread's `children` list (children belong to the thread that
/// forked them, or, once adopted, to the thread the kernel chose). `None` when the kernel has
/// no such lists (`CONFIG_PROC_CHILDREN`), so that the caller can scan all of procfs instead.
///
/// Much cheaper than a scan of procfs: it reads one short file per thread of ours.
pub(crate) fn own_children() -> Option<Vec<i32>> {
    // The main thread lives as long as the process: its list tells whether the kernel has them.
    let main = format!("/proc/self/task/{}/children", std::process::id());
    if !std::path::Path::new(&main).exists() {
        return None;
    }
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    let mut children = Vec::new();
    for task in tasks.filter_map(Result::ok) {
        // A thread may end while we read: its children, if any, went to another thread.
        if let Ok(list) = std::fs::read_to_string(task.path().join("children")) {
            children.extend(
                list.split_ascii_whitespace()
                    .filter_map(|pid| pid.parse::<i32>().ok()),
            );
        }
    }
    Some(children)
}

/// `true` when `entry` (`NAME=value`) is one of the entries of the environment process `pid`
/// started with. `false` when it is not, or when we may not read it (another user's process,
/// a kernel thread, a zombie).
pub(crate) fn environ_has(pid: i32, entry: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|environ| environ.split(|byte| *byte == 0).any(|item| item == entry))
}

fn parse_stat(text: &str) -> Option<ProcStat> {
    // The command name is in parentheses and may itself contain spaces and parentheses: the
    // fields we want follow the last ')'.
    let (head, rest) = text.rsplit_once(')')?;
    let pid = head.split_once('(')?.0.trim().parse().ok()?;
    let mut fields = rest.split_ascii_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        state,
        ppid,
        pgrp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_with_awkward_command_names() {
        let stat = parse_stat("42 (a) b (c)) S 7 42 42 0 -1 4194560").expect("parses");
        assert_eq!(
            stat,
            ProcStat {
                pid: 42,
                state: 'S',
                ppid: 7,
                pgrp: 42
            }
        );
    }

    #[test]
    fn our_own_environment_is_readable_entry_by_entry() {
        let me = i32::try_from(std::process::id()).expect("pid");
        let path = std::env::var("PATH").expect("PATH is set");
        assert!(environ_has(me, format!("PATH={path}").as_bytes()));
        assert!(!environ_has(me, b"PATH"));
        assert!(own_children().is_some_and(|children| !children.contains(&me)));
    }
}
