//! The guardian process itself: it listens to the session until the session's end closes its
//! stdin, then kills what is left of the run and exits.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};

use super::guardian::{GUARDIAN_ARG, RUN_MARKER_VAR};
use super::sweep::sweep;

/// Exit status when the guardian is started without its marker.
const USAGE: i32 = 64;

/// When the program was started as the guardian (first argument [`GUARDIAN_ARG`]), does the
/// guardian's whole job and returns its exit code; otherwise `None` at once. Call it first in
/// `main`, before anything else is set up.
pub fn run_guardian_if_asked() -> Option<i32> {
    let mut args = std::env::args_os().skip(1);
    if args.next()? != GUARDIAN_ARG {
        return None;
    }
    let Some(marker) = args.next().and_then(|marker| marker.into_string().ok()) else {
        eprintln!("prometeu-session: error: the guardian needs the run's marker");
        return Some(USAGE);
    };
    let groups = listen();
    let entry = format!("{RUN_MARKER_VAR}={marker}");
    sweep(&groups, entry.as_bytes());
    Some(0)
}

/// Reads `+pgid` and `-pgid` lines until the session's end closes the pipe; returns the groups
/// still live then.
fn listen() -> BTreeSet<i32> {
    let mut groups = BTreeSet::new();
    let mut lines = BufReader::new(std::io::stdin().lock());
    let mut line = String::new();
    // A read error counts as the end: whatever happened, the session can no longer talk to us.
    while lines.read_line(&mut line).is_ok_and(|read| read > 0) {
        let text = line.trim_end();
        if let Some(pgid) = text.strip_prefix('+').and_then(|pgid| pgid.parse().ok()) {
            groups.insert(pgid);
        } else if let Some(pgid) = text.strip_prefix('-').and_then(|pgid| pgid.parse().ok()) {
            groups.remove(&pgid);
        }
        line.clear();
    }
    groups
}
