//! Spawning one process in its own group, its pipe readers and its supervisor.

use std::io;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use session_domain::{LineBatch, Stream};
use session_ports::{Clock, OutputSender};
use tokio::process::Command;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use super::escalation::Escalation;
use super::guard::GroupGuard;
use super::guardian::{RUN_MARKER_VAR, run_marker};
use super::reader::{Delivery, PipeTarget, read_to_end};
use super::report::{ExitWatch, Supervised};
use super::supervisor::Supervisor;
use super::{ProcessSpec, ProcessTiming, StopControl};

/// The program could not be started.
#[derive(Debug, thiserror::Error)]
#[error("cannot start {program}: {source}", program = program.display())]
pub struct SpawnError {
    /// The program as it was given.
    pub program: PathBuf,
    /// What the operating system said.
    #[source]
    pub source: io::Error,
}

/// Spawns `spec` in its own process group with stdin on the null device and starts
/// supervising it. Must be called inside a tokio runtime, from a long-lived thread.
pub fn spawn(
    spec: &ProcessSpec,
    timing: ProcessTiming,
    clock: Arc<dyn Clock>,
    output: OutputSender,
    stop: &StopControl,
) -> Result<Supervised, SpawnError> {
    let mut command = Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .envs(spec.env.iter().map(|(key, value)| (key, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        // A backstop only: it reaches the direct child, not its group. The supervisor's guard
        // kills the group.
        .kill_on_drop(true);
    if let Some(marker) = run_marker() {
        // After the spec's own variables: the run's marker is not the configuration's to
        // change. Descendants inherit it, so the guardian can find them even outside the group.
        command.env(RUN_MARKER_VAR, marker);
    }
    #[cfg(target_os = "linux")]
    if spec.die_with_parent {
        die_with_parent(&mut command);
    }
    let spawn_error = |source| SpawnError {
        program: spec.program.clone(),
        source,
    };
    let mut child = command.spawn().map_err(spawn_error)?;
    let Some(pid) = child.id() else {
        return Err(spawn_error(io::Error::other(
            "the process exited before it could be watched",
        )));
    };
    let pgid = i32::try_from(pid).map_err(|_| spawn_error(io::Error::other("pid out of range")))?;
    let guard = GroupGuard::register(pgid);

    let delivery = Arc::new(Delivery::default());
    let (abandon, abandoned) = watch::channel(false);
    let pipe = |stream| PipeTarget {
        label: spec.label.clone(),
        source: spec.source,
        stream,
        max_line: timing.max_line,
        clock: Arc::clone(&clock),
        output: output.clone(),
        delivery: Arc::clone(&delivery),
        abandon: abandoned.clone(),
    };
    let stdout = child
        .stdout
        .take()
        .map(|pipe_out| tokio::spawn(read_to_end(pipe_out, pipe(Stream::Stdout))));
    let stderr = child
        .stderr
        .take()
        .map(|pipe_err| tokio::spawn(read_to_end(pipe_err, pipe(Stream::Stderr))));

    let (exit_tx, exit_rx) = watch::channel(None);
    let (report_tx, report_rx) = watch::channel(None);
    // The supervisor's own lines go through an unbounded channel to a forwarder, so that a
    // blocked sink never delays a signal: the supervisor never waits on the output.
    let (story, mut story_rx) = mpsc::unbounded_channel::<LineBatch>();
    let forwarder = tokio::spawn(async move {
        while let Some(batch) = story_rx.recv().await {
            // A closed output means the session is gone; the supervision goes on regardless.
            let _ = output.send(batch).await;
        }
    });
    let supervisor = Supervisor {
        label: spec.label.clone(),
        pgid,
        timing,
        clock,
        story,
        delivery,
        stop: stop.watch(),
        readers: [stdout, stderr].into_iter().flatten().collect(),
        abandon,
        guard: Some(guard),
        started: Instant::now(),
        escalation: Escalation::new(timing.stop_grace, timing.pipe_grace),
        kill_timer: None,
        pipe_timer: None,
    };
    tokio::spawn(async move {
        // A panic in `run` drops the supervisor, and its guard kills the group.
        let report = supervisor.run(child, exit_tx).await;
        // `run` consumed the supervisor and with it the story's sender: once the forwarder has
        // delivered every story line, the end may be reported (a process's last lines come
        // before the event reporting its end).
        let _ = forwarder.await;
        let _ = report_tx.send(Some(report));
    });
    Ok(Supervised::new(pid, ExitWatch::new(exit_rx), report_rx))
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    use rustix::process::{Signal, getpid, getppid, set_parent_process_death_signal};
    let parent = getpid();
    // SAFETY: the closure runs in the forked child before exec; it makes two system calls
    // (prctl, getppid) through rustix, which are async-signal-safe, and allocates nothing on
    // its success path.
    unsafe {
        command.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::KILL))?;
            // The parent may have died between fork and prctl: then no signal will come.
            if getppid() != Some(parent) {
                return Err(io::Error::other(
                    "the session exited while the runtime was starting",
                ));
            }
            Ok(())
        });
    }
}
