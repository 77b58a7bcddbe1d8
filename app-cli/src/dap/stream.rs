//! The events the adapter follows, from an embedded subscription or a server's stream, read
//! in batches: the first item waited for, then whatever else has already arrived.

use adapter_dap::Item;
use adapter_http::client::StreamItem;
use session_ports::{Subscription, SubscriptionItem};

use crate::client::follow::{Followed, Follower, Lost};

/// Items handed to the bridge at most per batch: enough to coalesce a busy run's output into
/// few messages, few enough that a request is never kept waiting long.
const BATCH_ITEMS: usize = 4096;

/// Where the followed events come from.
#[derive(Debug)]
pub(super) enum EventSource {
    /// The adapter's own session.
    Embedded(Subscription),
    /// A server's stream, resumed across dropped connections.
    Server(Follower),
}

/// One batch, owning its items (the bridge borrows views of them).
#[derive(Debug)]
pub(super) enum Batch {
    Embedded(Vec<SubscriptionItem>),
    Server(Vec<StreamItem>),
}

impl Batch {
    /// The items as the bridge reads them.
    pub(super) fn items(&self) -> Vec<Item<'_>> {
        match self {
            Self::Embedded(items) => items
                .iter()
                .map(|item| match item {
                    SubscriptionItem::Event(event) => Item::Event(event.view()),
                    SubscriptionItem::Missed { count } => Item::Missed { count: *count },
                })
                .collect(),
            Self::Server(items) => items
                .iter()
                .map(|item| match item {
                    StreamItem::Event(event) => Item::Event(event.view()),
                    StreamItem::Missed { count } => Item::Missed { count: *count },
                })
                .collect(),
        }
    }
}

impl EventSource {
    /// The next batch; `None` once the events have ended (the session shut down, or the
    /// server is gone or was replaced, so the run followed is over for this client).
    pub(super) async fn next_batch(&mut self) -> Option<Batch> {
        match self {
            Self::Embedded(subscription) => {
                let mut items = vec![subscription.next().await?];
                while items.len() < BATCH_ITEMS {
                    match subscription.try_next() {
                        Some(item) => items.push(item),
                        None => break,
                    }
                }
                Some(Batch::Embedded(items))
            }
            Self::Server(follower) => {
                let first = loop {
                    match follower.next().await {
                        Followed::Item(item) => break item,
                        // The follower backs off and tries again at the next call.
                        Followed::Lost(Lost::Unreachable(error)) => {
                            tracing::warn!(%error, "the server did not answer; trying again");
                        }
                        Followed::Lost(Lost::NoServer)
                        | Followed::NewSession { .. }
                        | Followed::Ended => return None,
                    }
                };
                let mut items = vec![first];
                while items.len() < BATCH_ITEMS {
                    match follower.try_next() {
                        Some(item) => items.push(item),
                        None => break,
                    }
                }
                Some(Batch::Server(items))
            }
        }
    }
}
