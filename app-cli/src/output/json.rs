//! `--format json` and the log file: the canonical event lines of BRIEF section 4.

use session_domain::EventView;

/// Appends one event as its canonical JSON line.
pub(crate) fn write_json_line(event: &EventView<'_>, out: &mut Vec<u8>) {
    // Serialising our own types into a Vec cannot fail: every field is a plain value.
    if serde_json::to_writer(&mut *out, event).is_ok() {
        out.push(b'\n');
    }
}
