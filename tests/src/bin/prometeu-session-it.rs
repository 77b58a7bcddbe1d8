//! A stand-in for the `prometeu-session` binary, built in this package so that the integration
//! tests can run it through `CARGO_BIN_EXE_prometeu-session-it`.
fn main() {
    std::process::exit(app_cli::main());
}
