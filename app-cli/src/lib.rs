//! The `prometeu-session` command line as a library: the configuration file format, the flags,
//! the output formats and signal handling. Its `main` is three lines; other frontends reuse
//! [`config`] to read settings exactly as the command line does.

mod allocator;
pub mod cli;
pub mod client;
pub mod config;
pub mod dap;
pub mod exit;
pub mod init;
pub mod no_runtime;
pub mod output;
pub mod plan;
pub mod ports_factory;
pub mod run;
pub mod run_settings;
pub mod serve;
mod signals;
pub mod state_folder;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::exit::{ExitCode, Fatal};

/// Runs the command line with the process's arguments and returns the exit code.
pub fn main() -> i32 {
    allocator::keep_freed_batches_for_reuse();
    // The guardian is this same program, started again by the session (see `run_plan`).
    if let Some(code) = adapter_process::run_guardian_if_asked() {
        return code;
    }
    install_panic_hook();
    init_tracing();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error),
    };
    match execute(cli) {
        Ok(code) => code,
        Err(fatal) => fatal.report(),
    }
}

fn execute(cli: Cli) -> Result<i32, Fatal> {
    match cli.command {
        Command::Init(args) => {
            let project = args.project.unwrap_or_else(|| ".".into());
            let message = init::init(&project)?;
            eprintln!("prometeu-session: {}", output::escape_controls(&message));
            Ok(ExitCode::Success.code())
        }
        // With a live server on the project, `play` and `prepare` are its clients.
        Command::Play(args) => match client::play_through_server(&args.common, Some(&args)) {
            Some(result) => result,
            None => run_plan(plan::plan_play(&args)?),
        },
        Command::Prepare(args) => match client::play_through_server(&args, None) {
            Some(result) => result,
            None => run_plan(plan::plan_prepare(&args)?),
        },
        Command::Serve(args) => serve::serve(&args),
        Command::Attach(args) => client::attach(&args),
        Command::Stop(args) => client::stop(&args),
        Command::Kill(args) => client::kill(&args),
        Command::Status(args) => client::status(&args),
        Command::Dap => dap::dap(),
    }
}

fn run_plan(plan: plan::RunPlan) -> Result<i32, Fatal> {
    // Descendants that leave their group are re-parented to us, not to init, so that a run
    // can find and reap them (Linux). Done before anything is spawned.
    if let Err(error) = adapter_process::become_subreaper() {
        tracing::warn!(%error, "cannot become a child subreaper; escaped descendants may outlive a run");
    }
    // Should the session die without a chance to stop the run (SIGKILL, a fault), the
    // guardian ends the run's processes. Started before anything of the run is spawned.
    let guardian = adapter_process::start_guardian()
        .inspect_err(|error| {
            tracing::warn!(%error, "running without a guardian; processes of the run may outlive a session that is killed");
        })
        .ok();
    // One thread drives the session: the runtime's PR_SET_PDEATHSIG follows the thread that
    // spawned it, and this one lives as long as the run. Output is written by its own thread.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Fatal::tool(format!("cannot start the async runtime: {error}")))?;
    let code = runtime.block_on(async {
        // Adopted processes are reaped as they exit, so that zombies never pile up.
        let reaper = tokio::spawn(adapter_process::reap_adopted_as_they_exit());
        let code = run::run(plan).await;
        reaper.abort();
        code
    });
    // The run is over: the guardian's last sweep finds nothing, and it is reaped.
    drop(guardian);
    code
}

/// clap's errors are several lines; ours are one. `--help` and `--version` print as usual.
fn usage_error(error: &clap::Error) -> i32 {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            0
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            Fatal::usage(
                "a command is required: play, prepare, init, serve, attach, status, stop, kill or dap; see `prometeu-session --help`",
            )
            .report()
        }
        _ => {
            let help = match subcommand_in_args() {
                Some(command) => format!("prometeu-session {command} --help"),
                None => "prometeu-session --help".to_owned(),
            };
            Fatal::usage(format!(
                "{}; see `{help}`",
                one_line(&error.render().to_string())
            ))
            .report()
        }
    }
}

/// The lines of a clap error that say what is wrong (and the possible values), as one line.
fn one_line(rendered: &str) -> String {
    let parts: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:") && !line.starts_with("For more information"))
        .filter(|line| !line.is_empty())
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .collect();
    if parts.is_empty() {
        "invalid usage".to_owned()
    } else {
        parts.join(" ")
    }
}

/// The command named on the command line, for pointing at its `--help`.
fn subcommand_in_args() -> Option<String> {
    std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with('-'))
        .filter(|arg| {
            [
                "play", "prepare", "init", "serve", "attach", "status", "stop", "kill", "dap",
            ]
            .contains(&arg.as_str())
        })
}

/// A panic is a bug: kill every process group we started, say so, exit 101.
fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        adapter_process::kill_all_groups();
        default(info);
        std::process::exit(ExitCode::Bug.code());
    }));
}

/// The tool's own diagnostics go to stderr, filtered by `PROMETEU_SESSION_LOG` (default
/// `warn`); `RUST_LOG` is left to the children. A filter that cannot be read is said once on
/// stderr, so that a typo does not silently hide the diagnostics someone asked for.
fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    const VARIABLE: &str = "PROMETEU_SESSION_LOG";
    const DEFAULT: &str = "warn";
    let filter = match std::env::var_os(VARIABLE) {
        None => EnvFilter::new(DEFAULT),
        Some(value) => {
            let parsed = value
                .to_str()
                .ok_or_else(|| "it is not UTF-8".to_owned())
                .and_then(|text| EnvFilter::try_new(text).map_err(|error| error.to_string()));
            parsed.unwrap_or_else(|error| {
                eprintln!(
                    "prometeu-session: warning: {VARIABLE}={}: not a valid filter ({}); using the default, `{DEFAULT}`",
                    output::escape_controls(&value.to_string_lossy()),
                    output::escape_controls(&error)
                );
                EnvFilter::new(DEFAULT)
            })
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
