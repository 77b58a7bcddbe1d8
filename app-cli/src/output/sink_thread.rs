//! A `LogSink` whose writing happens on a thread of its own.
//!
//! The session's tasks must never block on a write (a paused terminal would stop commands),
//! so each sink hands its batches over a small bounded channel to a dedicated thread. Waiting
//! for room in that channel is the back-pressure the service expects from a slow sink. The
//! thread formats each batch into a buffer and writes whenever the buffer is large or the
//! channel runs dry, so a reader who keeps up sees every event at once.

use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use async_trait::async_trait;
use session_domain::{Batch, Seq};
use session_ports::{LogSink, SinkError};
use tokio::sync::{mpsc, watch};

/// Buffered bytes are written out once they pass this size, even mid-burst.
const WRITE_THRESHOLD: usize = 256 * 1024;

/// Batches a sink thread may have waiting before the service waits for it.
const CHANNEL_BATCHES: usize = 2;

/// What a sink thread does with the batches it receives.
pub(crate) trait BatchWriter: Send + 'static {
    /// Formats every event of `batch` into the writer's buffer (or keeps it); no I/O.
    fn format(&mut self, batch: &Arc<Batch>);

    /// Bytes formatted and not yet written.
    fn pending(&self) -> usize;

    /// Writes what is buffered to the destination and makes it visible to its reader.
    fn write_out(&mut self) -> Result<(), SinkError>;

    /// The thread is ending (everything written, or a failure): let go of what another
    /// thread waits on, before the writer goes back to whoever joins the thread.
    fn finish(&mut self) {}
}

/// How far a sink thread has written, so that another can wait for it: the log file holds
/// each batch before stdout shows it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Watermark(Arc<(Mutex<WatermarkState>, Condvar)>);

#[derive(Debug, Default)]
struct WatermarkState {
    written: Seq,
    /// The writer is gone: nobody may wait for it any more.
    ended: bool,
    /// How many threads wait for it: a wake-up is a system call, worth making only for them.
    waiting: usize,
}

impl Watermark {
    fn advance(&self, written: Seq) {
        let (state, changed) = &*self.0;
        let mut state = state.lock().unwrap_or_else(PoisonError::into_inner);
        state.written = written;
        if state.waiting > 0 {
            changed.notify_all();
        }
    }

    fn end(&self) {
        let (state, changed) = &*self.0;
        state.lock().unwrap_or_else(PoisonError::into_inner).ended = true;
        changed.notify_all();
    }

    fn wait_for(&self, seq: Seq) {
        let (state, changed) = &*self.0;
        let mut guard = state.lock().unwrap_or_else(PoisonError::into_inner);
        guard.waiting += 1;
        let mut guard = changed
            .wait_while(guard, |state| state.written < seq && !state.ended)
            .unwrap_or_else(PoisonError::into_inner);
        guard.waiting -= 1;
    }
}

/// How far a sink thread has written, for the service's `flush` to wait on.
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    written: Seq,
    /// The thread is gone (it failed, or has nothing more to write).
    ended: bool,
}

/// The sink the service writes to.
#[derive(Debug)]
pub(crate) struct ThreadSink {
    name: &'static str,
    batches: mpsc::Sender<Arc<Batch>>,
    failure: Arc<Mutex<Option<SinkError>>>,
    /// The last `seq` handed to the thread.
    sent: Seq,
    progress: watch::Receiver<Progress>,
}

/// The thread behind a [`ThreadSink`]; joining it gives the writer back.
#[derive(Debug)]
pub(crate) struct SinkThread<W> {
    handle: JoinHandle<W>,
    failure: Arc<Mutex<Option<SinkError>>>,
}

/// A writer back from its thread, with the failure no one was told of yet (one that
/// happened on the last batches, after the service's final flush).
#[derive(Debug)]
pub(crate) struct Finished<W> {
    pub(crate) writer: W,
    pub(crate) unreported: Option<SinkError>,
}

impl<W> SinkThread<W> {
    /// Waits for the thread to write everything it was given. `None` if it panicked.
    pub(crate) fn join(self) -> Option<Finished<W>> {
        let writer = self.handle.join().ok()?;
        let unreported = self
            .failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        Some(Finished { writer, unreported })
    }
}

/// Starts a sink thread for `writer`. With `after`, it writes nothing that the watermark's
/// writer has not written first. The returned watermark tells how far this one has written.
pub(crate) fn start_sink_thread<W: BatchWriter>(
    name: &'static str,
    writer: W,
    after: Option<Watermark>,
) -> std::io::Result<(ThreadSink, SinkThread<W>, Watermark)> {
    let (batches, receiver) = mpsc::channel(CHANNEL_BATCHES);
    let failure = Arc::new(Mutex::new(None));
    let written = Watermark::default();
    let (progress_tx, progress) = watch::channel(Progress::default());
    let worker = Worker {
        writer,
        after,
        written: written.clone(),
        progress: progress_tx,
        failure: Arc::clone(&failure),
        formatted: 0,
    };
    let handle = std::thread::Builder::new()
        .name(format!("prometeu-{name}"))
        .spawn(move || worker.run(receiver))?;
    let sink = ThreadSink {
        name,
        batches,
        failure: Arc::clone(&failure),
        sent: 0,
        progress,
    };
    Ok((sink, SinkThread { handle, failure }, written))
}

impl ThreadSink {
    fn take_failure(&self) -> Option<SinkError> {
        self.failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }
}

#[async_trait]
impl LogSink for ThreadSink {
    async fn write(&mut self, batch: Arc<Batch>) -> Result<(), SinkError> {
        if let Some(failure) = self.take_failure() {
            return Err(failure);
        }
        let last = batch.last_seq();
        // Waiting here is the back-pressure: the service stops reading the children's pipes.
        if self.batches.send(batch).await.is_err() {
            return Err(self.take_failure().unwrap_or_else(|| SinkError::Failed {
                sink: self.name.to_owned(),
                message: "its writer thread has stopped".to_owned(),
            }));
        }
        self.sent = last;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), SinkError> {
        // The thread writes by itself whenever it runs out of batches. Waiting until it has
        // written what it was given means a failure on these batches is reported now: the
        // next batch, which would otherwise tell it, may never come (a quiet runtime).
        let sent = self.sent;
        // An error means the thread is gone, which `take_failure` then tells.
        let _ = self
            .progress
            .wait_for(|progress| progress.ended || progress.written >= sent)
            .await;
        match self.take_failure() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }
}

struct Worker<W> {
    writer: W,
    after: Option<Watermark>,
    written: Watermark,
    progress: watch::Sender<Progress>,
    failure: Arc<Mutex<Option<SinkError>>>,
    /// The `seq` of the last event formatted.
    formatted: Seq,
}

impl<W: BatchWriter> Worker<W> {
    fn run(mut self, mut batches: mpsc::Receiver<Arc<Batch>>) -> W {
        let result = self.write_all(&mut batches);
        self.writer.finish();
        if let Err(error) = result {
            *self.failure.lock().unwrap_or_else(PoisonError::into_inner) = Some(error);
        }
        self.written.end();
        self.progress.send_modify(|progress| progress.ended = true);
        self.writer
    }

    fn write_all(&mut self, batches: &mut mpsc::Receiver<Arc<Batch>>) -> Result<(), SinkError> {
        loop {
            let batch = match batches.try_recv() {
                Ok(batch) => batch,
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    self.write_out()?;
                    match batches.blocking_recv() {
                        Some(batch) => batch,
                        None => break,
                    }
                }
            };
            self.writer.format(&batch);
            self.formatted = batch.last_seq();
            if self.writer.pending() >= WRITE_THRESHOLD {
                self.write_out()?;
            }
        }
        self.write_out()
    }

    fn write_out(&mut self) -> Result<(), SinkError> {
        if let Some(after) = &self.after {
            after.wait_for(self.formatted);
        }
        if self.writer.pending() > 0 {
            self.writer.write_out()?;
        }
        self.written.advance(self.formatted);
        let formatted = self.formatted;
        self.progress
            .send_modify(|progress| progress.written = formatted);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use session_domain::{EventLog, LineBatch, LogLimits, Severity, Timestamp};

    use super::*;

    /// Records `(who, last seq written)` into a journal shared by both writers.
    struct Recording {
        who: &'static str,
        journal: Arc<Mutex<Vec<(&'static str, Seq)>>>,
        formatted: Option<Seq>,
        slow: bool,
        fail_at: Option<Seq>,
    }

    impl BatchWriter for Recording {
        fn format(&mut self, batch: &Arc<Batch>) {
            self.formatted = Some(batch.last_seq());
        }

        fn pending(&self) -> usize {
            usize::from(self.formatted.is_some())
        }

        fn write_out(&mut self) -> Result<(), SinkError> {
            let Some(seq) = self.formatted.take() else {
                return Ok(());
            };
            if self.slow {
                // Slower than the other writer, so that an ordering bug would show.
                std::thread::yield_now();
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            if self.fail_at.is_some_and(|at| seq >= at) {
                return Err(SinkError::Failed {
                    sink: self.who.to_owned(),
                    message: "disk full".to_owned(),
                });
            }
            self.journal
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((self.who, seq));
            Ok(())
        }
    }

    fn batches(count: usize) -> Vec<Arc<Batch>> {
        let mut log = EventLog::new(LogLimits::default());
        (0..count)
            .filter_map(|index| {
                let line = format!("line {index}");
                log.append_lines(
                    1,
                    LineBatch::session_line(Timestamp::EPOCH, Severity::Info, &line),
                )
            })
            .collect()
    }

    fn recording(
        who: &'static str,
        journal: &Arc<Mutex<Vec<(&'static str, Seq)>>>,
        slow: bool,
        fail_at: Option<Seq>,
    ) -> Recording {
        Recording {
            who,
            journal: Arc::clone(journal),
            formatted: None,
            slow,
            fail_at,
        }
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a runtime")
    }

    #[test]
    fn the_second_sink_never_writes_what_the_first_has_not() {
        let journal = Arc::new(Mutex::new(Vec::new()));
        let (mut first, first_thread, written) =
            start_sink_thread("first", recording("first", &journal, true, None), None)
                .expect("a thread");
        let (mut second, second_thread, _) = start_sink_thread(
            "second",
            recording("second", &journal, false, None),
            Some(written),
        )
        .expect("a thread");
        runtime().block_on(async {
            for batch in batches(300) {
                first.write(Arc::clone(&batch)).await.expect("written");
                second.write(batch).await.expect("written");
            }
        });
        drop((first, second));
        assert!(
            first_thread
                .join()
                .is_some_and(|done| done.unreported.is_none())
        );
        assert!(
            second_thread
                .join()
                .is_some_and(|done| done.unreported.is_none())
        );

        let journal = journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let mut first_written = 0;
        for (who, seq) in &journal {
            match *who {
                "first" => first_written = *seq,
                _ => assert!(
                    *seq <= first_written,
                    "second wrote {seq} before first had: {journal:?}"
                ),
            }
        }
        assert_eq!(journal.last().map(|(_, seq)| *seq), Some(300));
    }

    #[test]
    fn a_failure_is_reported_by_the_next_write_or_flush_and_frees_the_next_sink() {
        let journal = Arc::new(Mutex::new(Vec::new()));
        let (mut first, first_thread, written) =
            start_sink_thread("first", recording("first", &journal, false, Some(5)), None)
                .expect("a thread");
        let (mut second, second_thread, _) = start_sink_thread(
            "second",
            recording("second", &journal, false, None),
            Some(written),
        )
        .expect("a thread");
        let failed = runtime().block_on(async {
            let mut failed = None;
            for batch in batches(50) {
                if failed.is_none() {
                    if let Err(error) = first.write(Arc::clone(&batch)).await {
                        failed = Some(error);
                    }
                }
                second.write(batch).await.expect("the second sink goes on");
            }
            // The channel holds two batches: the thread met batch 5 and ended long before the
            // last write, whose send then failed.
            failed
        });
        assert_eq!(
            failed.map(|error| error.to_string()),
            Some("first cannot be written: disk full".to_owned())
        );
        drop((first, second));
        assert!(first_thread.join().is_some());
        let second = second_thread.join().expect("no panic");
        assert!(second.unreported.is_none());
        let journal = journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        assert_eq!(
            journal.last(),
            Some(&("second", 50)),
            "the second sink wrote everything"
        );
    }

    /// Fails its first write, once the test opens the gate.
    struct FailsWhenLetGo {
        gate: std::sync::mpsc::Receiver<()>,
        pending: bool,
    }

    impl BatchWriter for FailsWhenLetGo {
        fn format(&mut self, _batch: &Arc<Batch>) {
            self.pending = true;
        }

        fn pending(&self) -> usize {
            usize::from(self.pending)
        }

        fn write_out(&mut self) -> Result<(), SinkError> {
            let _ = self.gate.recv();
            Err(SinkError::Failed {
                sink: "gated".to_owned(),
                message: "disk full".to_owned(),
            })
        }
    }

    #[test]
    fn flush_reports_a_failure_on_the_batches_already_written_without_a_next_batch() {
        // The last batch before a quiet spell fails: nothing else will be written, so the
        // flush that follows it is the only chance to tell the service (which stops the run).
        let (open_gate, gate) = std::sync::mpsc::channel();
        let writer = FailsWhenLetGo {
            gate,
            pending: false,
        };
        let (mut sink, thread, _) = start_sink_thread("gated", writer, None).expect("a thread");
        let flushed = runtime().block_on(async {
            let batch = batches(1).remove(0);
            sink.write(batch).await.expect("handed over");
            let mut flush = std::pin::pin!(sink.flush());
            let early = tokio::select! {
                biased;
                result = &mut flush => Some(result),
                () = std::future::ready(()) => None,
            };
            assert_eq!(
                early, None,
                "flush answered before the thread wrote the batch"
            );
            open_gate.send(()).expect("the thread waits");
            flush.await
        });
        assert_eq!(
            flushed.map_err(|error| error.to_string()),
            Err("gated cannot be written: disk full".to_owned())
        );
        drop(sink);
        assert!(thread.join().is_some_and(|done| done.unreported.is_none()));
    }
}
