//! `status` for people: a few aligned lines about the server and its run.

use adapter_http::ServerFile;
use adapter_http::client::SessionInfo;

/// The lines `status` prints.
pub(super) fn status_text(info: &SessionInfo, server: &ServerFile) -> String {
    let mut lines = vec![("state", format!("{} (run {})", info.state, info.run))];
    if let Some(runtime) = &info.runtime {
        let mut text = format!("pid {}", runtime.pid);
        if let Some(version) = &runtime.version {
            text.push_str(&format!(", {version}"));
        }
        if let Some(cartridge) = &runtime.cartridge {
            if let Some(title) = &cartridge.title {
                text.push_str(&format!(", {title:?}"));
            }
            if let Some(version) = &cartridge.app_version {
                text.push_str(&format!(" {version}"));
            }
        }
        lines.push(("runtime", text));
    }
    if let Some(failure) = &info.last_failure {
        lines.push(("failure", failure.to_string()));
    }
    let held = if info.oldest_held_seq > info.last_seq {
        "none held".to_owned()
    } else {
        format!("{} to {} held", info.oldest_held_seq, info.last_seq)
    };
    lines.push((
        "events",
        format!(
            "{} ({held}, {} evicted; this run from {})",
            info.last_seq, info.evicted_total, info.run_first_seq
        ),
    ));
    let mut at = server.url.clone();
    if let Some(unix) = &server.unix {
        at.push_str(&format!(" and {unix}"));
    }
    lines.push((
        "server",
        format!(
            "pid {}, version {}, session {}, at {at}",
            server.pid, info.version, info.session
        ),
    ));
    lines.push(("project", info.project.clone()));
    lines
        .into_iter()
        .map(|(name, value)| format!("{name:<8} {value}\n"))
        .collect()
}

#[cfg(test)]
mod tests {
    use session_domain::SessionState;

    use super::*;

    #[test]
    fn names_the_state_the_events_and_the_server() {
        let info = SessionInfo {
            session: "00000000000000ab".into(),
            project: "/p".into(),
            version: "0.1.0".into(),
            state: SessionState::Running,
            run: 2,
            run_first_seq: 40,
            last_seq: 57,
            oldest_held_seq: 1,
            evicted_total: 0,
            runtime: None,
            last_failure: None,
        };
        let server = ServerFile {
            version: "0.1.0".into(),
            pid: 9,
            url: "http://127.0.0.1:4100".into(),
            unix: None,
            session: "00000000000000ab".into(),
            token: "t".into(),
        };
        assert_eq!(
            status_text(&info, &server),
            "state    running (run 2)\n\
             events   57 (1 to 57 held, 0 evicted; this run from 40)\n\
             server   pid 9, version 0.1.0, session 00000000000000ab, at http://127.0.0.1:4100\n\
             project  /p\n"
        );
    }
}
