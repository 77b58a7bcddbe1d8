//! The command line's flags.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use session_domain::{EventFilter, Severity, Source};
use session_ports::DurationSetting;

use crate::output::{ColorChoice, use_color};

/// The exit codes, shown in every command's `--help`.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0    the run ended on its own (stopped after the runtime exited 0, or prepared),
       or was stopped by --stop-after
  1    another error of the tool (for example the log file became unwritable)
  2    usage or configuration error: nothing ran
  3    preparation failed (prepare_failed)
  4    the runtime failed (runtime_failed)
  129  stopped by SIGHUP      130  stopped by SIGINT (Ctrl-C)
  131  stopped by SIGQUIT     143  stopped by SIGTERM
  128+n  stopped by another signal n that would have ended the tool
  141  stdout was closed
  101  a bug (the tool panicked; its processes were still killed)"
    };
}

/// The exit codes of the commands that talk to a server.
macro_rules! client_exit_codes {
    () => {
        "Exit codes:
  0    done (attach: detached by Ctrl-C, or the stream ended with --no-follow)
  1    another error of the tool (for example the server went away mid-request)
  2    usage error, or no server holds the project (start one with `prometeu-session serve`)"
    };
}

/// Prepares and runs a PROMETEU cartridge, with one merged, ordered log.
#[derive(Debug, Parser)]
#[command(
    name = "prometeu-session",
    version,
    after_help = exit_codes!()
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build, validate and pack the project, then run it in the runtime until it ends.
    #[command(after_help = concat!("Example:\n  prometeu-session play --project examples/color-square --stop-after 5s\n\n", exit_codes!()))]
    Play(PlayArgs),
    /// Build, validate and pack the project, without running it.
    #[command(after_help = concat!("Example:\n  prometeu-session prepare --project examples/color-square --format json\n\n", exit_codes!()))]
    Prepare(CommonArgs),
    /// Write a commented prometeu-session.toml with every default (never overwrites).
    #[command(after_help = concat!("Example:\n  prometeu-session init --project my-game\n\n", "Exit codes:\n  0    the file was written\n  1    it was created but could not be written\n  2    usage error, or the file already exists (left untouched) or cannot be created"))]
    Init(InitArgs),
    /// Keep the project's session in a local server that other processes attach to (the
    /// Studio, a browser, `attach`, `play`), until a signal or POST /v1/shutdown.
    #[command(after_help = concat!("Example:\n  prometeu-session serve --project examples/color-square\n\n", "Exit codes:\n  0    shut down cleanly (a signal, or POST /v1/shutdown)\n  1    another error of the tool\n  2    usage or configuration error, or the project is in use: nothing started\n  101  a bug (the tool panicked; its processes were still killed)"))]
    Serve(ServeArgs),
    /// Follow the project's server: its run's events, as play shows them, until Ctrl-C
    /// (which detaches; the run goes on).
    #[command(after_help = concat!("Example:\n  prometeu-session attach --project examples/color-square --tail 20\n\n", client_exit_codes!()))]
    Attach(AttachArgs),
    /// Ask the project's server to stop its run with grace.
    #[command(after_help = concat!("Example:\n  prometeu-session stop --project examples/color-square\n\n", client_exit_codes!()))]
    Stop(ProjectArgs),
    /// Ask the project's server to kill every process of its run at once.
    #[command(after_help = concat!("Example:\n  prometeu-session kill --project examples/color-square\n\n", client_exit_codes!()))]
    Kill(ProjectArgs),
    /// Show the state of the project's server and its run.
    #[command(after_help = concat!("Example:\n  prometeu-session status --project examples/color-square --format json\n\n", client_exit_codes!()))]
    Status(StatusArgs),
    /// A Debug Adapter Protocol server on stdin/stdout, for VS Code, nvim-dap, Zed and any
    /// DAP client: launch runs the project (through its server when one is live), attach
    /// follows a server's run. Started by the editor, not by hand; see docs/dap.md.
    #[command(
        after_help = "Example (what an editor runs):\n  prometeu-session dap\n\nExit codes:\n  0    the client disconnected or went away (the run was ended first)\n  1    the client's bytes were not DAP messages, or another error of the tool\n  101  a bug (the tool panicked; its processes were still killed)"
    )]
    Dap,
}

/// Flags of `stop` and `kill`.
#[derive(Debug, Clone, Args)]
pub struct ProjectArgs {
    /// The project root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// Flags of `status`.
#[derive(Debug, Clone, Args)]
pub struct StatusArgs {
    /// The project root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// human: a few lines for people; json: the server's snapshot as one JSON object.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

/// Flags of `attach`.
#[derive(Debug, Clone, Args)]
pub struct AttachArgs {
    /// The project root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Start after this seq (0: everything the server holds). Default: the current run's start.
    #[arg(long, value_name = "SEQ", conflicts_with = "tail")]
    pub after: Option<u64>,
    /// Start with the last N events the server holds.
    #[arg(long, value_name = "N")]
    pub tail: Option<u64>,
    /// Show what the server holds now, then exit, instead of following.
    #[arg(long)]
    pub no_follow: bool,
    /// How stdout shows the events.
    #[command(flatten)]
    pub view: ViewArgs,
}

/// Flags of `serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The project root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The configuration file (default: prometeu-session.toml in the project root); read
    /// again at every play.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Listen on this TCP address (an IP literal and a port; default 127.0.0.1:0, a free
    /// loopback port). A non-loopback address also needs --listen-any.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
    /// Allow --listen on an address other than loopback. Unsafe: anyone who can reach it and
    /// learns the token controls the session's processes.
    #[arg(long)]
    pub listen_any: bool,
    /// Also listen on a Unix socket at PATH (created 0600; its folder must be private, 0700).
    #[arg(long, value_name = "PATH")]
    pub unix: Option<PathBuf>,
    /// Use the token in FILE (its first line) instead of a fresh random one.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
}

/// Flags of `play` and `prepare`.
#[derive(Debug, Clone, Args)]
pub struct CommonArgs {
    /// The project root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// The configuration file (default: prometeu-session.toml in the project root).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Also write every event, unfiltered, as JSON lines to FILE (created or truncated).
    #[arg(long, value_name = "FILE")]
    pub log_file: Option<PathBuf>,
    /// How stdout shows the events.
    #[command(flatten)]
    pub view: ViewArgs,
}

/// How stdout shows the events: `play`, `prepare` and `attach` take the same flags.
#[derive(Debug, Clone, Args)]
pub struct ViewArgs {
    /// How events are printed on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Show only log lines from these sources (comma-separated, repeatable): build,
    /// pack-validation, pack, manifest, runtime, session. State changes always show.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = parse_source)]
    pub source: Vec<Source>,
    /// Show only log lines at this severity or above: trace, debug, info, warn, error.
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    pub min_severity: Option<Severity>,
    /// Colour: auto (terminal, NO_COLOR, CLICOLOR_FORCE), always or never.
    #[arg(long, value_enum, value_name = "WHEN", overrides_with_all = ["color", "no_color"])]
    pub color: Option<ColorChoice>,
    /// The same as --color never.
    #[arg(long, overrides_with_all = ["color", "no_color"])]
    pub no_color: bool,
}

/// Flags of `play`.
#[derive(Debug, Clone, Args)]
pub struct PlayArgs {
    /// The flags `prepare` takes too.
    #[command(flatten)]
    pub common: CommonArgs,
    /// The runtime executable (overrides [runtime] path; relative to the current directory).
    #[arg(long, value_name = "PATH")]
    pub runtime: Option<PathBuf>,
    /// run: "<runtime> run build"; debug: "<runtime> debug build" and the DevTools handshake
    /// (overrides [runtime] mode).
    #[arg(long, value_name = "run|debug")]
    pub mode: Option<String>,
    /// Debug mode: where the runtime's DevTools socket listens, an IP literal and a non-zero
    /// port (overrides [runtime] debug_address).
    #[arg(long, value_name = "ADDR")]
    pub debug_address: Option<String>,
    /// Stop the run this long after it is running (for CI and demos): a whole number and ms, s
    /// or m, such as 5s or 500ms (1.5s is 1500ms).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub stop_after: Option<DurationSetting>,
}

/// Flags of `init`.
#[derive(Debug, Clone, Args)]
pub struct InitArgs {
    /// The project root (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
}

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people: time, source, message; lifecycle lines; a summary.
    Human,
    /// The canonical event JSON lines, nothing else.
    Json,
}

impl ViewArgs {
    /// `--color`/`--no-color`, the last given winning.
    pub fn color_choice(&self) -> ColorChoice {
        if self.no_color {
            ColorChoice::Never
        } else {
            self.color.unwrap_or_default()
        }
    }

    /// Whether stdout gets colour (the human format only).
    pub fn use_color(&self) -> bool {
        self.format == Format::Human
            && use_color(self.color_choice(), |name| std::env::var(name).ok())
    }

    /// `--source` and `--min-severity` as a filter of `log` events.
    pub fn filter(&self) -> EventFilter {
        EventFilter {
            sources: (!self.source.is_empty()).then(|| self.source.clone()),
            min_severity: self.min_severity,
            kinds: None,
        }
    }
}

fn parse_source(text: &str) -> Result<Source, String> {
    Source::from_name_lenient(text).ok_or_else(|| {
        let known: Vec<&str> = Source::ALL.iter().map(|source| source.as_str()).collect();
        format!(
            "unknown source {text:?}; the sources are {}",
            known.join(", ")
        )
    })
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    Severity::from_name_lenient(text).ok_or_else(|| {
        format!("unknown severity {text:?}; the levels are trace, debug, info, warn, error")
    })
}

fn parse_duration(text: &str) -> Result<DurationSetting, String> {
    text.parse()
        .map_err(|error: session_ports::SettingValueError| error.to_string())
}
