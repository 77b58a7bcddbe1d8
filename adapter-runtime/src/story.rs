//! The `session` lines that tell the runtime's story: what was started, what connected, how it
//! failed or ended.

use std::path::Path;
use std::time::Duration;

use session_domain::{CartridgeInfo, RunMode, RuntimeEnd, Termination, human_duration};

use crate::devtools::Handshake;

/// `runtime: started `<path> run build` (pid N)`.
/// The command is quoted as a step's is, by one rule for every command the session shows.
pub(crate) fn started(program: &Path, mode: RunMode, pid: u32) -> String {
    let program = program.display().to_string();
    let command = adapter_process::display_command(&[program.as_str(), mode.as_str(), "build"]);
    format!("runtime: started `{command}` (pid {pid})")
}

/// `runtime 0.1.0 connected, running ColorSquare (app 1, version 1.0.0, mode Debug)`, with
/// `unknown` for whatever the handshake left out.
pub(crate) fn connected(handshake: &Handshake) -> String {
    let runtime = match &handshake.runtime_version {
        Some(version) => format!("runtime {version}"),
        None => "runtime (version unknown)".to_owned(),
    };
    let cartridge = match &handshake.cartridge {
        None => "an unknown cartridge".to_owned(),
        Some(cartridge) => describe_cartridge(cartridge),
    };
    format!("{runtime} connected, running {cartridge}")
}

fn describe_cartridge(cartridge: &CartridgeInfo) -> String {
    const UNKNOWN: &str = "unknown";
    let title = cartridge
        .title
        .clone()
        .unwrap_or_else(|| "an untitled cartridge".to_owned());
    let app = cartridge
        .app_id
        .map_or_else(|| UNKNOWN.to_owned(), |id| id.to_string());
    let version = cartridge.app_version.as_deref().unwrap_or(UNKNOWN);
    let mode = cartridge.app_mode.as_deref().unwrap_or(UNKNOWN);
    format!("{title} (app {app}, version {version}, mode {mode})")
}

/// The `error` line stating a failed launch.
pub(crate) fn launch_failed(reason: &str) -> String {
    format!("runtime failed to start: {reason}")
}

/// The line that reports how a running runtime ended, once everything is reaped.
pub(crate) fn ended(end: &RuntimeEnd, termination: Termination, duration: Duration) -> String {
    let after = human_duration(duration);
    match end {
        RuntimeEnd::Stopped => format!("runtime stopped: {termination} after {after}"),
        RuntimeEnd::Exited(Termination::Success) => format!("runtime exited: exit 0 after {after}"),
        RuntimeEnd::Exited(Termination::Abnormal(exit)) => {
            format!("runtime failed: {exit} after {after}")
        }
        RuntimeEnd::LaunchFailed(failure) => launch_failed(&failure.reason),
    }
}

#[cfg(test)]
mod tests {
    use session_domain::{AbnormalExit, Signal};

    use super::*;

    #[test]
    fn tells_the_start_and_the_handshake() {
        assert_eq!(
            started(Path::new("/opt/prometeu"), RunMode::Run, 42),
            "runtime: started `/opt/prometeu run build` (pid 42)"
        );
        assert_eq!(
            started(Path::new("/my tools/prometeu"), RunMode::Debug, 7),
            "runtime: started `'/my tools/prometeu' debug build` (pid 7)"
        );
        let full = Handshake {
            runtime_version: Some("0.1.0".into()),
            cartridge: Some(CartridgeInfo {
                app_id: Some(1),
                title: Some("ColorSquare".into()),
                app_version: Some("1.0.0".into()),
                app_mode: Some("Debug".into()),
            }),
        };
        assert_eq!(
            connected(&full),
            "runtime 0.1.0 connected, running ColorSquare (app 1, version 1.0.0, mode Debug)"
        );
        assert_eq!(
            connected(&Handshake::default()),
            "runtime (version unknown) connected, running an unknown cartridge"
        );
        let partial = Handshake {
            runtime_version: None,
            cartridge: Some(CartridgeInfo::default()),
        };
        assert_eq!(
            connected(&partial),
            "runtime (version unknown) connected, running an untitled cartridge (app unknown, version unknown, mode unknown)"
        );
    }

    #[test]
    fn tells_the_end() {
        let crash = Termination::Abnormal(AbnormalExit::Signal(Signal::KILL));
        assert_eq!(
            ended(
                &RuntimeEnd::Exited(crash),
                crash,
                Duration::from_millis(1210)
            ),
            "runtime failed: killed by SIGKILL after 1.21 s"
        );
        assert_eq!(
            ended(
                &RuntimeEnd::Stopped,
                Termination::from_signal(Signal::TERM),
                Duration::from_secs(2)
            ),
            "runtime stopped: killed by SIGTERM after 2.00 s"
        );
        assert_eq!(human_duration(Duration::from_millis(200)), "200 ms");
    }
}
