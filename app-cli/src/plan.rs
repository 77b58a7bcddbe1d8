//! From flags and the configuration file to everything a run needs, checked up front in the
//! brief's order: flags and config, validation, the runtime path (`play`), the project lock,
//! then the log file. Any failure here exits 2 with nothing run and no file touched.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::Duration;

use session_domain::{EventFilter, RunGoal};

use crate::cli::{CommonArgs, Format, PlayArgs};
use crate::config::{CONFIG_FILE_NAME, FlagPath, Overrides};
use crate::exit::Fatal;
use crate::run_settings::{RunSettings, SettingsSource, clean, load_run_settings};
use crate::state_folder::{self, ProjectLock};

/// Everything a `play` or `prepare` run needs.
#[derive(Debug)]
pub struct RunPlan {
    /// Play or prepare.
    pub goal: RunGoal,
    /// Where every play reads its settings.
    pub source: SettingsSource,
    /// The settings as validated up front (`[log]` sizes are taken from them, once).
    pub settings: RunSettings,
    /// `--format`.
    pub format: Format,
    /// `--source` and `--min-severity`.
    pub filter: EventFilter,
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

/// The project root and the configuration file, from `--project` and `--config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectPaths {
    /// The current directory, which flags' paths are relative to.
    pub cwd: PathBuf,
    /// The project root (absolute).
    pub project_root: PathBuf,
    /// The configuration file.
    pub config_path: PathBuf,
}

/// Refuses a project root that is not a directory, saying whether it is missing or a file.
pub(crate) fn check_project_root(project_root: &Path) -> Result<(), Fatal> {
    let problem = match std::fs::metadata(project_root) {
        Ok(meta) if meta.is_dir() => return Ok(()),
        Ok(_) => "is a file, not a directory",
        Err(error) if error.kind() == std::io::ErrorKind::NotADirectory => {
            "goes through a file as if it were a directory"
        }
        Err(_) => "no such directory",
    };
    Err(Fatal::usage(format!(
        "--project {}: {problem}; pass the project's root directory (the one that holds prometeu-session.toml)",
        project_root.display()
    )))
}

/// Resolves `--project` (default: the current directory, which must be a directory) and
/// `--config` (default: `prometeu-session.toml` in the project root) against the current
/// directory.
pub fn project_paths(project: Option<&Path>, config: Option<&Path>) -> Result<ProjectPaths, Fatal> {
    let cwd = std::env::current_dir()
        .map_err(|error| Fatal::tool(format!("cannot read the current directory: {error}")))?;
    let project_root = match project {
        Some(project) => clean(&cwd.join(project)),
        None => cwd.clone(),
    };
    check_project_root(&project_root)?;
    let config_path = match config {
        Some(config) => clean(&cwd.join(config)),
        None => project_root.join(CONFIG_FILE_NAME),
    };
    Ok(ProjectPaths {
        cwd,
        project_root,
        config_path,
    })
}

fn plan(common: &CommonArgs, play: Option<&PlayArgs>) -> Result<RunPlan, Fatal> {
    let ProjectPaths {
        cwd,
        project_root,
        config_path,
    } = project_paths(common.project.as_deref(), common.config.as_deref())?;
    let overrides = match play {
        None => Overrides::default(),
        Some(play) => Overrides {
            runtime: play.runtime.clone().map(|given| FlagPath {
                given,
                base: cwd.clone(),
            }),
            mode: play.mode.clone(),
            debug_address: play.debug_address.clone(),
        },
    };
    let goal = if play.is_some() {
        RunGoal::Play
    } else {
        RunGoal::Prepare
    };
    let source = SettingsSource {
        project_root,
        config_path,
        overrides,
    };
    let settings = load_run_settings(&source, &goal.into())
        .map_err(|error| Fatal::usage(error.to_string()))?;

    let lock = state_folder::open(&source.project_root)
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
        goal,
        source,
        settings,
        format: common.view.format,
        filter: common.view.filter(),
        color: common.view.use_color(),
        log_file,
        stop_after: play
            .and_then(|play| play.stop_after)
            .map(|setting| setting.0),
        lock,
    })
}
