//! Publish and subscribe over connections, in aiohttp-json-rpc's manner:
//! declared topics, connections that subscribe to them, and a
//! [`publish`](Topics::publish) callable from anywhere that reaches every
//! subscriber as the notification `{"jsonrpc":"2.0","method":"<topic>","params":<data>}`.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Topics`]: declaring, subscribing, publishing |
//! | `methods.rs` | the built-in methods clients call ([`TopicMethods`]) |

mod methods;

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};

use bytes::Bytes;
use rustc_hash::FxHashMap;
use serde::Serialize;

use crate::connection::{Offer, Peer};
use crate::context::Context;
use crate::error::{Error, ErrorCode};
use crate::guard::{Guard, SharedGuard};

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

struct Registry {
    /// Tells registries apart on a connection (see `leave_on_close`).
    id: u64,
    topics: RwLock<FxHashMap<Box<str>, Topic>>,
}

impl Default for Topics {
    fn default() -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Self {
            inner: Arc::new(Registry {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                topics: RwLock::default(),
            }),
        }
    }
}

#[derive(Default)]
struct Topic {
    guard: Option<SharedGuard>,
    retain: bool,
    /// The last message, for new subscribers of a retained topic.
    last: Option<Bytes>,
    subscribers: FxHashMap<u64, Peer>,
}

impl fmt::Debug for Topics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topics")
            .field("names", &self.names())
            .field("subscriptions", &self.subscription_count())
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

impl Topics {
    /// No topics yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, FxHashMap<Box<str>, Topic>> {
        self.inner
            .topics
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, FxHashMap<Box<str>, Topic>> {
        self.inner
            .topics
            .write()
            .unwrap_or_else(PoisonError::into_inner)
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
        let mut topics = self.write();
        let topic = topics.entry(name.into_boxed_str()).or_default();
        topic.guard = guard;
        topic.retain = retain;
        drop(topics);
        self
    }

    /// Every declared topic, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().keys().map(|name| name.to_string()).collect();
        names.sort_unstable();
        names
    }

    /// How many subscriptions there are, over all topics and connections.
    pub fn subscription_count(&self) -> usize {
        self.read()
            .values()
            .map(|topic| topic.subscribers.len())
            .sum()
    }

    /// Publishes `data` to `topic`: every subscribed connection (that its
    /// guard lets through) is offered the notification. Returns how many
    /// connections it was queued for; an undeclared topic is an error.
    pub fn publish(&self, topic: &str, data: &(impl Serialize + ?Sized)) -> Result<usize, Error> {
        let mut message = Vec::with_capacity(64 + topic.len());
        message.extend_from_slice(br#"{"jsonrpc":"2.0","method":"#);
        serde_json::to_writer(&mut message, topic).map_err(internal)?;
        message.extend_from_slice(br#","params":"#);
        serde_json::to_writer(&mut message, data).map_err(internal)?;
        message.push(b'}');
        self.publish_message(topic, Bytes::from(message))
    }

    /// Offers an encoded notification to the subscribers of `topic`.
    fn publish_message(&self, topic: &str, message: Bytes) -> Result<usize, Error> {
        let mut closed = Vec::new();
        let queued = {
            let topics = self.read();
            let entry = topics.get(topic).ok_or_else(|| unknown_topic(topic))?;
            let mut queued = 0;
            for (id, peer) in &entry.subscribers {
                if !may_receive(entry.guard.as_ref(), peer) {
                    continue;
                }
                match peer.offer(message.clone()) {
                    Offer::Queued => queued += 1,
                    Offer::Dropped => {}
                    Offer::Closed => closed.push(*id),
                }
            }
            queued
        };
        let retained = self.read().get(topic).is_some_and(|entry| entry.retain);
        if retained || !closed.is_empty() {
            let mut topics = self.write();
            if let Some(entry) = topics.get_mut(topic) {
                if entry.retain {
                    entry.last = Some(message);
                }
                for id in closed {
                    entry.subscribers.remove(&id);
                }
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
        {
            let mut all = self.write();
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
                topic.subscribers.insert(peer.id(), peer.clone());
                if let Some(last) = &topic.last {
                    retained.push(last.clone());
                }
            }
        }
        self.leave_on_close(peer);
        if !retained.is_empty() {
            let receiver = peer.clone();
            let deliver = move || {
                for message in retained {
                    receiver.offer(message);
                }
            };
            // After the answer to this call: a subscriber learns it is
            // subscribed before it receives anything.
            if let Err(deliver) = crate::connection::scope::after_answer(Box::new(deliver)) {
                deliver();
            }
        }
        Ok(self.subscriptions_of(peer))
    }

    /// Unsubscribes the connection of `ctx` from `topics`; returns its
    /// remaining subscriptions.
    pub fn unsubscribe(&self, ctx: &Context, topics: &[&str]) -> Result<Vec<String>, Error> {
        let peer = ctx.peer()?;
        {
            let mut all = self.write();
            for name in topics {
                if let Some(topic) = all.get_mut(*name) {
                    if topic.subscribers.remove(&peer.id()).is_some() {
                        peer.release_subscription_slot();
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
                let mut topics = registry
                    .topics
                    .write()
                    .unwrap_or_else(PoisonError::into_inner);
                for topic in topics.values_mut() {
                    topic.subscribers.remove(&id);
                }
            }
        });
    }

    /// The built-in methods clients call to subscribe, in aiohttp-json-rpc's
    /// names; see [`TopicMethods`].
    pub fn methods(&self) -> TopicMethods {
        TopicMethods::new(self.clone())
    }
}

/// Whether the connection of `peer` may receive a message of a topic with `guard`.
fn may_receive(guard: Option<&SharedGuard>, peer: &Peer) -> bool {
    let Some(guard) = guard else {
        return true;
    };
    peer.context().is_some_and(|ctx| guard.check(&ctx).is_ok())
}

#[cold]
fn internal(err: serde_json::Error) -> Error {
    tracing::error!(error = %err, "topic data could not be serialized");
    Error::internal_error().with_data("the data could not be serialized")
}
