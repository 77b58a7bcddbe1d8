//! From the configuration file and the flags to one run's settings: loaded, overridden,
//! validated (the runtime path included, when the run needs the runtime), ready to become the
//! run's ports. The CLI calls it up front and again at every play; `serve` and `dap` call it
//! at every play too, so a changed file is used by the next run.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use adapter_process::ProcessTiming;
use adapter_runtime::{RuntimePathError, RuntimeSettings, check_runtime_path};
use adapter_shipper::ShipperSettings;
use session_domain::RunGoal;
use session_ports::PlayRequest;

use crate::config::{ConfigError, ConfigFile, FlagError, Overrides, load};

/// Where a run's settings come from; fixed when a frontend starts, read again at every play.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsSource {
    /// The project root (absolute).
    pub project_root: PathBuf,
    /// The configuration file.
    pub config_path: PathBuf,
    /// Flags that override the file.
    pub overrides: Overrides,
}

/// One run's settings, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RunSettings {
    /// The file as read, with the flags applied.
    pub config: ConfigFile,
    /// What the shipper runs with.
    pub shipper: ShipperSettings,
    /// What the runtime runs with; `None` for a prepare-only run.
    pub runtime: Option<RuntimeSettings>,
}

/// Why a run's settings cannot be used: one line, naming the file and key or the flag.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// The file is missing, unreadable or invalid.
    #[error(transparent)]
    File(#[from] ConfigError),
    /// A flag's value is refused by the setting it overrides.
    #[error(transparent)]
    Flag(#[from] FlagError),
    /// `--runtime` names nothing that can run.
    #[error("--runtime {}: {error}{}", given.display(), relative_hint(given, error, FLAG_BASE))]
    RuntimeFlag {
        /// As given.
        given: PathBuf,
        /// What is wrong with it.
        error: RuntimePathError,
    },
    /// `[runtime] path` is missing or names nothing that can run.
    #[error("{}: [runtime] path: {error}{}", file.display(), relative_hint(given, error, FILE_BASE))]
    RuntimeFile {
        /// The configuration file.
        file: PathBuf,
        /// `[runtime] path` as written.
        given: PathBuf,
        /// What is wrong with it.
        error: RuntimePathError,
    },
}

const FLAG_BASE: &str = " (a path given as a flag resolves against the current directory)";
const FILE_BASE: &str = " (a path in the file resolves against the project root)";

/// Where a relative runtime path that was not found was looked for, so that the user knows
/// which folder the path is relative to: flags and the file differ.
fn relative_hint(given: &Path, error: &RuntimePathError, base: &'static str) -> &'static str {
    match error {
        RuntimePathError::NotFound { on_path: false, .. } if given.is_relative() => base,
        _ => "",
    }
}

/// Loads the file, applies the flags, validates everything and, when the request needs the
/// runtime, checks its program up front. The request's mode, when given, overrides the
/// configured one (and `--mode`) for this run.
pub fn load_run_settings(
    source: &SettingsSource,
    request: &PlayRequest,
) -> Result<RunSettings, SettingsError> {
    let mut config = load(&source.config_path)?;
    source.overrides.apply(&mut config)?;
    if let Some(mode) = request.mode {
        config.runtime.mode = mode;
    }
    let timing = ProcessTiming {
        stop_grace: config.session.stop_grace,
        pipe_grace: config.session.pipe_grace,
        max_line: config.log.max_line,
    };
    let runtime = match request.goal {
        RunGoal::Prepare => None,
        RunGoal::Play => Some(RuntimeSettings {
            project_root: source.project_root.clone(),
            program: runtime_program(source, &config)?,
            mode: config.runtime.mode,
            debug_address: config.runtime.debug_address,
            handshake_timeout: config.runtime.handshake_timeout,
            env: config.runtime.env.clone(),
            timing,
        }),
    };
    let shipper = ShipperSettings {
        project_root: source.project_root.clone(),
        steps: config.shipper.clone(),
        cartridge: config.cartridge.clone(),
        timing,
    };
    Ok(RunSettings {
        config,
        shipper,
        runtime,
    })
}

/// The runtime program, from `--runtime` or else the file, resolved and checked on disk.
fn runtime_program(source: &SettingsSource, config: &ConfigFile) -> Result<PathBuf, SettingsError> {
    // The runtime gets `[runtime] env`'s PATH when it sets one: a bare name is looked up there.
    let configured_path = config.runtime.env.get("PATH").map(OsStr::new);
    let checked = match &source.overrides.runtime {
        Some(flag) => {
            check_runtime_path(&flag.given, &flag.base, configured_path).map_err(|error| {
                SettingsError::RuntimeFlag {
                    given: flag.given.clone(),
                    error,
                }
            })
        }
        None => {
            let given = config.runtime.path.as_deref().unwrap_or(Path::new(""));
            check_runtime_path(given, &source.project_root, configured_path).map_err(|error| {
                SettingsError::RuntimeFile {
                    file: config.path.clone(),
                    given: given.to_path_buf(),
                    error,
                }
            })
        }
    };
    checked.map(|program| clean(&program))
}

/// Drops `.` components, so that messages and session lines show `/a/b`, not `/a/./b`. (`..`
/// is kept: removing it lexically would be wrong across symbolic links.)
pub fn clean(path: &Path) -> PathBuf {
    path.components()
        .filter(|part| *part != std::path::Component::CurDir)
        .collect()
}
