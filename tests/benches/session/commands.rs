//! The commands the figures compare: the session under test and the shell baselines.

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;

/// The release build of the command line (the tests package's stand-in for `prometeu-session`).
pub const BIN: &str = env!("CARGO_BIN_EXE_prometeu-session-it");

/// `prometeu-session play --format <format> --project <project>`.
pub fn play(project: &Path, format: &str) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(["play", "--format", format, "--project"])
        .arg(project);
    command
}

/// `sh -c <script> <args…>`: the script sees the arguments as `$0`, `$1`…, so that paths
/// reach it unquoted and intact.
pub fn shell<I, S>(script: &str, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new("sh");
    command.arg("-c").arg(script).args(args);
    command
}
