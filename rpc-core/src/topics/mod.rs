//! Publish and subscribe over connections, in aiohttp-json-rpc's manner:
//! declared topics, connections that subscribe to them, and a
//! [`publish`](Topics::publish) callable from anywhere that reaches every
//! subscriber as the notification `{"jsonrpc":"2.0","method":"<topic>","params":<data>}`.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Topics`]: declaring, subscribing, publishing |
//! | `registry.rs` | each topic's receivers and last message, and the fan-out to them |
//! | `broker.rs` | [`Broker`]: topics across processes; [`LocalTopics`], what a broker delivers to |
//! | `feed.rs` | [`TopicFeed`]: a topic's messages as typed values, to feed a subscription |
//! | `methods.rs` | the built-in methods clients call ([`TopicMethods`]) |

mod broker;
mod feed;
mod methods;
mod registry;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, Weak};

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use self::registry::{Awaiting, Registry};
use crate::connection::Peer;
use crate::context::Context;
use crate::error::{Error, ErrorCode};
use crate::guard::{Guard, SharedGuard};

pub use broker::{Broker, LocalTopics};
pub use feed::TopicFeed;
pub use methods::TopicMethods;

/// The topics of a service, and which connections subscribe to each.
///
/// Cheap to clone (clones share everything): keep one in your service and
/// publish from any method, task or thread.
///
/// - A publish serializes the data once and offers every subscriber the same
///   bytes; it never waits: a subscriber whose queue is full meets its
///   connection's [`SlowConsumer`](crate::connection::SlowConsumer) policy.
/// - A guarded topic checks its [`Guard`] when a connection subscribes, and
///   again for each message it would receive, so a connection that logs out
///   receives nothing more of it.
/// - A retained topic keeps its last message and hands it to each new
///   subscriber, right after the answer to its `subscribe`.
/// - A connection's subscriptions end with it.
/// - With a [`Broker`] ([`with_broker`](Self::with_broker)), topics span
///   server processes: a publish on one reaches the subscribers of all.
///   Every process must declare the same topics.
///
/// ```
/// use rpc_core::guard;
/// use rpc_core::Topics;
///
/// let topics = Topics::new()
///     .topic("news")
///     .retained_topic("weather")
///     .guarded_topic("private", guard::login_required);
/// assert_eq!(topics.names(), ["news", "private", "weather"]);
/// // Nobody subscribes yet: queued for no connection.
/// assert_eq!(topics.publish("news", &["hello"]).unwrap(), 0);
/// assert!(topics.publish("nope", &[1]).is_err());
/// ```
#[derive(Clone)]
pub struct Topics {
    inner: Arc<Registry>,
}

impl Default for Topics {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self {
            inner: Arc::new(Registry {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                topics: RwLock::default(),
                broker: OnceLock::new(),
            }),
        }
    }
}

impl fmt::Debug for Topics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topics")
            .field("names", &self.names())
            .field("subscriptions", &self.subscription_count())
            .field("broker", &self.inner.broker())
            .finish()
    }
}

/// The answer to a publish to a topic nobody declared.
fn unknown_topic(topic: &str) -> Error {
    Error::invalid_params(format!(
        "Invalid params: unknown topic `{}`",
        crate::error::clip(topic)
    ))
    .with_data(&format!(
        "no topic named `{}` is declared",
        crate::error::clip(topic)
    ))
}

/// The start of every notification of `topic`, up to its data.
fn notification_prefix(topic: &str) -> Result<Vec<u8>, Error> {
    let mut message = Vec::with_capacity(64 + topic.len());
    message.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
    serde_json::to_writer(&mut message, topic).map_err(internal)?;
    message.extend_from_slice(br#","params":"#);
    Ok(message)
}

impl Topics {
    /// No topics yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares a topic anyone may subscribe to.
    #[must_use]
    pub fn topic(self, name: impl Into<String>) -> Self {
        self.declare(name.into(), None, false)
    }

    /// Declares a topic whose last message each new subscriber receives
    /// (aiohttp-json-rpc's `state=True`).
    #[must_use]
    pub fn retained_topic(self, name: impl Into<String>) -> Self {
        self.declare(name.into(), None, true)
    }

    /// Declares a topic only connections that pass `guard` may receive.
    #[must_use]
    pub fn guarded_topic(self, name: impl Into<String>, guard: impl Guard) -> Self {
        self.declare(name.into(), Some(SharedGuard::new(guard)), false)
    }

    fn declare(self, name: String, guard: Option<SharedGuard>, retain: bool) -> Self {
        let mut topics = self.inner.write();
        let topic = topics.entry(name.into_boxed_str()).or_default();
        topic.guard = guard;
        topic.retain = retain;
        drop(topics);
        self
    }

    /// Carries the topics across server processes through `broker`: from
    /// now on a publish goes to the broker, and this process delivers what
    /// the broker hands it (its own messages included) to its subscribers.
    /// Set it once, before serving; a second broker is ignored (and logged).
    ///
    /// See [`Broker`] for what a broker does, and the `rpc-redis` crate for
    /// one over Redis.
    #[must_use]
    pub fn with_broker(self, broker: impl Broker) -> Self {
        let broker: Arc<dyn Broker> = Arc::new(broker);
        if self.inner.broker.set(Arc::clone(&broker)).is_err() {
            tracing::error!("these topics already have a broker; the second one is ignored");
            return self;
        }
        broker.attach(LocalTopics::new(Arc::downgrade(&self.inner)));
        // Receivers from before the broker: it must hear their topics too.
        for (name, topic) in self.inner.write().iter_mut() {
            if topic.has_receivers() {
                topic.shared.loaded = false;
                broker.subscribe(name, topic.retain);
            }
        }
        self
    }

    /// Whether a broker carries these topics across processes.
    pub fn has_broker(&self) -> bool {
        self.inner.broker().is_some()
    }

    /// Every declared topic, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .read()
            .keys()
            .map(|name| name.to_string())
            .collect();
        names.sort_unstable();
        names
    }

    /// How many connection subscriptions there are in this process, over
    /// all topics.
    pub fn subscription_count(&self) -> usize {
        self.inner
            .read()
            .values()
            .map(|topic| topic.subscribers.len())
            .sum()
    }

    /// Publishes `data` to `topic`: every subscribed connection (that its
    /// guard lets through) is offered the notification, and every
    /// [feed](Self::feed) of the topic receives it. An undeclared topic is
    /// an error.
    ///
    /// Returns how many connections it was queued for. With a
    /// [broker](Self::with_broker), the message reaches subscribers when it
    /// comes back from the broker, in this process as in the others, so
    /// the count is 0; an error then also says the broker could not take
    /// the message (unreachable, or its queue is full).
    pub fn publish(&self, topic: &str, data: &(impl Serialize + ?Sized)) -> Result<usize, Error> {
        let mut message = notification_prefix(topic)?;
        serde_json::to_writer(&mut message, data).map_err(internal)?;
        message.push(b'}');
        self.publish_message(topic, Bytes::from(message))
    }

    /// Offers an encoded notification to the subscribers of `topic`.
    fn publish_message(&self, topic: &str, message: Bytes) -> Result<usize, Error> {
        if let Some(broker) = self.inner.broker() {
            let retain = self
                .inner
                .read()
                .get(topic)
                .ok_or_else(|| unknown_topic(topic))?
                .retain;
            broker.publish(topic, message, retain)?;
            return Ok(0);
        }
        let mut closed = Vec::new();
        let (queued, retain) = {
            let topics = self.inner.read();
            let entry = topics.get(topic).ok_or_else(|| unknown_topic(topic))?;
            (entry.fan_out(&message, &mut closed), entry.retain)
        };
        if retain || !closed.is_empty() {
            let mut topics = self.inner.write();
            if let Some(entry) = topics.get_mut(topic) {
                if entry.retain {
                    entry.last = Some(message);
                }
                self.inner.remove_closed(topic, entry, &closed);
            }
        }
        Ok(queued)
    }

    /// Subscribes the connection of `ctx` to each of `topics` it may
    /// receive; topics it may not (undeclared, or refused by their guard)
    /// are left out, as aiohttp-json-rpc leaves them. Returns the
    /// connection's subscriptions after the call.
    ///
    /// Over a transport without a connection (HTTP) there is nothing to
    /// subscribe: the error says so.
    pub fn subscribe(&self, ctx: &Context, topics: &[&str]) -> Result<Vec<String>, Error> {
        let peer = ctx.peer()?;
        let mut retained = Vec::new();
        // Retained topics whose last message the broker is still loading.
        let mut loading = Vec::new();
        {
            let mut all = self.inner.write();
            for name in topics {
                let Some(topic) = all.get_mut(*name) else {
                    tracing::debug!(topic = name, "subscription to an undeclared topic left out");
                    continue;
                };
                if topic.subscribers.contains_key(&peer.id()) {
                    continue;
                }
                if let Some(guard) = &topic.guard {
                    if let Err(refused) = guard.check(ctx) {
                        tracing::debug!(topic = name, error = %refused, "subscription refused by the topic's guard");
                        continue;
                    }
                }
                if !peer.take_subscription_slot() {
                    return Err(
                        Error::new(ErrorCode::SERVER_ERROR, "Too many subscriptions")
                            .with_data("this connection holds as many subscriptions as it may"),
                    );
                }
                let first = !topic.has_receivers();
                topic.subscribers.insert(peer.id(), peer.clone());
                if first {
                    self.inner.gained_first_receiver(name, topic);
                }
                if !topic.retain {
                    continue;
                }
                if self.inner.broker().is_none() || topic.shared.loaded {
                    if let Some(last) = &topic.last {
                        retained.push(last.clone());
                    }
                } else {
                    loading.push((*name).to_owned());
                }
            }
        }
        self.leave_on_close(peer);
        if !retained.is_empty() || !loading.is_empty() {
            let receiver = peer.clone();
            let registry = Arc::downgrade(&self.inner);
            let deliver = move || {
                for message in retained {
                    receiver.offer(message);
                }
                await_loads(&registry, receiver, &loading);
            };
            // After the answer to this call: a subscriber learns it is
            // subscribed before it receives anything.
            if let Err(deliver) = crate::connection::scope::after_answer(Box::new(deliver)) {
                deliver();
            }
        }
        Ok(self.subscriptions_of(peer))
    }

    /// Resolves once messages of each of `topics` published in any process
    /// reach this one: at once without a broker, or for topics this process
    /// already receives; otherwise once the broker's subscription is in
    /// place (or the broker gives up waiting, when it is unreachable).
    ///
    /// The built-in `subscribe` method waits for it before answering, so
    /// that a client that has its answer misses nothing published after.
    pub async fn ready(&self, topics: &[&str]) {
        let Some(broker) = self.inner.broker() else {
            return;
        };
        for topic in topics {
            broker.ready(topic).await;
        }
    }

    /// Unsubscribes the connection of `ctx` from `topics`; returns its
    /// remaining subscriptions.
    pub fn unsubscribe(&self, ctx: &Context, topics: &[&str]) -> Result<Vec<String>, Error> {
        let peer = ctx.peer()?;
        {
            let mut all = self.inner.write();
            for name in topics {
                if let Some(topic) = all.get_mut(*name) {
                    if topic.subscribers.remove(&peer.id()).is_some() {
                        peer.release_subscription_slot();
                        self.inner.maybe_lost_last_receiver(name, topic);
                    }
                }
            }
        }
        Ok(self.subscriptions_of(peer))
    }

    /// The topics the connection of `ctx` subscribes to, sorted (none over HTTP).
    pub fn subscriptions(&self, ctx: &Context) -> Vec<String> {
        ctx.peer()
            .map(|peer| self.subscriptions_of(peer))
            .unwrap_or_default()
    }

    fn subscriptions_of(&self, peer: &Peer) -> Vec<String> {
        let mut names: Vec<String> = self
            .inner
            .read()
            .iter()
            .filter(|(_, topic)| topic.subscribers.contains_key(&peer.id()))
            .map(|(name, _)| name.to_string())
            .collect();
        names.sort_unstable();
        names
    }

    /// Removes the connection from every topic when it ends (once per
    /// connection; a weak handle, so the topics do not live on through it).
    fn leave_on_close(&self, peer: &Peer) {
        if !peer.first_time_for(self.inner.id) {
            return;
        }
        let registry: Weak<Registry> = Arc::downgrade(&self.inner);
        let id = peer.id();
        peer.on_close(move || {
            if let Some(registry) = registry.upgrade() {
                let mut topics = registry.write();
                for (name, topic) in topics.iter_mut() {
                    if topic.subscribers.remove(&id).is_some() {
                        topic.shared.awaiting.retain(
                            |waiting| !matches!(waiting, Awaiting::Connection(peer) if peer.id() == id),
                        );
                        registry.maybe_lost_last_receiver(name, topic);
                    }
                }
            }
        });
    }

    /// A reader of `topic`'s messages as values of `T`, for the server's
    /// own use: most often to feed a typed [`Subscription`](crate::Subscription),
    /// which then carries what is published to the topic in any process
    /// the broker joins. Up to `capacity` messages wait to be read; past
    /// that, messages are dropped (a publish never waits).
    ///
    /// A feed is the server's reader, not a connection's: a topic's guard
    /// does not apply to it (check the caller in the method that hands it
    /// out). An undeclared topic is an error.
    ///
    /// ```
    /// use rpc_core::{rpc, Error, Subscription, Topics};
    ///
    /// struct Market {
    ///     topics: Topics,
    /// }
    ///
    /// #[rpc]
    /// impl Market {
    ///     /// Streams every price published to the topic `prices`.
    ///     #[rpc(subscription = "price", unsubscribe = "unsubscribe_prices")]
    ///     fn prices(&self) -> Result<Subscription<f64>, Error> {
    ///         Ok(Subscription::new(self.topics.feed::<f64>("prices", 64)?))
    ///     }
    /// }
    /// ```
    pub fn feed<T: DeserializeOwned>(
        &self,
        topic: &str,
        capacity: usize,
    ) -> Result<TopicFeed<T>, Error> {
        let data_from = notification_prefix(topic)?.len();
        let mut all = self.inner.write();
        let entry = all.get_mut(topic).ok_or_else(|| unknown_topic(topic))?;
        let (feed, sender) =
            TopicFeed::new(topic, capacity, data_from, Arc::downgrade(&self.inner));
        let first = !entry.has_receivers();
        let id = sender.id();
        entry.feeds.push(sender);
        if first {
            self.inner.gained_first_receiver(topic, entry);
        }
        if entry.retain {
            if self.inner.broker().is_none() || entry.shared.loaded {
                if let (Some(last), Some(sender)) = (&entry.last, entry.feeds.last()) {
                    sender.offer(last);
                }
            } else {
                entry.shared.awaiting.push(Awaiting::Feed(id));
            }
        }
        Ok(feed)
    }

    /// The built-in methods clients call to subscribe, in aiohttp-json-rpc's
    /// names; see [`TopicMethods`].
    pub fn methods(&self) -> TopicMethods {
        TopicMethods::new(self.clone())
    }
}

/// Right after a subscribe's answer: the connection gets the last message
/// of each of `topics` once loaded (at once if it has loaded meanwhile).
fn await_loads(registry: &Weak<Registry>, peer: Peer, topics: &[String]) {
    if topics.is_empty() {
        return;
    }
    let Some(registry) = registry.upgrade() else {
        return;
    };
    let mut all = registry.write();
    for name in topics {
        let Some(topic) = all.get_mut(name.as_str()) else {
            continue;
        };
        if !topic.subscribers.contains_key(&peer.id()) {
            continue;
        }
        if topic.shared.loaded {
            if let Some(last) = &topic.last {
                peer.offer(last.clone());
            }
        } else {
            topic
                .shared
                .awaiting
                .push(Awaiting::Connection(peer.clone()));
        }
    }
}

#[cold]
fn internal(err: serde_json::Error) -> Error {
    tracing::error!(error = %err, "topic data could not be serialized");
    Error::internal_error().with_data("the data could not be serialized")
}

#[cfg(test)]
mod tests;
