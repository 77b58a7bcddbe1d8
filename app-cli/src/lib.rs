//! The `prometeu-session` command line as a library, so that other frontends can reuse its
//! config loading and the tests can run it in-process.

/// Runs the command line and returns the process exit code.
pub fn main() -> i32 {
    eprintln!("prometeu-session: error: not implemented yet");
    1
}
