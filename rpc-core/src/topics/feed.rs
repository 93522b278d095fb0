//! [`TopicFeed`]: a topic's messages as a stream of typed values, read by
//! the server itself: what feeds a typed [`Subscription`](crate::Subscription)
//! from a topic, so that its items come from any process a broker joins.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_util::Stream;
use serde::de::DeserializeOwned;
use tokio::sync::mpsc;

use super::registry::Registry;

/// Source of feed ids, unique in the process.
static NEXT_FEED: AtomicU64 = AtomicU64::new(1);

/// The registry's end of a feed: where a topic's messages are offered.
pub(super) struct FeedSender {
    id: u64,
    sender: mpsc::Sender<Bytes>,
    dropped: Arc<AtomicU64>,
}

impl FeedSender {
    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// Offers a message without waiting: a feed that is full drops it (and
    /// counts it); one whose reader has gone ignores it (it leaves the
    /// topic as it drops).
    pub(super) fn offer(&self, message: &Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.sender.try_send(message.clone()) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The messages of one topic as values of `T`, in the order they come:
/// published in this process, or, with a broker, anywhere.
///
/// Made by [`Topics::feed`](super::Topics::feed). It holds up to its
/// capacity of messages not yet read; past that, new messages are dropped
/// (counted by [`dropped`](Self::dropped)): a publish never waits for a
/// feed. A message whose data does not decode as `T` is skipped (and
/// logged). Dropping the feed leaves the topic.
///
/// A feed of a retained topic starts with the topic's last message.
///
/// ```
/// use futures_util::StreamExt;
/// use rpc_core::Topics;
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let topics = Topics::new().topic("prices");
/// let mut prices = topics.feed::<f64>("prices", 16)?;
/// topics.publish("prices", &101.5)?;
/// assert_eq!(prices.next().await, Some(101.5));
/// # Ok::<(), rpc_core::Error>(())
/// # }).unwrap();
/// ```
pub struct TopicFeed<T> {
    receiver: mpsc::Receiver<Bytes>,
    /// Where the data starts in each message: after
    /// `{"jsonrpc":"2.0","method":<topic>,"params":`.
    data_from: usize,
    topic: Box<str>,
    id: u64,
    registry: Weak<Registry>,
    dropped: Arc<AtomicU64>,
    marker: PhantomData<fn() -> T>,
}

impl<T> TopicFeed<T> {
    /// Makes a feed of `topic` and its registry's end; `data_from` is the
    /// length of the topic's notification prefix.
    pub(super) fn new(
        topic: &str,
        capacity: usize,
        data_from: usize,
        registry: Weak<Registry>,
    ) -> (Self, FeedSender) {
        let (sender, receiver) = mpsc::channel(capacity.max(1));
        let id = NEXT_FEED.fetch_add(1, Ordering::Relaxed);
        let dropped = Arc::new(AtomicU64::new(0));
        let feed = Self {
            receiver,
            data_from,
            topic: topic.into(),
            id,
            registry,
            dropped: Arc::clone(&dropped),
            marker: PhantomData,
        };
        (
            feed,
            FeedSender {
                id,
                sender,
                dropped,
            },
        )
    }

    /// The topic this feed reads.
    pub fn topic(&self) -> &str {
        &self.topic
    }

    /// Messages dropped because the feed was full when they came.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl<T: DeserializeOwned> TopicFeed<T> {
    /// The next value; `None` once the topics are gone.
    pub async fn recv(&mut self) -> Option<T> {
        std::future::poll_fn(|cx| self.poll_value(cx)).await
    }

    fn poll_value(&mut self, cx: &mut TaskContext<'_>) -> Poll<Option<T>> {
        loop {
            let Some(message) = std::task::ready!(self.receiver.poll_recv(cx)) else {
                return Poll::Ready(None);
            };
            // The message is `<prefix><data>}`: the data decodes in place.
            let data = message
                .get(self.data_from..message.len().saturating_sub(1))
                .unwrap_or_default();
            match serde_json::from_slice(data) {
                Ok(value) => return Poll::Ready(Some(value)),
                Err(err) => {
                    tracing::warn!(topic = %self.topic, error = %err, "a topic message that does not decode as the feed's type; skipped");
                }
            }
        }
    }
}

impl<T: DeserializeOwned> Stream for TopicFeed<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<T>> {
        self.get_mut().poll_value(cx)
    }
}

impl<T> fmt::Debug for TopicFeed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TopicFeed")
            .field("topic", &self.topic)
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl<T> Drop for TopicFeed<T> {
    fn drop(&mut self) {
        let Some(registry) = self.registry.upgrade() else {
            return;
        };
        let mut topics = registry.write();
        if let Some(topic) = topics.get_mut(&*self.topic) {
            topic.feeds.retain(|feed| feed.id() != self.id);
            registry.maybe_lost_last_receiver(&self.topic, topic);
        }
    }
}
