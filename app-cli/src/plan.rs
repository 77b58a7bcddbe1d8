//! From flags and the configuration file to everything a run needs, checked up front in the
//! brief's order: flags and config, validation, the runtime path (`play`), the project lock,
//! then the log file. Any failure here exits 2 with nothing run and no file touched.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use adapter_runtime::{RuntimeMode, RuntimePathError, check_runtime_path};
use session_domain::RunGoal;

use crate::cli::{CommonArgs, Format, Mode, PlayArgs};
use crate::config::{CONFIG_FILE_NAME, ConfigFile, load};
use crate::exit::Fatal;
use crate::output::{Filter, use_color};
use crate::state_folder::{self, ProjectLock};

/// Everything a `play` or `prepare` run needs.
#[derive(Debug)]
pub struct RunPlan {
    /// Play or prepare.
    pub goal: RunGoal,
    /// The project root (absolute).
    pub project_root: PathBuf,
    /// The validated configuration, with flag overrides applied.
    pub config: ConfigFile,
    /// The runtime program, resolved and checked (`play` only).
    pub runtime_program: Option<PathBuf>,
    /// `--format`.
    pub format: Format,
    /// `--source` and `--min-severity`.
    pub filter: Filter,
    /// Whether stdout gets colour.
    pub color: bool,
    /// `--log-file`, created or truncated.
    pub log_file: Option<File>,
    /// `--stop-after`.
    pub stop_after: Option<Duration>,
    /// Held until the run ends.
    pub lock: ProjectLock,
}

/// Checks `play`'s flags and configuration.
pub fn plan_play(args: &PlayArgs) -> Result<RunPlan, Fatal> {
    plan(&args.common, Some(args))
}

/// Checks `prepare`'s flags and configuration.
pub fn plan_prepare(args: &CommonArgs) -> Result<RunPlan, Fatal> {
    plan(args, None)
}

fn plan(common: &CommonArgs, play: Option<&PlayArgs>) -> Result<RunPlan, Fatal> {
    let cwd = std::env::current_dir()
        .map_err(|error| Fatal::tool(format!("cannot read the current directory: {error}")))?;
    let project_root = match &common.project {
        Some(project) => clean(&cwd.join(project)),
        None => cwd.clone(),
    };
    if !project_root.is_dir() {
        return Err(Fatal::usage(format!(
            "--project {}: no such directory; pass the project's root directory",
            project_root.display()
        )));
    }
    let config_path = match &common.config {
        Some(config) => clean(&cwd.join(config)),
        None => project_root.join(CONFIG_FILE_NAME),
    };
    let mut config = load(&config_path).map_err(|error| Fatal::usage(error.to_string()))?;

    let mut runtime_program = None;
    if let Some(play) = play {
        if let Some(mode) = play.mode {
            config.runtime.mode = match mode {
                Mode::Run => RuntimeMode::Run,
                Mode::Debug => RuntimeMode::Debug,
            };
        }
        if let Some(address) = play.debug_address {
            config.runtime.debug_address = address.to_string();
        }
        let checked = match &play.runtime {
            Some(path) => {
                check_runtime_path(path, &cwd).map_err(|error| runtime_flag_error(path, &error))
            }
            None => check_runtime_path(
                config.runtime.path.as_deref().unwrap_or(Path::new("")),
                &project_root,
            )
            .map_err(|error| runtime_config_error(&config_path, &error)),
        };
        runtime_program = Some(clean(&checked?));
    }

    let lock = state_folder::open(&project_root)
        .map_err(|error| Fatal::usage(error.to_string()))?
        .lock()
        .map_err(|error| Fatal::usage(error.to_string()))?;
    let log_file = match &common.log_file {
        None => None,
        Some(path) => Some(File::create(cwd.join(path)).map_err(|error| {
            Fatal::usage(format!(
                "--log-file {}: cannot create it: {error}",
                path.display()
            ))
        })?),
    };

    Ok(RunPlan {
        goal: if play.is_some() {
            RunGoal::Play
        } else {
            RunGoal::Prepare
        },
        project_root,
        config,
        runtime_program,
        format: common.format,
        filter: Filter {
            sources: (!common.source.is_empty()).then(|| common.source.clone()),
            min_severity: common.min_severity,
        },
        color: common.format == Format::Human
            && use_color(common.color_choice(), |name| std::env::var(name).ok()),
        log_file,
        stop_after: play
            .and_then(|play| play.stop_after)
            .map(|setting| setting.0),
        lock,
    })
}

fn runtime_flag_error(path: &Path, error: &RuntimePathError) -> Fatal {
    Fatal::usage(format!("--runtime {}: {error}", path.display()))
}

fn runtime_config_error(config: &Path, error: &RuntimePathError) -> Fatal {
    Fatal::usage(format!("{}: [runtime] path: {error}", config.display()))
}

/// Drops `.` components, so that messages and session lines show `/a/b`, not `/a/./b`. (`..`
/// is kept: removing it lexically would be wrong across symbolic links.)
fn clean(path: &Path) -> PathBuf {
    path.components()
        .filter(|part| *part != std::path::Component::CurDir)
        .collect()
}
