//! Spawning one process in its own group and supervising it until everything is reaped.

use std::future::Future;
use std::io;
use std::path::PathBuf;
use std::pin::pin;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use session_domain::{LineBatch, Severity, Signal, Stream, Termination};
use session_ports::{Clock, OutputSender};
use tokio::process::{Child, Command};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep_until, timeout};

use super::adopted::{is_subreaper, reap_adopted, reap_adopted_zombies};
use super::group::{group_alive, group_exists, group_members, signal_group};
use super::reader::{Delivery, PipeTarget, read_to_end};
use super::{ProcessSpec, ProcessTiming, registry};

/// How far a stop has been asked to go. Only ever escalates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum StopLevel {
    /// Nobody asked for a stop.
    Running,
    /// SIGTERM to the group, SIGKILL after `stop_grace`.
    Terminate,
    /// SIGKILL to the group now.
    Kill,
}

/// Asks supervised processes to stop. Cheap to clone; one control may serve several processes
/// in turn (the shipper's steps).
#[derive(Debug, Clone)]
pub struct StopControl {
    level: Arc<watch::Sender<StopLevel>>,
}

impl Default for StopControl {
    fn default() -> Self {
        Self::new()
    }
}

impl StopControl {
    /// A control that has not asked for anything.
    pub fn new() -> Self {
        Self {
            level: Arc::new(watch::Sender::new(StopLevel::Running)),
        }
    }

    /// Asks for a graceful stop (no effect once a kill was asked).
    pub fn terminate(&self) {
        self.escalate(StopLevel::Terminate);
    }

    /// Asks for an immediate kill.
    pub fn kill(&self) {
        self.escalate(StopLevel::Kill);
    }

    /// What has been asked so far.
    pub fn level(&self) -> StopLevel {
        *self.level.borrow()
    }

    fn escalate(&self, to: StopLevel) {
        self.level.send_if_modified(|level| {
            let raised = to > *level;
            if raised {
                *level = to;
            }
            raised
        });
    }

    fn watch(&self) -> watch::Receiver<StopLevel> {
        self.level.subscribe()
    }
}

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

/// How a supervised process ended, once everything of it is reaped and read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessReport {
    /// The process's own exit status.
    pub termination: Termination,
    /// We had signalled its group (a stop) before it exited.
    pub signalled_by_us: bool,
    /// From spawn to exit.
    pub duration: Duration,
}

/// Tells when the process itself exited, before its pipes are drained and its group ended.
#[derive(Debug, Clone)]
pub struct ExitWatch {
    exit: watch::Receiver<Option<Termination>>,
}

impl ExitWatch {
    /// Resolves when the process has exited (at once if it already has).
    pub async fn exited(&mut self) -> Termination {
        let waited = self.exit.wait_for(Option::is_some).await.map(|exit| *exit);
        // An error means the supervisor is gone, which only happens once the process is
        // reaped: the last value it published stands.
        let exit = waited.unwrap_or_else(|_| *self.exit.borrow());
        exit.unwrap_or(Termination::Success)
    }

    /// The exit status, if it has exited.
    pub fn exit(&self) -> Option<Termination> {
        *self.exit.borrow()
    }
}

/// A process under supervision.
#[derive(Debug)]
pub struct Supervised {
    pid: u32,
    exit: ExitWatch,
    report: watch::Receiver<Option<ProcessReport>>,
}

impl Supervised {
    /// Its process id, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// A watch on the process's own exit.
    pub fn exit_watch(&self) -> ExitWatch {
        self.exit.clone()
    }

    /// Resolves when the process has exited, its pipes were read to end of file (or, where the
    /// platform cannot find their holder, abandoned with a warning), and its group and every
    /// process adopted from it are reaped.
    pub async fn finished(&self) -> ProcessReport {
        let mut report = self.report.clone();
        let fallback = ProcessReport {
            termination: Termination::from_signal(Signal::KILL),
            signalled_by_us: true,
            duration: Duration::ZERO,
        };
        let waited = report.wait_for(Option::is_some).await.map(|done| *done);
        let done = waited.unwrap_or_else(|_| *report.borrow());
        done.unwrap_or(fallback)
    }
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
    registry::register(pgid);
    let guard = GroupGuard { pgid };

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
    Ok(Supervised {
        pid,
        exit: ExitWatch { exit: exit_rx },
        report: report_rx,
    })
}

#[cfg(target_os = "linux")]
fn die_with_parent(command: &mut Command) {
    // SAFETY: getpid has no preconditions.
    let parent = unsafe { libc::getpid() };
    // SAFETY: the closure runs in the forked child before exec and only calls prctl and
    // getppid, which are async-signal-safe, and allocates nothing.
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(io::Error::last_os_error());
            }
            // The parent may have died between fork and prctl: then no signal will come.
            if libc::getppid() != parent {
                return Err(io::Error::other(
                    "the session exited while the runtime was starting",
                ));
            }
            Ok(())
        });
    }
}

/// Kills the group if supervision is abandoned half-way (a panic, a runtime shutting down).
struct GroupGuard {
    pgid: i32,
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        if group_exists(self.pgid) {
            signal_group(self.pgid, libc::SIGKILL);
        }
        registry::unregister(self.pgid);
    }
}

struct Supervisor {
    label: String,
    pgid: i32,
    timing: ProcessTiming,
    clock: Arc<dyn Clock>,
    /// The supervisor's `session` lines, forwarded in order to the output.
    story: mpsc::UnboundedSender<LineBatch>,
    /// How the pipe readers are doing with the output.
    delivery: Arc<Delivery>,
    stop: watch::Receiver<StopLevel>,
    readers: Vec<JoinHandle<()>>,
    abandon: watch::Sender<bool>,
    /// Armed until the group is known empty: then it is dropped at once, so that a pgid the
    /// system may reuse is never signalled later (by this guard or by the panic hook).
    guard: Option<GroupGuard>,
    started: Instant,
}

/// How waiting for a group to empty ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GroupWait {
    /// No living process is left in it.
    Empty,
    /// The grace deadline passed first.
    GraceExpired,
    /// A kill was asked meanwhile: the grace is skipped.
    KillAsked,
}

/// What the supervisor has done to the group so far.
#[derive(Debug, Default, Clone, Copy)]
struct Signals {
    term_sent: bool,
    kill_sent: bool,
    kill_at: Option<Instant>,
}

impl Supervisor {
    async fn run(
        mut self,
        mut child: Child,
        exit_tx: watch::Sender<Option<Termination>>,
    ) -> ProcessReport {
        let mut signals = Signals::default();
        let mut stop_open = true;
        let status = loop {
            let level = *self.stop.borrow_and_update();
            self.act_on(level, &mut signals);
            let kill_at = signals.kill_at.filter(|_| !signals.kill_sent);
            tokio::select! {
                status = child.wait() => break status,
                changed = self.stop.changed(), if stop_open => stop_open = changed.is_ok(),
                () = sleep_until(kill_at.unwrap_or_else(Instant::now)), if kill_at.is_some() => {
                    // Signal first, then tell.
                    let killed = self.send_kill(&mut signals);
                    self.say(Severity::Warn, &self.grace_expired());
                    self.tell_kill(killed);
                }
            }
        };
        let duration = self.started.elapsed();
        let termination = match status {
            Ok(status) => termination_of(status),
            Err(error) => {
                tracing::error!(label = %self.label, %error, "waiting for the process failed");
                Termination::from_signal(Signal::KILL)
            }
        };
        let signalled_by_us = signals.term_sent || signals.kill_sent;
        let _ = exit_tx.send(Some(termination));
        self.after_exit(&mut signals).await;
        ProcessReport {
            termination,
            signalled_by_us,
            duration,
        }
    }

    fn act_on(&mut self, level: StopLevel, signals: &mut Signals) {
        match level {
            StopLevel::Running => {}
            StopLevel::Terminate if signals.term_sent || signals.kill_sent => {}
            StopLevel::Terminate if self.timing.stop_grace.is_zero() => self.kill_group(signals),
            StopLevel::Terminate => self.terminate_group(signals),
            StopLevel::Kill if signals.kill_sent => {}
            StopLevel::Kill => self.kill_group(signals),
        }
    }

    /// SIGTERM to the group, with SIGKILL due after `stop_grace`.
    fn terminate_group(&mut self, signals: &mut Signals) {
        signals.term_sent = true;
        signals.kill_at = Some(deadline_after(Instant::now(), self.timing.stop_grace));
        if signal_group(self.pgid, libc::SIGTERM) {
            let message = format!(
                "{}: SIGTERM sent to process group {}",
                self.label, self.pgid
            );
            self.say(Severity::Info, &message);
        }
    }

    fn kill_group(&mut self, signals: &mut Signals) {
        let killed = self.send_kill(signals);
        self.tell_kill(killed);
    }

    /// SIGKILL to the group; `true` if the signal was delivered.
    fn send_kill(&self, signals: &mut Signals) -> bool {
        signals.kill_sent = true;
        signal_group(self.pgid, libc::SIGKILL)
    }

    fn tell_kill(&self, killed: bool) {
        if killed {
            let message = format!(
                "{}: SIGKILL sent to process group {}",
                self.label, self.pgid
            );
            self.say(Severity::Warn, &message);
        }
    }

    fn grace_expired(&self) -> String {
        let grace = human_duration(self.timing.stop_grace);
        format!("{}: stop grace of {grace} expired", self.label)
    }

    /// After the process exited: drain its pipes, end what it left in its group, reap what we
    /// adopted, then read the pipes to end of file.
    async fn after_exit(&mut self, signals: &mut Signals) {
        let readers = std::mem::take(&mut self.readers);
        let mut drained = pin!(async move {
            for reader in readers {
                let _ = reader.await;
            }
        });
        let pipes_closed = self.wait_for_pipes(&mut drained).await;

        if group_alive(self.pgid) {
            self.end_leftovers(signals).await;
        }
        self.reap_adopted().await;
        if !group_alive(self.pgid) {
            drop(self.guard.take());
        }
        if !pipes_closed {
            self.finish_reading(&mut drained).await;
        }
        if signals.term_sent || signals.kill_sent {
            let message = format!("{}: process group {} is empty", self.label, self.pgid);
            self.say(Severity::Info, &message);
        }
    }

    /// Kills and reaps what this process adopted; warns about those that were still alive
    /// (zombies, such as a group member re-parented after its shell died, are reaped
    /// silently). `true` if any was alive.
    async fn reap_adopted(&self) -> bool {
        let alive = reap_adopted().await;
        if alive.is_empty() {
            return false;
        }
        let message = format!(
            "{}: killed and reaped adopted processes {}",
            self.label,
            list(&alive)
        );
        self.say(Severity::Warn, &message);
        true
    }

    /// Gives the pipes `pipe_grace` to reach end of file. `true` if they did.
    ///
    /// A stop asked meanwhile cuts the grace short when living processes remain in the group:
    /// they are what holds the pipes, and the stop is about ending them now.
    async fn wait_for_pipes(&mut self, drained: &mut (impl Future<Output = ()> + Unpin)) -> bool {
        let deadline = deadline_after(Instant::now(), self.timing.pipe_grace);
        let mut stop_open = true;
        loop {
            let stopping = *self.stop.borrow_and_update() != StopLevel::Running;
            if stopping && group_alive(self.pgid) {
                return false;
            }
            tokio::select! {
                () = &mut *drained => return true,
                () = sleep_until(deadline) => return false,
                changed = self.stop.changed(), if stop_open && !stopping => {
                    stop_open = changed.is_ok();
                }
            }
        }
    }

    /// Ends whatever is left in the group once its leader has exited.
    ///
    /// When a stop already signalled the group, what remains is part of that stop: it keeps
    /// the stop's grace and is told as the stop goes on. Otherwise the leftovers are named in a
    /// warning and ended as for a stop: SIGTERM, `stop_grace`, SIGKILL (at once when the grace
    /// is zero or a kill is asked).
    async fn end_leftovers(&mut self, signals: &mut Signals) {
        if !signals.term_sent && !signals.kill_sent {
            let who = match group_members(self.pgid) {
                // They ended on their own between the two looks.
                Some(members) if members.is_empty() => return,
                Some(members) => format!("processes {}", list(&members)),
                None => "processes".to_owned(),
            };
            let message = format!(
                "{} exited but left {who} in its process group: ending them",
                self.label
            );
            self.say(Severity::Warn, &message);
        }
        let kill_asked = *self.stop.borrow() == StopLevel::Kill;
        if !signals.kill_sent && !kill_asked && !self.timing.stop_grace.is_zero() {
            if !signals.term_sent {
                self.terminate_group(signals);
            }
            let deadline = signals
                .kill_at
                .unwrap_or_else(|| deadline_after(Instant::now(), self.timing.stop_grace));
            match self.wait_group_empty(Some(deadline)).await {
                GroupWait::Empty => return,
                GroupWait::KillAsked => {}
                GroupWait::GraceExpired => {
                    // Signal first, then tell.
                    let killed = self.send_kill(signals);
                    self.say(Severity::Warn, &self.grace_expired());
                    self.tell_kill(killed);
                }
            }
        }
        if !signals.kill_sent {
            self.kill_group(signals);
        }
        self.wait_group_empty(None).await;
    }

    /// Waits (polling with back-off) until no living process is left in the group, reaping
    /// adopted zombies on the way. With a `deadline`, also returns when it passes or when a
    /// kill is asked, so that the caller can escalate.
    async fn wait_group_empty(&mut self, deadline: Option<Instant>) -> GroupWait {
        let mut pause = Duration::from_millis(1);
        loop {
            reap_adopted_zombies();
            if !group_alive(self.pgid) {
                return GroupWait::Empty;
            }
            if let Some(deadline) = deadline {
                if Instant::now() >= deadline {
                    return GroupWait::GraceExpired;
                }
                if *self.stop.borrow() == StopLevel::Kill {
                    return GroupWait::KillAsked;
                }
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(10));
        }
    }

    /// The pipes outlived the group: a descendant outside it holds them. On Linux, as a
    /// subreaper, it is ours to find once its parent is gone; elsewhere, or once a stop is
    /// asked, we give up on the pipes after `pipe_grace` (readers still deliver what they
    /// have read).
    async fn finish_reading(&mut self, drained: &mut (impl Future<Output = ()> + Unpin)) {
        // Never spin: a zero `pipe_grace` still leaves a pause between two procfs sweeps.
        let pause = self.timing.pipe_grace.max(Duration::from_millis(10));
        loop {
            if timeout(pause, &mut *drained).await.is_ok() {
                return;
            }
            // A reader waiting on a blocked sink is not held up by the pipe.
            if self.delivery.is_waiting() {
                continue;
            }
            if self.reap_adopted().await {
                continue;
            }
            let stop_asked = *self.stop.borrow() != StopLevel::Running;
            if is_subreaper() && cfg!(target_os = "linux") && !stop_asked {
                // The holder is a descendant whose parent still lives outside the group;
                // it will be adopted when that parent goes.
                continue;
            }
            let _ = self.abandon.send(true);
            let message = format!(
                "{}: its output pipes are held open by a process outside its group; no longer reading them",
                self.label
            );
            self.say(Severity::Warn, &message);
            drained.await;
            return;
        }
    }

    /// Queues one `session` line for the forwarder; never waits.
    fn say(&self, severity: Severity, message: &str) {
        let batch = LineBatch::session_line(self.clock.now(), severity, message);
        let _ = self.story.send(batch);
    }
}

fn termination_of(status: std::process::ExitStatus) -> Termination {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal().and_then(Signal::from_number)) {
        (Some(code), _) => Termination::from_code(code),
        (None, Some(signal)) => Termination::from_signal(signal),
        (None, None) => Termination::from_signal(Signal::KILL),
    }
}

fn list(pids: &[i32]) -> String {
    pids.iter()
        .map(i32::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `start + duration`, or a deadline so far ahead that it never comes when the sum does not fit
/// (a huge configured duration must not panic).
pub fn deadline_after(start: Instant, duration: Duration) -> Instant {
    const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);
    start
        .checked_add(duration)
        .or_else(|| start.checked_add(FAR_FUTURE))
        .or_else(|| start.checked_add(Duration::from_secs(24 * 60 * 60)))
        .unwrap_or(start)
}

/// `2 s`, `200 ms`, `1.21 s`: how durations read in session lines.
pub fn human_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis} ms")
    } else {
        format!("{:.2} s", duration.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_duration_is_a_far_deadline_not_a_panic() {
        let now = Instant::now();
        let far = deadline_after(now, Duration::MAX);
        assert!(far > now + Duration::from_secs(10 * 365 * 24 * 60 * 60));
        assert_eq!(
            deadline_after(now, Duration::from_secs(2)),
            now + Duration::from_secs(2)
        );
    }
}
