//! The broker's counters, and [`RedisStats`], a snapshot of them.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};

/// What the broker counts as it works (relaxed atomics: each is exact,
/// a snapshot of several is not taken at one instant).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) connected: AtomicBool,
    pub(crate) subscribed_topics: AtomicUsize,
    pub(crate) published: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) lost: AtomicU64,
    pub(crate) received: AtomicU64,
    pub(crate) connections_lost: AtomicU64,
    pub(crate) reconnections: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn set(counter: &AtomicUsize, n: usize) {
        counter.store(n, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> RedisStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        RedisStats {
            connected: self.connected.load(Ordering::Acquire),
            subscribed_topics: self.subscribed_topics.load(Ordering::Relaxed),
            messages_published: read(&self.published),
            messages_refused: read(&self.refused),
            messages_lost: read(&self.lost),
            messages_received: read(&self.received),
            connections_lost: read(&self.connections_lost),
            reconnections: read(&self.reconnections),
        }
    }
}

/// A snapshot of a [`RedisBroker`](crate::RedisBroker)'s statistics
/// ([`RedisBroker::stats`](crate::RedisBroker::stats)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct RedisStats {
    /// Whether the broker has a working connection to Redis now.
    pub connected: bool,
    /// Topics whose channel the broker subscribes to now (those with
    /// receivers in this process).
    pub subscribed_topics: usize,
    /// Messages Redis took from this process.
    pub messages_published: u64,
    /// Publishes refused at once: Redis unreachable, or the queue full.
    pub messages_refused: u64,
    /// Messages taken for Redis that it did not confirm: the connection
    /// was lost under them, or Redis refused them or did not answer in
    /// time (such a message may still have been delivered).
    pub messages_lost: u64,
    /// Messages that came from Redis (this process's own included).
    pub messages_received: u64,
    /// Times the connection to Redis was lost.
    pub connections_lost: u64,
    /// Times it came back, with every subscription renewed.
    pub reconnections: u64,
}
