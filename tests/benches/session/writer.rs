//! The brief's realistic writer: a small C program, compiled by the bench, that writes each
//! line with a `write(2)` of its own, as a program logging without a buffer does. Its lines
//! are those of the 60-byte line file.

use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = r#"/* writer LINES stdout|split: LINES lines of 60 bytes, one write(2) each; "split"
   sends every other line to stderr. Built by the session bench. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: writer LINES stdout|split\n");
        return 2;
    }
    long lines = atol(argv[1]);
    int split = strcmp(argv[2], "split") == 0;
    char line[64];
    for (long index = 0; index < lines; index++) {
        int fd = split && (index & 1) ? 2 : 1;
        int length = snprintf(line, sizeof line,
            "frame %13ld: the quick brown fox jumps over the dog\n", index);
        if (write(fd, line, length) != length) {
            return 1;
        }
    }
    return 0;
}
"#;

/// Where the writer sends its lines.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// All on stdout.
    Stdout,
    /// Half and half: even lines on stdout, odd ones on stderr.
    Split,
}

impl Mode {
    pub fn argument(self) -> &'static str {
        match self {
            Self::Stdout => "stdout",
            Self::Split => "split",
        }
    }

    /// The baseline, `sh -c` with the writer as `$0`, the line count as `$1`: each of the
    /// writer's pipes read by a `cat` of its own. For `split`, the group's fd 3 is the outer
    /// pipe; the writer's stderr goes into the inner pipe and its stdout to fd 3.
    pub fn baseline_script(self) -> &'static str {
        match self {
            Self::Stdout => "\"$0\" \"$1\" stdout | cat > /dev/null",
            Self::Split => {
                "{ \"$0\" \"$1\" split 2>&1 1>&3 | cat > /dev/null; } 3>&1 | cat > /dev/null"
            }
        }
    }
}

/// The split baseline's plumbing with a `wc -l` on each pipe, stdout's count into `$2` and
/// stderr's into `$3`: how the bench checks that this baseline really reads two pipes.
pub const SPLIT_COUNTING_SCRIPT: &str =
    "{ \"$0\" \"$1\" split 2>&1 1>&3 | wc -l > \"$3\"; } 3>&1 | wc -l > \"$2\"";

/// Writes the C source into `dir` and compiles it with `cc -O2`; why not, when it cannot.
pub fn build(dir: &Path) -> Result<PathBuf, String> {
    let source = dir.join("writer.c");
    let program = dir.join("writer");
    std::fs::write(&source, SOURCE).expect("write writer.c");
    let output = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&program)
        .arg(&source)
        .output()
        .map_err(|error| format!("cannot run `cc` ({error})"))?;
    if !output.status.success() {
        return Err(format!(
            "`cc -O2 writer.c` failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(program)
}
