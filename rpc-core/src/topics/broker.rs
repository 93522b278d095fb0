//! [`Broker`]: where the topics of many server processes meet, and
//! [`LocalTopics`], the side of a process's [`Topics`](super::Topics) a
//! broker delivers to.
//!
//! Without a broker, a publish offers its message to this process's
//! subscribers and nothing more (the in-memory default, which costs nothing
//! extra). With one, a publish goes to the broker only, and every process
//! (the publishing one too) delivers what the broker hands it to its own
//! subscribers, through the same per-connection queues and slow-consumer
//! policy: all processes see a topic's messages in the broker's order.

use std::fmt;
use std::sync::Weak;

use bytes::Bytes;

use super::registry::Registry;
use crate::error::Error;
use crate::handler::BoxFuture;

/// Carries topic messages between server processes (Redis pub/sub, NATS,
/// and the like). Set one with [`Topics::with_broker`](super::Topics::with_broker).
///
/// The [`Topics`](super::Topics) call it, never waiting on it:
///
/// | call | when | the broker |
/// |---|---|---|
/// | [`attach`](Self::attach) | once, when it is set | keeps the [`LocalTopics`] to deliver to |
/// | [`subscribe`](Self::subscribe) | a topic has its first receiver in this process | starts receiving the topic; for a retained one, loads its stored last message into [`LocalTopics::loaded`] |
/// | [`unsubscribe`](Self::unsubscribe) | the topic's last receiver here has gone | stops receiving it |
/// | [`publish`](Self::publish) | `Topics::publish` | sends the message to every process receiving the topic, this one included; stores and numbers it when retained |
/// | [`ready`](Self::ready) | `Topics::ready`, the `subscribe` method before it answers | resolves once the topic's messages reach this process |
///
/// What comes in goes to [`LocalTopics::deliver`], or, numbered, to
/// [`LocalTopics::deliver_numbered`]. A broker that loses its connection
/// says so with [`LocalTopics::connection_lost`], and once back subscribes
/// again to what it was receiving and loads the retained topics again.
pub trait Broker: Send + Sync + fmt::Debug + 'static {
    /// Takes the topics this broker delivers to. Called once, before any
    /// other call.
    fn attach(&self, topics: LocalTopics);

    /// Sends `message` (the topic's encoded notification) to every process
    /// that receives `topic`, this one included, without waiting for it
    /// to arrive. With `retain`, the broker also stores it as the topic's
    /// last message, and numbers it above every earlier one.
    ///
    /// An error is what is known at once (the broker is unreachable, its
    /// queue is full); the caller's publish fails with it.
    fn publish(&self, topic: &str, message: Bytes, retain: bool) -> Result<(), Error>;

    /// This process has its first receiver of `topic`: deliver its messages
    /// from now on. For a `retain` topic, also load its stored last message
    /// (after the subscription is in place, so that nothing falls between
    /// the two) and hand it to [`LocalTopics::loaded`].
    fn subscribe(&self, topic: &str, retain: bool);

    /// The last receiver of `topic` in this process has gone.
    fn unsubscribe(&self, topic: &str);

    /// Resolves once messages of `topic` published anywhere reach this
    /// process (its subscription is in place), or once the broker gives up
    /// waiting (it is unreachable). The default resolves at once, for a
    /// broker that cannot tell.
    fn ready(&self, topic: &str) -> BoxFuture<'static, ()> {
        let _ = topic;
        Box::pin(std::future::ready(()))
    }
}

/// The receiving side of a process's [`Topics`](super::Topics), for its
/// [`Broker`]: hands what comes through the broker to the subscribed
/// connections and feeds of this process, with the guards, per-connection
/// queues and slow-consumer policy of a local publish.
///
/// It holds the topics weakly: once they are gone, deliveries reach no one
/// and [`is_closed`](Self::is_closed) says so.
#[derive(Clone)]
pub struct LocalTopics {
    registry: Weak<Registry>,
}

impl fmt::Debug for LocalTopics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalTopics")
            .field("closed", &self.is_closed())
            .finish()
    }
}

impl LocalTopics {
    pub(super) fn new(registry: Weak<Registry>) -> Self {
        Self { registry }
    }

    /// Whether the topics are gone (the broker may stop).
    pub fn is_closed(&self) -> bool {
        self.registry.strong_count() == 0
    }

    /// Offers `message` (a topic's encoded notification, as published) to
    /// this process's receivers of `topic`; returns how many connections
    /// it was queued for. A message of a topic this process does not
    /// declare reaches no one.
    pub fn deliver(&self, topic: &str, message: Bytes) -> usize {
        let Some(registry) = self.registry.upgrade() else {
            return 0;
        };
        let mut closed = Vec::new();
        let (queued, retain) = {
            let topics = registry.read();
            let Some(entry) = topics.get(topic) else {
                tracing::debug!(topic, "a message of an undeclared topic; dropped");
                return 0;
            };
            (entry.fan_out(&message, &mut closed), entry.retain)
        };
        if retain || !closed.is_empty() {
            let mut topics = registry.write();
            if let Some(entry) = topics.get_mut(topic) {
                if entry.retain && entry.has_receivers() {
                    entry.last = Some(message);
                    // They were receivers: the message reached them.
                    entry.shared.awaiting.clear();
                }
                registry.remove_closed(topic, entry, &closed);
            }
        }
        queued
    }

    /// Offers a retained topic's message that the broker numbered
    /// `number`: only when it is newer than the last one this process has,
    /// so that no receiver gets a message twice or an older one after a
    /// newer one. Returns how many connections it was queued for.
    pub fn deliver_numbered(&self, topic: &str, number: u64, message: Bytes) -> usize {
        let Some(registry) = self.registry.upgrade() else {
            return 0;
        };
        let mut topics = registry.write();
        let Some(entry) = topics.get_mut(topic) else {
            tracing::debug!(topic, "a message of an undeclared topic; dropped");
            return 0;
        };
        if number <= entry.shared.number {
            tracing::debug!(
                topic,
                number,
                last = entry.shared.number,
                "a retained message no newer than the last one; dropped"
            );
            return 0;
        }
        let mut closed = Vec::new();
        let queued = entry.fan_out(&message, &mut closed);
        if entry.retain && entry.has_receivers() {
            entry.shared.number = number;
            entry.last = Some(message);
            // The newest there is: as good as a load, and those waiting had it.
            entry.shared.loaded = true;
            entry.shared.awaiting.clear();
        }
        registry.remove_closed(topic, entry, &closed);
        queued
    }

    /// The stored last message of retained `topic` (with its number), or
    /// `None` when the broker stores none: what [`Broker::subscribe`]
    /// loads, and loads again after a reconnection.
    ///
    /// Receivers that came while it loaded get the newest of it and what
    /// came meanwhile. After a reconnection, a stored message that differs
    /// from the one this process had goes to every receiver: the value
    /// changed while they were cut off.
    pub fn loaded(&self, topic: &str, stored: Option<(u64, Bytes)>) {
        let Some(registry) = self.registry.upgrade() else {
            return;
        };
        let mut topics = registry.write();
        let Some(entry) = topics.get_mut(topic) else {
            return;
        };
        if !entry.has_receivers() {
            return;
        }
        let reload = entry.shared.loaded;
        if let Some((number, message)) = stored.filter(|(number, _)| *number > entry.shared.number)
        {
            entry.shared.number = number;
            let changed = entry.last.as_ref() != Some(&message);
            entry.last = Some(message.clone());
            if reload && changed {
                let mut closed = Vec::new();
                entry.fan_out(&message, &mut closed);
                registry.remove_closed(topic, entry, &closed);
            }
        }
        entry.serve_awaiting();
        entry.shared.loaded = true;
    }

    /// The broker's connection was lost: its numbering may start again
    /// (a broker restarted without its data), so the next message of each
    /// retained topic is taken whatever its number. The last messages are
    /// kept, for new receivers and to tell what changed once reloaded.
    pub fn connection_lost(&self) {
        let Some(registry) = self.registry.upgrade() else {
            return;
        };
        for topic in registry.write().values_mut() {
            topic.shared.number = 0;
        }
    }
}
