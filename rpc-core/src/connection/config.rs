//! The limits and policies of a [`Connection`](super::Connection), with their defaults.

use std::time::Duration;

/// What a connection does with a message for a peer whose outgoing queue is
/// full (it reads too slowly): the queue is bounded, so something must give.
///
/// Answers and calls never meet this policy: their senders wait for room.
/// It applies to what is offered without waiting: topic messages and
/// subscription items ([`Peer::offer`](super::Peer::offer)), so that a
/// publish to many subscribers never waits on one slow reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SlowConsumer {
    /// Drop the message and close the connection (a WebSocket closes with
    /// 1008): the client learns it missed messages, and can reconnect and
    /// subscribe again. The default.
    #[default]
    Close,
    /// Drop the message and go on (counted in
    /// [`Peer::dropped_messages`](super::Peer::dropped_messages)).
    DropMessages,
}

/// Limits and timeouts of a connection that carries many messages.
///
/// | option | default | at the limit |
/// |---|---|---|
/// | [`max_in_flight`](Self::max_in_flight) | 64 calls | reading pauses until one finishes (back-pressure) |
/// | [`outbox_capacity`](Self::outbox_capacity) | 1024 messages | senders of answers and calls wait; topic messages meet the [`slow_consumer`](Self::slow_consumer) policy |
/// | [`slow_consumer`](Self::slow_consumer) | [`SlowConsumer::Close`] | see [`SlowConsumer`] |
/// | [`call_timeout`](Self::call_timeout) | 60 s | a call that waits longer is cancelled and answered with `-32000` |
/// | [`peer_call_timeout`](Self::peer_call_timeout) | 30 s | a call to the peer fails with a timeout; a late answer is ignored |
/// | [`ping_interval`](Self::ping_interval) | 30 s | the transport checks the peer is there (a WebSocket ping) |
/// | [`idle_timeout`](Self::idle_timeout) | 90 s | a peer silent this long (not even answering pings), or not reading what is written for this long, is disconnected |
/// | [`max_subscriptions`](Self::max_subscriptions) | 1024 | further subscriptions are refused with an error |
///
/// Options take a getter (`max_in_flight()`) and a setter that returns the
/// changed value (`with_max_in_flight(n)`).
///
/// ```
/// use std::time::Duration;
/// use rpc_core::connection::{ConnectionConfig, SlowConsumer};
///
/// let config = ConnectionConfig::new()
///     .with_max_in_flight(16)
///     .with_slow_consumer(SlowConsumer::DropMessages)
///     .with_peer_call_timeout(Duration::from_secs(5));
/// assert_eq!(config.max_in_flight(), 16);
/// ```
#[derive(Debug, Clone)]
pub struct ConnectionConfig {
    pub(super) max_in_flight: usize,
    pub(super) outbox_capacity: usize,
    pub(super) slow_consumer: SlowConsumer,
    pub(super) call_timeout: Option<Duration>,
    pub(super) peer_call_timeout: Duration,
    pub(super) ping_interval: Option<Duration>,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) max_subscriptions: usize,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 64,
            outbox_capacity: 1024,
            slow_consumer: SlowConsumer::Close,
            call_timeout: Some(Duration::from_secs(60)),
            peer_call_timeout: Duration::from_secs(30),
            ping_interval: Some(Duration::from_secs(30)),
            idle_timeout: Some(Duration::from_secs(90)),
            max_subscriptions: 1024,
        }
    }
}

impl ConnectionConfig {
    /// The defaults of the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many calls of the peer may run at once (at least 1). Synchronous
    /// methods run in turn as their messages arrive and do not count; a
    /// call that waits (an asynchronous method) holds a slot until it has
    /// answered. Past the limit the connection stops reading until a slot
    /// frees: a method waiting for its own client's answer holds one too,
    /// so keep the limit above the number of those you expect at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight
    }

    /// Sets [`max_in_flight`](Self::max_in_flight).
    #[must_use]
    pub fn with_max_in_flight(mut self, calls: usize) -> Self {
        self.max_in_flight = calls.clamp(1, tokio::sync::Semaphore::MAX_PERMITS);
        self
    }

    /// How many messages may wait to be written to the peer (at least 1).
    pub fn outbox_capacity(&self) -> usize {
        self.outbox_capacity
    }

    /// Sets [`outbox_capacity`](Self::outbox_capacity).
    #[must_use]
    pub fn with_outbox_capacity(mut self, messages: usize) -> Self {
        self.outbox_capacity = messages.max(1);
        self
    }

    /// What happens to a message offered to a peer whose queue is full.
    pub fn slow_consumer(&self) -> SlowConsumer {
        self.slow_consumer
    }

    /// Sets [`slow_consumer`](Self::slow_consumer).
    #[must_use]
    pub fn with_slow_consumer(mut self, policy: SlowConsumer) -> Self {
        self.slow_consumer = policy;
        self
    }

    /// How long a call of the peer may wait before it is cancelled; `None`
    /// for no limit. Synchronous methods are over before it could matter.
    pub fn call_timeout(&self) -> Option<Duration> {
        self.call_timeout
    }

    /// Sets [`call_timeout`](Self::call_timeout).
    #[must_use]
    pub fn with_call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// How long a call to the peer waits for its answer.
    pub fn peer_call_timeout(&self) -> Duration {
        self.peer_call_timeout
    }

    /// Sets [`peer_call_timeout`](Self::peer_call_timeout).
    #[must_use]
    pub fn with_peer_call_timeout(mut self, timeout: Duration) -> Self {
        self.peer_call_timeout = timeout;
        self
    }

    /// How often the transport checks that the peer is there; `None` never.
    pub fn ping_interval(&self) -> Option<Duration> {
        self.ping_interval
    }

    /// Sets [`ping_interval`](Self::ping_interval).
    #[must_use]
    pub fn with_ping_interval(mut self, every: Option<Duration>) -> Self {
        self.ping_interval = every.filter(|every| !every.is_zero());
        self
    }

    /// How long the peer may stay silent, or leave what is written to it
    /// unread, before it is disconnected; `None` for no limit.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.idle_timeout
    }

    /// Sets [`idle_timeout`](Self::idle_timeout).
    #[must_use]
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout.filter(|timeout| !timeout.is_zero());
        self
    }

    /// How many subscriptions (topics and typed ones) one connection may hold.
    pub fn max_subscriptions(&self) -> usize {
        self.max_subscriptions
    }

    /// Sets [`max_subscriptions`](Self::max_subscriptions).
    #[must_use]
    pub fn with_max_subscriptions(mut self, subscriptions: usize) -> Self {
        self.max_subscriptions = subscriptions;
        self
    }
}
