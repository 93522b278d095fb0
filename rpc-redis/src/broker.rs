//! [`RedisBroker`]: the handle a service keeps, and what its tasks share.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, IntoConnectionInfo, ProtocolVersion, PushInfo, PushKind, Value};
use rpc_core::{BoxFuture, Broker, Error, ErrorCode, LocalTopics};
use tokio::sync::{mpsc, Notify};

use crate::config::RedisConfig;
use crate::error::ConnectError;
use crate::publisher::{self, Outgoing};
use crate::stats::{Counters, RedisStats};
use crate::wire::{read_payload, Incoming, Names};

/// Carries a [`Topics`](rpc_core::Topics)' messages between server
/// processes through Redis: give every process one, on the same Redis,
/// with [`Topics::with_broker`](rpc_core::Topics::with_broker).
///
/// Cheap to clone (clones share the connection and statistics); the
/// broker stops once every clone and the topics are dropped.
///
/// ```no_run
/// use rpc_core::Topics;
/// use rpc_redis::{RedisBroker, RedisConfig};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let broker = RedisBroker::connect(RedisConfig::new("redis://127.0.0.1:6379")).await?;
/// let topics = Topics::new()
///     .topic("news")
///     .retained_topic("weather")
///     .with_broker(broker.clone());
/// // Reaches the subscribers of `news` on every process.
/// topics.publish("news", &["hello"])?;
/// println!("{:?}", broker.stats());
/// # Ok(())
/// # }
/// ```
///
/// See the [crate documentation](crate) for what a subscriber sees, and
/// when.
#[derive(Clone)]
pub struct RedisBroker {
    handle: Arc<Handle>,
}

/// Stops the tasks when the last clone goes.
struct Handle {
    inner: Arc<Inner>,
    /// Messages for the publishing task.
    outgoing: mpsc::Sender<Outgoing>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.inner.stop();
    }
}

/// What the broker's tasks and the connection's push handler share.
pub(crate) struct Inner {
    pub(crate) config: RedisConfig,
    pub(crate) names: Names,
    /// One multiplexed RESP3 connection for commands and subscriptions; it
    /// reconnects by itself.
    pub(crate) redis: ConnectionManager,
    pub(crate) counters: Counters,
    local: OnceLock<LocalTopics>,
    interest: Mutex<Interest>,
    /// The topics whose channel the connection subscribes to now.
    subscribed: Mutex<HashSet<Box<str>>>,
    /// Woken when `subscribed` grows.
    pub(crate) renewed: Notify,
    /// Set when the connection is lost: its subscriptions went with it.
    pub(crate) lost: AtomicBool,
    stopped: AtomicBool,
    /// Wakes the subscription task (interest changed, connection lost, stop).
    pub(crate) wake: Notify,
}

/// What this process needs from Redis.
#[derive(Default)]
pub(crate) struct Interest {
    /// Topics with receivers here, and whether each is retained.
    pub(crate) wanted: HashMap<Box<str>, bool>,
    /// Retained topics whose stored message is to be loaded (a first
    /// receiver came, or the connection came back).
    pub(crate) to_load: HashSet<Box<str>>,
}

impl RedisBroker {
    /// Connects to the Redis of `config` (RESP3, which Redis 6 and later
    /// speak) and starts the broker's tasks on the current tokio runtime.
    /// Fails when the URL is invalid or Redis cannot be reached within
    /// the connect timeout; once connected, a lost connection is
    /// reconnected without end.
    pub async fn connect(config: RedisConfig) -> Result<Self, ConnectError> {
        let info = config
            .url
            .as_str()
            .into_connection_info()
            .map_err(ConnectError::invalid_url)?;
        let settings = info
            .redis_settings()
            .clone()
            .set_protocol(ProtocolVersion::RESP3);
        let client =
            Client::open(info.set_redis_settings(settings)).map_err(ConnectError::invalid_url)?;
        // One plain connection first: the manager below retries a refusal
        // (a wrong password, say) until the timeout, hiding why.
        let first = tokio::time::timeout(
            config.connect_timeout,
            client.get_multiplexed_async_connection(),
        );
        match first.await {
            Ok(Ok(_)) => {}
            Ok(Err(err)) => return Err(ConnectError::failed(err)),
            Err(_) => return Err(ConnectError::failed(timed_out())),
        }
        // The push handler needs the broker, which needs the connection
        // that holds the handler: it finds the broker through this.
        let route: Arc<OnceLock<Weak<Inner>>> = Arc::default();
        let pushes = Arc::clone(&route);
        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.connect_timeout))
            .set_response_timeout(Some(config.command_timeout))
            .set_min_delay(config.reconnect_min)
            .set_max_delay(config.reconnect_max)
            .set_push_sender(move |push: PushInfo| {
                if let Some(inner) = pushes.get().and_then(Weak::upgrade) {
                    inner.on_push(push);
                }
                Ok::<(), Infallible>(())
            });
        let redis = ConnectionManager::new_lazy_with_config(client, manager_config)
            .map_err(ConnectError::invalid_url)?;
        let (outgoing, queue) = mpsc::channel(config.publish_queue);
        let inner = Arc::new(Inner {
            names: Names::new(&config.prefix),
            config,
            redis,
            counters: Counters::default(),
            local: OnceLock::new(),
            interest: Mutex::default(),
            subscribed: Mutex::default(),
            renewed: Notify::new(),
            lost: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            wake: Notify::new(),
        });
        let _ = route.set(Arc::downgrade(&inner));
        inner.ping().await.map_err(ConnectError::failed)?;
        inner.counters.connected.store(true, Ordering::Release);
        tracing::info!(prefix = %inner.config.prefix, "connected to Redis");
        tokio::spawn(crate::subscriber::keep_subscriptions(Arc::clone(&inner)));
        tokio::spawn(publisher::publish_queued(Arc::clone(&inner), queue));
        Ok(Self {
            handle: Arc::new(Handle { inner, outgoing }),
        })
    }

    /// The broker's statistics now.
    pub fn stats(&self) -> RedisStats {
        self.handle.inner.counters.snapshot()
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &RedisConfig {
        &self.handle.inner.config
    }
}

impl fmt::Debug for RedisBroker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisBroker")
            .field("config", &self.handle.inner.config)
            .field("stats", &self.stats())
            .finish()
    }
}

impl Broker for RedisBroker {
    fn attach(&self, topics: LocalTopics) {
        if self.handle.inner.local.set(topics).is_err() {
            tracing::error!(
                "this Redis broker already serves other topics; give each `Topics` its own broker"
            );
        }
    }

    fn publish(&self, topic: &str, message: Bytes, retain: bool) -> Result<(), Error> {
        let inner = &self.handle.inner;
        if !inner.counters.connected.load(Ordering::Acquire) {
            Counters::add(&inner.counters.refused, 1);
            return Err(
                Error::new(ErrorCode::SERVER_ERROR, "The message broker is unreachable")
                    .with_data("Redis is out of reach; publish again once it is back"),
            );
        }
        let outgoing = Outgoing {
            topic: topic.into(),
            message,
            retain,
        };
        self.handle.outgoing.try_send(outgoing).map_err(|_| {
            Counters::add(&inner.counters.refused, 1);
            Error::new(ErrorCode::SERVER_ERROR, "The message broker is busy")
                .with_data("too many messages wait to go to Redis; publish again shortly")
        })
    }

    fn subscribe(&self, topic: &str, retain: bool) {
        let inner = &self.handle.inner;
        let mut interest = inner.interest();
        interest.wanted.insert(topic.into(), retain);
        if retain {
            interest.to_load.insert(topic.into());
        }
        drop(interest);
        inner.wake.notify_one();
    }

    fn unsubscribe(&self, topic: &str) {
        let inner = &self.handle.inner;
        let mut interest = inner.interest();
        interest.wanted.remove(topic);
        interest.to_load.remove(topic);
        drop(interest);
        inner.wake.notify_one();
    }

    fn ready(&self, topic: &str) -> BoxFuture<'static, ()> {
        let inner = Arc::clone(&self.handle.inner);
        let topic: Box<str> = topic.into();
        Box::pin(async move {
            let subscribed = async {
                loop {
                    // Made before the check: a renewal in between still wakes it.
                    let renewed = inner.renewed.notified();
                    if inner.subscribed().contains(&topic) {
                        return;
                    }
                    renewed.await;
                }
            };
            // Redis out of reach: the subscription follows once it is back.
            let _ = tokio::time::timeout(inner.config.command_timeout, subscribed).await;
        })
    }
}

impl Inner {
    pub(crate) fn interest(&self) -> MutexGuard<'_, Interest> {
        self.interest.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn subscribed(&self) -> MutexGuard<'_, HashSet<Box<str>>> {
        self.subscribed
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn local(&self) -> Option<&LocalTopics> {
        self.local.get()
    }

    pub(crate) fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire) || self.local().is_some_and(LocalTopics::is_closed)
    }

    fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.wake.notify_one();
    }

    /// A round trip to Redis within the command timeout (waiting, while it
    /// reconnects, for the new connection).
    pub(crate) async fn ping(&self) -> Result<(), redis::RedisError> {
        let mut redis = self.redis.clone();
        let ping = redis::cmd("PING");
        let ping = ping.exec_async(&mut redis);
        match tokio::time::timeout(self.config.command_timeout, ping).await {
            Ok(answer) => answer,
            Err(_) => Err(timed_out()),
        }
    }

    /// What the connection pushes: channel messages, and its loss.
    fn on_push(&self, push: PushInfo) {
        match push.kind {
            PushKind::Message => self.on_message(push.data),
            PushKind::Disconnection => self.on_connection_lost(),
            // Subscription confirmations: the subscribe command waits for them.
            _ => {}
        }
    }

    fn on_message(&self, data: Vec<Value>) {
        let mut data = data.into_iter();
        let (Some(Value::BulkString(channel)), Some(Value::BulkString(payload))) =
            (data.next(), data.next())
        else {
            tracing::debug!("a channel message of an unexpected shape; dropped");
            return;
        };
        let Some(topic) = self.names.topic_of(&channel) else {
            return;
        };
        Counters::add(&self.counters.received, 1);
        let Some(local) = self.local() else {
            return;
        };
        match read_payload(Bytes::from(payload)) {
            Some(Incoming::Plain(message)) => {
                local.deliver(topic, message);
            }
            Some(Incoming::Numbered(number, message)) => {
                local.deliver_numbered(topic, number, message);
            }
            None => tracing::debug!(
                topic,
                "a channel message not of this broker's framing; dropped"
            ),
        }
    }

    fn on_connection_lost(&self) {
        if self.counters.connected.swap(false, Ordering::AcqRel) {
            Counters::add(&self.counters.connections_lost, 1);
            tracing::warn!(
                "lost the connection to Redis: reconnecting; messages published meanwhile are lost"
            );
        }
        self.lost.store(true, Ordering::Release);
        if let Some(local) = self.local() {
            local.connection_lost();
        }
        self.wake.notify_one();
    }
}

pub(crate) fn timed_out() -> redis::RedisError {
    redis::RedisError::from(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "Redis did not answer in time",
    ))
}
