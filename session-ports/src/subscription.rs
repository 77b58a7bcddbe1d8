//! Lossy, independent readers of the event stream.

use std::collections::VecDeque;
use std::sync::Arc;

use serde::ser::SerializeStruct;
use session_domain::{EventRef, JsonWriter, Seq, write_missed_line};
use tokio::sync::watch;

use crate::shared::{Progress, Shared};

/// How many event handles a subscription copies out per lock of the shared log.
const CHUNK: usize = 4096;

/// One item of a subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionItem {
    /// This many events were evicted before this subscriber read them; it continues from the
    /// oldest event held.
    Missed {
        /// How many.
        count: u64,
    },
    /// The next event.
    Event(EventRef),
}

impl SubscriptionItem {
    /// Appends the item's canonical JSON line (`{"kind":"missed","count":n}` for a gap).
    pub fn write_json_line(&self, writer: &mut JsonWriter, out: &mut Vec<u8>) {
        match self {
            Self::Missed { count } => write_missed_line(*count, out),
            Self::Event(event) => writer.write_line(&event.view(), out),
        }
    }
}

impl serde::Serialize for SubscriptionItem {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Missed { count } => {
                let mut out = serializer.serialize_struct("Missed", 2)?;
                out.serialize_field("kind", "missed")?;
                out.serialize_field("count", count)?;
                out.end()
            }
            Self::Event(event) => event.serialize(serializer),
        }
    }
}

/// An owned reader of the session's events, from a starting point on.
///
/// It never slows the run: it reads the shared, bounded log at its own pace, and when the log
/// evicted what it had not read yet it receives [`SubscriptionItem::Missed`] and continues
/// from the oldest event held. It is `Send + 'static`, so it can move to another task or, later,
/// a network connection.
#[derive(Debug)]
pub struct Subscription {
    shared: Arc<Shared>,
    wake: watch::Receiver<Progress>,
    /// The `seq` of the last event read out of the log into `ready` (or skipped as missed).
    cursor: Seq,
    /// The `seq` of the last event handed out (or reported missed) by `next`/`try_next`.
    delivered: Seq,
    ready: VecDeque<SubscriptionItem>,
}

impl Subscription {
    pub(crate) fn new(shared: Arc<Shared>, after: Seq) -> Self {
        let wake = shared.watch();
        let cursor = {
            let session = shared.session();
            let log = session.log();
            if after == 0 {
                // "From the oldest held": pin that point now, so that events evicted before
                // the first read are reported as missed rather than skipped silently.
                log.oldest_held_seq() - 1
            } else {
                after.min(log.last_seq())
            }
        };
        Self {
            shared,
            wake,
            cursor,
            delivered: cursor,
            ready: VecDeque::new(),
        }
    }

    /// The next item; `None` once the session has shut down and every held event was read.
    pub async fn next(&mut self) -> Option<SubscriptionItem> {
        loop {
            if let Some(item) = self.try_next() {
                return Some(item);
            }
            let progress = *self.wake.borrow_and_update();
            if progress.last_seq > self.cursor {
                continue;
            }
            if progress.closed {
                return None;
            }
            if self.wake.changed().await.is_err() {
                // The session is gone: deliver what is still held, then end.
                if let Some(item) = self.try_next() {
                    return Some(item);
                }
                return None;
            }
        }
    }

    /// The next item if one is available now, without waiting.
    pub fn try_next(&mut self) -> Option<SubscriptionItem> {
        if self.ready.is_empty() {
            self.refill();
        }
        let item = self.ready.pop_front()?;
        match &item {
            SubscriptionItem::Event(event) => self.delivered = event.seq(),
            SubscriptionItem::Missed { count } => self.delivered += count,
        }
        Some(item)
    }

    /// The `seq` of the last event this subscription handed out or reported missed.
    pub fn position(&self) -> Seq {
        self.delivered
    }

    /// The subscription as a `futures` stream.
    pub fn into_stream(self) -> impl futures::Stream<Item = SubscriptionItem> + Send + 'static {
        futures::stream::unfold(self, |mut subscription| async move {
            subscription.next().await.map(|item| (item, subscription))
        })
    }

    fn refill(&mut self) {
        let mut read = {
            let session = self.shared.session();
            let log = session.log();
            let mut read = log.read_after(self.cursor, CHUNK);
            if self.cursor == 0 {
                // The log reads 0 as "from the oldest held, no miss"; for a subscription that
                // started before the first event, anything evicted since was missed.
                read.missed = log.oldest_held_seq() - 1;
            }
            read
        };
        if read.missed > 0 {
            self.ready
                .push_back(SubscriptionItem::Missed { count: read.missed });
            self.cursor += read.missed;
        }
        if let Some(last) = read.events.last() {
            self.cursor = last.seq();
        }
        self.ready
            .extend(read.events.drain(..).map(SubscriptionItem::Event));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use session_domain::{EventLog, LineBatch, LogLimits, Severity, Timestamp};

    use super::*;

    fn json_line(item: &SubscriptionItem) -> String {
        let mut out = Vec::new();
        item.write_json_line(&mut JsonWriter::default(), &mut out);
        String::from_utf8(out).expect("JSON is UTF-8")
    }

    #[test]
    fn every_item_writes_what_serde_writes() {
        let mut log = EventLog::new(LogLimits::default());
        let batch = log
            .append_lines(
                1,
                LineBatch::session_line(Timestamp::EPOCH, Severity::Info, "hello \"you\""),
            )
            .expect("a line is stored");
        let event = EventRef::new(Arc::clone(&batch), 0).expect("inside the batch");
        for item in [
            SubscriptionItem::Missed { count: 0 },
            SubscriptionItem::Missed { count: u64::MAX },
            SubscriptionItem::Event(event),
        ] {
            let serde = serde_json::to_string(&item).expect("an item serialises");
            assert_eq!(json_line(&item), format!("{serde}\n"));
        }
        assert_eq!(
            json_line(&SubscriptionItem::Missed { count: 7 }),
            "{\"kind\":\"missed\",\"count\":7}\n"
        );
    }
}
