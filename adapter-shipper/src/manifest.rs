//! `build/manifest.json`: written from the `[cartridge]` table, or checked for without one
//! (docs/manifest.md).

use std::fs;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;

use crate::CartridgeConfig;

/// Where the manifest lives, relative to the project root.
pub const MANIFEST_PATH: &str = "build/manifest.json";

/// The directory it lives in, relative to the project root: the runnable root.
const BUILD_DIR: &str = "build";

/// The manifest's fields in the order the brief fixes; serde writes them in declaration order.
#[derive(Serialize)]
struct Manifest<'a> {
    magic: &'static str,
    cartridge_version: u32,
    app_id: u32,
    title: &'a str,
    app_version: &'a str,
    app_mode: &'a str,
    entrypoint: &'a str,
    capabilities: &'a [String],
}

/// The manifest could not be rendered from the cartridge metadata.
#[derive(Debug, thiserror::Error)]
pub enum RenderManifestError {
    /// serde_json refused the value (it cannot for these field types; kept for honesty).
    #[error("serialise the manifest: {0}")]
    Serialise(#[source] serde_json::Error),
}

/// `build/manifest.json` could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteManifestError {
    /// The metadata could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderManifestError),
    /// Something other than a directory (a file) is named `build`.
    #[error(
        "`{BUILD_DIR}` in the project is not a directory; move it away or remove it (the pack step and the manifest write into {BUILD_DIR}/)"
    )]
    BuildNotADirectory,
    /// `build/` did not exist and could not be created.
    #[error("cannot create {path}: {source}")]
    CreateDir {
        /// The directory, relative to the project root.
        path: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The temporary file could not be written.
    #[error("cannot write {path}: {source}")]
    WriteTemporary {
        /// The temporary file, relative to the project root.
        path: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
    /// The temporary file could not be renamed over the manifest.
    #[error("cannot rename {from} to {MANIFEST_PATH}: {source}")]
    Rename {
        /// The temporary file, relative to the project root.
        from: String,
        /// What the operating system said.
        #[source]
        source: io::Error,
    },
}

/// `build/manifest.json` is not there, and nothing was configured to write it.
#[derive(Debug, thiserror::Error)]
pub enum CheckManifestError {
    /// The file does not exist.
    #[error(
        "{MANIFEST_PATH} is missing: add a [cartridge] table to prometeu-session.toml or make the pack step write it"
    )]
    Missing,
    /// Something other than a directory (a file) is named `build`.
    #[error(
        "{MANIFEST_PATH} is missing: `{BUILD_DIR}` in the project is not a directory; move it away or remove it (the pack step writes into {BUILD_DIR}/)"
    )]
    BuildNotADirectory,
    /// Something other than a regular file is at its path.
    #[error("{MANIFEST_PATH} is not a regular file")]
    NotAFile,
    /// Its metadata could not be read.
    #[error("cannot check {MANIFEST_PATH}: {0}")]
    Inaccessible(#[source] io::Error),
}

/// The manifest's exact bytes: `serde_json::to_string_pretty`'s layout and one `\n`.
pub fn render_manifest(cartridge: &CartridgeConfig) -> Result<Vec<u8>, RenderManifestError> {
    let manifest = Manifest {
        magic: "PMTU",
        cartridge_version: 1,
        app_id: cartridge.app_id,
        title: &cartridge.title,
        app_version: &cartridge.app_version,
        app_mode: cartridge.app_mode.as_str(),
        entrypoint: &cartridge.entrypoint,
        capabilities: &cartridge.capabilities,
    };
    let mut bytes = serde_json::to_vec_pretty(&manifest).map_err(RenderManifestError::Serialise)?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Writes `build/manifest.json` under `project_root`: to a temporary file in `build/` first,
/// then renamed over the manifest, so that a reader never sees half a file.
///
/// `pack` normally creates `build/`; if it did not, it is created here rather than failing,
/// since the manifest is all the runnable root then needs from us. Blocking: call it from
/// `spawn_blocking`.
pub fn write_manifest(
    project_root: &Path,
    cartridge: &CartridgeConfig,
) -> Result<(), WriteManifestError> {
    let bytes = render_manifest(cartridge)?;
    let build = project_root.join(BUILD_DIR);
    if let Err(source) = fs::create_dir_all(&build) {
        // create_dir_all says only "File exists" when a file has the folder's name.
        return Err(if build_is_not_a_directory(project_root) {
            WriteManifestError::BuildNotADirectory
        } else {
            WriteManifestError::CreateDir {
                path: format!("{BUILD_DIR}/"),
                source,
            }
        });
    }
    // One name per process: the project lock keeps a second session away, and a file left by a
    // crash is simply overwritten next time.
    let temporary_name = format!(".manifest.json.{}.tmp", std::process::id());
    let temporary = build.join(&temporary_name);
    let shown = format!("{BUILD_DIR}/{temporary_name}");
    if let Err(source) = write_synced(&temporary, &bytes) {
        let _ = fs::remove_file(&temporary);
        return Err(WriteManifestError::WriteTemporary {
            path: shown,
            source,
        });
    }
    if let Err(source) = fs::rename(&temporary, project_root.join(MANIFEST_PATH)) {
        let _ = fs::remove_file(&temporary);
        return Err(WriteManifestError::Rename {
            from: shown,
            source,
        });
    }
    Ok(())
}

/// Writes `bytes` to `path` and flushes them to disk, so that the rename publishes a complete
/// file even after a crash.
fn write_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// Checks that `build/manifest.json` exists under `project_root` as a regular file. Blocking.
pub fn check_manifest(project_root: &Path) -> Result<(), CheckManifestError> {
    match fs::metadata(project_root.join(MANIFEST_PATH)) {
        Ok(meta) if meta.is_file() => Ok(()),
        Ok(_) => Err(CheckManifestError::NotAFile),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Err(CheckManifestError::Missing),
        Err(_) if build_is_not_a_directory(project_root) => {
            Err(CheckManifestError::BuildNotADirectory)
        }
        Err(error) => Err(CheckManifestError::Inaccessible(error)),
    }
}

/// Whether something other than a directory has the name `build` (followed, as the writes are).
fn build_is_not_a_directory(project_root: &Path) -> bool {
    fs::metadata(project_root.join(BUILD_DIR)).is_ok_and(|meta| !meta.is_dir())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AppMode;

    fn cartridge(capabilities: &[&str]) -> CartridgeConfig {
        CartridgeConfig {
            app_id: 7,
            title: "Café ☕".to_owned(),
            app_version: "1.0.0".to_owned(),
            app_mode: AppMode::Game,
            entrypoint: "main".to_owned(),
            capabilities: capabilities.iter().map(|c| (*c).to_owned()).collect(),
        }
    }

    #[test]
    fn renders_the_fields_in_order_with_an_empty_array() {
        let bytes = render_manifest(&cartridge(&[])).expect("renders");
        let expected = "{\n  \"magic\": \"PMTU\",\n  \"cartridge_version\": 1,\n  \"app_id\": 7,\n  \"title\": \"Café ☕\",\n  \"app_version\": \"1.0.0\",\n  \"app_mode\": \"Game\",\n  \"entrypoint\": \"main\",\n  \"capabilities\": []\n}\n";
        assert_eq!(String::from_utf8(bytes).expect("utf-8"), expected);
    }

    #[test]
    fn renders_one_capability_per_line() {
        let bytes = render_manifest(&cartridge(&["net", "gfx"])).expect("renders");
        let text = String::from_utf8(bytes).expect("utf-8");
        assert!(
            text.ends_with("  \"capabilities\": [\n    \"net\",\n    \"gfx\"\n  ]\n}\n"),
            "{text}"
        );
    }
}
