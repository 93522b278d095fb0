//! [`RedisBroker`]: the handle a service keeps, connecting and starting its tasks.

use std::convert::Infallible;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock, Weak};

use bytes::Bytes;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{Client, IntoConnectionInfo, ProtocolVersion, PushInfo};
use rpc_core::{BoxFuture, Broker, Error, ErrorCode, LocalTopics};
use tokio::sync::mpsc;

use crate::config::RedisConfig;
use crate::error::ConnectError;
use crate::publisher::{self, Outgoing};
use crate::shared::{timed_out, Inner};
use crate::stats::{Counters, RedisStats};

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
        let inner = Arc::new(Inner::new(config, redis));
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
        if !self.handle.inner.attach(topics) {
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
