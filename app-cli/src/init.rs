//! `prometeu-session init`.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use crate::config::{CONFIG_FILE_NAME, template};
use crate::exit::Fatal;

/// Writes the commented template into `project`, never overwriting an existing file.
pub fn init(project: &Path) -> Result<String, Fatal> {
    crate::plan::check_project_root(project)?;
    let path = project.join(CONFIG_FILE_NAME);
    let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Fatal::usage(format!(
                "{}: already exists; it was left untouched (edit it, or remove it to start over)",
                path.display()
            )));
        }
        Err(error) => {
            return Err(Fatal::usage(format!(
                "{}: cannot create it: {error}",
                path.display()
            )));
        }
    };
    file.write_all(template().as_bytes())
        .map_err(|error| Fatal::tool(format!("{}: cannot write it: {error}", path.display())))?;
    Ok(format!(
        "wrote {}: set [runtime] path to the PROMETEU runtime, check the [shipper] commands, then run `prometeu-session play`",
        path.display()
    ))
}
