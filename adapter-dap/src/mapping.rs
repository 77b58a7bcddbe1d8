//! The pure mapping from one run's session items to DAP event bodies.
//!
//! Runtime stdout and stderr keep their categories, everything else is `console`, and the
//! line that states a failure is `important`. Each preparation step is one collapsed group,
//! opened by its `started` and closed by its `ended` (or by whatever proves it over: the next
//! step, the end of the run). Consecutive lines of one category are coalesced into one
//! `output` per call, so a busy run costs one message per read, not one per line.

use std::time::Duration;

use session_domain::{
    EventView, LogView, RunNumber, SessionState, Source, StateView, StepName, StepPhase, StepView,
    Stream, human_duration,
};

use crate::protocol::{
    Category, EventBody, ExitedBody, Group, OutputBody, ProcessBody, StartMethod,
};

/// Coalesced output is cut at about this many bytes, so that no single message is huge
/// (a client parses each one whole).
const MAX_OUTPUT_BYTES: usize = 64 * 1024;

/// One item of the session's stream, however it reached the adapter (an embedded
/// subscription's shared events, or owned events decoded from a server's stream).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item<'a> {
    /// An event.
    Event(EventView<'a>),
    /// This many events were lost before the adapter read them.
    Missed {
        /// How many.
        count: u64,
    },
}

/// The run being shown, and what has been said of it so far.
#[derive(Debug)]
pub(crate) struct RunMapping {
    run: RunNumber,
    start_method: StartMethod,
    open_group: Option<StepName>,
    runtime_pid: Option<u32>,
    pending: Option<OutputBody>,
}

/// What one item meant for the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    /// The run goes on.
    Continues,
    /// The run reached this terminal state; nothing of it follows.
    Ended(SessionState),
}

impl RunMapping {
    pub(crate) fn new(run: RunNumber, start_method: StartMethod) -> Self {
        Self {
            run,
            start_method,
            open_group: None,
            runtime_pid: None,
            pending: None,
        }
    }

    /// Maps one item, appending event bodies to `out`. Coalesced output stays pending until
    /// [`flush`](Self::flush), which the caller does at the end of each batch.
    pub(crate) fn feed(&mut self, item: Item<'_>, out: &mut Vec<EventBody>) -> Progress {
        match item {
            Item::Missed { count } => {
                self.line(
                    Category::Console,
                    &format!(
                        "… {count} events were missed: the adapter fell behind the session's buffer"
                    ),
                    out,
                );
                Progress::Continues
            }
            Item::Event(event) if event.run() != self.run => Progress::Continues,
            Item::Event(EventView::Log(log)) => {
                self.log(&log, out);
                Progress::Continues
            }
            Item::Event(EventView::Step(step)) => {
                self.step(&step, out);
                Progress::Continues
            }
            Item::Event(EventView::State(state)) => self.state(&state, out),
        }
    }

    /// Sends what is pending.
    pub(crate) fn flush(&mut self, out: &mut Vec<EventBody>) {
        if let Some(body) = self.pending.take() {
            out.push(EventBody::Output(body));
        }
    }

    /// Closes a group left open (its end was never seen: missed, or the stream ended).
    pub(crate) fn close_group(&mut self, out: &mut Vec<EventBody>) {
        if let Some(step) = self.open_group.take() {
            self.flush(out);
            out.push(EventBody::Output(OutputBody {
                category: Category::Console,
                output: format!("{step}: its end was not seen\n"),
                group: Some(Group::End),
            }));
        }
    }

    fn log(&mut self, log: &LogView<'_>, out: &mut Vec<EventBody>) {
        let category = match (log.source, log.stream) {
            (Source::Runtime, Some(Stream::Stdout)) => Category::Stdout,
            (Source::Runtime, Some(Stream::Stderr)) => Category::Stderr,
            _ => Category::Console,
        };
        self.line(category, log.message, out);
    }

    fn step(&mut self, step: &StepView<'_>, out: &mut Vec<EventBody>) {
        match (step.step, step.phase) {
            (StepName::Runtime, StepPhase::Started { command, pid }) => {
                // A runtime that could not be started has no pid: no process, and no exit.
                if let Some(pid) = *pid {
                    self.close_group(out);
                    self.flush(out);
                    self.runtime_pid = Some(pid);
                    let name = command
                        .as_ref()
                        .and_then(|command| command.first())
                        .map_or_else(|| "runtime".to_owned(), Clone::clone);
                    out.push(EventBody::Process(ProcessBody {
                        name,
                        system_process_id: pid,
                        is_local_process: true,
                        start_method: self.start_method,
                    }));
                }
            }
            (StepName::Runtime, StepPhase::Ended(end)) => {
                if self.runtime_pid.take().is_some() {
                    let exit_code = match (end.exit_code(), end.signal()) {
                        (Some(code), _) => Some(code),
                        (None, Some(signal)) => Some(128 + signal.number()),
                        (None, None) => None,
                    };
                    if let Some(exit_code) = exit_code {
                        self.flush(out);
                        out.push(EventBody::Exited(ExitedBody { exit_code }));
                    }
                }
            }
            (name, StepPhase::Started { .. }) => {
                self.close_group(out);
                self.flush(out);
                self.open_group = Some(name);
                out.push(EventBody::Output(OutputBody {
                    category: Category::Console,
                    output: format!("{name}\n"),
                    group: Some(Group::StartCollapsed),
                }));
            }
            (name, StepPhase::Ended(end)) => {
                self.flush(out);
                let mut summary = format!("{name} {}", end.outcome);
                if let Some(exit) = end.exit {
                    summary.push_str(&format!(": {exit}"));
                }
                summary.push_str(&format!(
                    " in {}",
                    human_duration(Duration::from_millis(end.duration_ms))
                ));
                if self.open_group.take().is_none() {
                    // Its start was missed: the summary still ends the step, outside a group.
                    self.line(Category::Console, &summary, out);
                    return;
                }
                out.push(EventBody::Output(OutputBody {
                    category: Category::Console,
                    output: format!("{summary}\n"),
                    group: Some(Group::End),
                }));
            }
        }
    }

    fn state(&mut self, state: &StateView<'_>, out: &mut Vec<EventBody>) -> Progress {
        if state.to.is_terminal() {
            self.close_group(out);
        }
        match (state.failure, state.reason) {
            (Some(_), reason) => {
                // The failure line: the one sentence that says why the run failed.
                let text = reason.map_or_else(|| state.to.to_string(), str::to_owned);
                self.line(Category::Important, &text, out);
            }
            (None, Some(reason)) => {
                self.line(
                    Category::Console,
                    &format!("── {} ─ {reason}", state.to),
                    out,
                );
            }
            (None, None) => self.line(Category::Console, &format!("── {}", state.to), out),
        }
        if state.to.is_terminal() {
            self.flush(out);
            Progress::Ended(state.to)
        } else {
            Progress::Continues
        }
    }

    /// One line of `category`, coalesced with the pending output when it has the same one.
    fn line(&mut self, category: Category, message: &str, out: &mut Vec<EventBody>) {
        if let Some(pending) = &mut self.pending {
            if pending.category == category && pending.output.len() < MAX_OUTPUT_BYTES {
                pending.output.push_str(message);
                pending.output.push('\n');
                return;
            }
        }
        self.flush(out);
        let mut output = String::with_capacity(message.len() + 1);
        output.push_str(message);
        output.push('\n');
        self.pending = Some(OutputBody {
            category,
            output,
            group: None,
        });
    }
}
