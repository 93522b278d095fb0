//! What the broker's tasks (subscribing, publishing) and the connection's
//! push handler share: the connection, the interest in topics, the topics
//! served here, and the signals between them.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use bytes::Bytes;
use redis::aio::ConnectionManager;
use redis::{PushInfo, PushKind, Value};
use rpc_core::LocalTopics;
use tokio::sync::Notify;

use crate::config::RedisConfig;
use crate::stats::Counters;
use crate::wire::{read_payload, Incoming, Names};

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

impl Inner {
    pub(crate) fn new(config: RedisConfig, redis: ConnectionManager) -> Self {
        Self {
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
        }
    }

    /// Serves `topics`; false when it already serves others.
    pub(crate) fn attach(&self, topics: LocalTopics) -> bool {
        self.local.set(topics).is_ok()
    }

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

    pub(crate) fn stop(&self) {
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
    pub(crate) fn on_push(&self, push: PushInfo) {
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
