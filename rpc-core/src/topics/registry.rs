//! The state behind [`Topics`](super::Topics): each topic's receivers (the
//! connections subscribed to it and the feeds reading it), its last message,
//! and the fan-out that offers a message to all of them.
//!
//! With a [`Broker`], the registry also tells the broker when a topic gains
//! its first receiver in this process or loses its last (so the process
//! hears only what its own connections need), and keeps a retained topic's
//! last message in step with the broker's copy (see [`Shared`]).

use std::sync::{Arc, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bytes::Bytes;
use rustc_hash::FxHashMap;

use super::broker::Broker;
use super::feed::FeedSender;
use crate::connection::{Offer, Peer};
use crate::guard::SharedGuard;

pub(super) struct Registry {
    /// Tells registries apart on a connection (see `Topics::leave_on_close`).
    pub(super) id: u64,
    pub(super) topics: RwLock<FxHashMap<Box<str>, Topic>>,
    /// Where messages go when topics span processes; unset: this process only.
    pub(super) broker: OnceLock<Arc<dyn Broker>>,
}

#[derive(Default)]
pub(super) struct Topic {
    pub(super) guard: Option<SharedGuard>,
    pub(super) retain: bool,
    /// The last message, for new subscribers of a retained topic.
    pub(super) last: Option<Bytes>,
    pub(super) subscribers: FxHashMap<u64, Peer>,
    /// Typed readers in this process (`Topics::feed`), by feed id.
    pub(super) feeds: Vec<FeedSender>,
    /// What a broker adds to a retained topic; untouched without one.
    pub(super) shared: Shared,
}

/// A retained topic's last message, as the broker numbers it.
///
/// The broker stores the last message and numbers every message of a
/// retained topic; this process keeps a copy of the last one while it has
/// receivers. A message is delivered only when its number is above the
/// copy's, so a receiver never gets an older value after a newer one, nor
/// the same one twice (a stored copy loaded while the same message was on
/// its way, say).
#[derive(Default)]
pub(super) struct Shared {
    /// The number of `Topic::last`; 0 when unknown (never loaded, or the
    /// broker reconnected: its numbering may have started again).
    pub(super) number: u64,
    /// Whether `Topic::last` is the broker's (loaded since the process
    /// first subscribed), so that a new receiver can have it at once.
    pub(super) loaded: bool,
    /// Receivers that came before the load, waiting for its result.
    pub(super) awaiting: Vec<Awaiting>,
}

/// A receiver waiting for a retained topic's last message to be loaded.
pub(super) enum Awaiting {
    Connection(Peer),
    Feed(u64),
}

impl Topic {
    /// Whether anyone in this process receives the topic.
    pub(super) fn has_receivers(&self) -> bool {
        !self.subscribers.is_empty() || !self.feeds.is_empty()
    }

    /// Offers `message` to every receiver (connections their guard lets
    /// through, and feeds); returns how many connections it was queued
    /// for. Connections that have ended are added to `closed` (a feed
    /// leaves by itself when its reader drops it).
    pub(super) fn fan_out(&self, message: &Bytes, closed: &mut Vec<u64>) -> usize {
        let queued = offer_to_connections(self.guard.as_ref(), &self.subscribers, message, closed);
        for feed in &self.feeds {
            feed.offer(message);
        }
        queued
    }

    /// Hands the last message to the receivers that waited for it to load.
    pub(super) fn serve_awaiting(&mut self) {
        let awaiting = std::mem::take(&mut self.shared.awaiting);
        let Some(last) = &self.last else { return };
        for receiver in awaiting {
            match receiver {
                Awaiting::Connection(peer) => {
                    if self.subscribers.contains_key(&peer.id())
                        && may_receive(self.guard.as_ref(), &peer)
                    {
                        peer.offer(last.clone());
                    }
                }
                Awaiting::Feed(id) => {
                    if let Some(feed) = self.feeds.iter().find(|feed| feed.id() == id) {
                        feed.offer(last);
                    }
                }
            }
        }
    }
}

/// Offers `message` to each connection of `subscribers` that `guard` lets
/// through; the in-memory publish is this loop and nothing more.
pub(super) fn offer_to_connections(
    guard: Option<&SharedGuard>,
    subscribers: &FxHashMap<u64, Peer>,
    message: &Bytes,
    closed: &mut Vec<u64>,
) -> usize {
    let mut queued = 0;
    for (id, peer) in subscribers {
        if !may_receive(guard, peer) {
            continue;
        }
        match peer.offer(message.clone()) {
            Offer::Queued => queued += 1,
            Offer::Dropped => {}
            Offer::Closed => closed.push(*id),
        }
    }
    queued
}

/// Whether the connection of `peer` may receive a message of a topic with `guard`.
pub(super) fn may_receive(guard: Option<&SharedGuard>, peer: &Peer) -> bool {
    let Some(guard) = guard else {
        return true;
    };
    peer.context().is_some_and(|ctx| guard.check(&ctx).is_ok())
}

impl Registry {
    pub(super) fn read(&self) -> RwLockReadGuard<'_, FxHashMap<Box<str>, Topic>> {
        self.topics.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, FxHashMap<Box<str>, Topic>> {
        self.topics.write().unwrap_or_else(PoisonError::into_inner)
    }

    pub(super) fn broker(&self) -> Option<&Arc<dyn Broker>> {
        self.broker.get()
    }

    /// Tells the broker that `topic` has its first receiver in this process
    /// (call it right after adding one to a topic that had none).
    pub(super) fn gained_first_receiver(&self, name: &str, topic: &mut Topic) {
        if let Some(broker) = self.broker() {
            topic.shared.loaded = false;
            broker.subscribe(name, topic.retain);
        }
    }

    /// Tells the broker when `topic` has lost its last receiver here (call
    /// it after removing some).
    pub(super) fn maybe_lost_last_receiver(&self, name: &str, topic: &mut Topic) {
        if topic.has_receivers() {
            return;
        }
        if let Some(broker) = self.broker() {
            // Not heard from any more: the copy of the last message would go stale.
            topic.last = None;
            topic.shared = Shared::default();
            broker.unsubscribe(name);
        }
    }

    /// Removes the connections of `closed` from `topic`.
    pub(super) fn remove_closed(&self, name: &str, topic: &mut Topic, closed: &[u64]) {
        for id in closed {
            topic.subscribers.remove(id);
        }
        self.maybe_lost_last_receiver(name, topic);
    }
}
