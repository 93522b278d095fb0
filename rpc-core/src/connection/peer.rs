//! [`Peer`]: a handle to the other end of a connection, to call it, notify
//! it, and know when it is gone.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use rustc_hash::FxHashMap;
use tokio::sync::{mpsc, oneshot, Notify};

use super::dormant::Flag;
use super::io::Close;
use super::listeners::{Listeners, Notifications};
use super::outbox::Outbox;
use super::SlowConsumer;
use crate::client::{Client, Transport};
use crate::protocol::{parse_message, Entry, Message, Response};

/// A cloneable handle to the other end of a connection: a
/// [`Transport`], so every client the `#[rpc]` attribute generates runs over
/// it, and calls from a server to its client look like any other call.
///
/// Requests wait for their answer up to the connection's
/// [`peer_call_timeout`](super::ConnectionConfig::peer_call_timeout); an
/// answer that comes later is ignored. Everything sent goes through the
/// connection's bounded outgoing queue: a sender waits for room (a
/// notification burst holds its sender back rather than growing memory).
///
/// Get one from a method with [`Context::peer`](crate::Context::peer), or
/// from the [`Connection`](super::Connection) that owns it.
#[derive(Clone)]
pub struct Peer {
    shared: Arc<Shared>,
}

pub(super) struct Shared {
    pub(super) id: u64,
    pub(super) outbox: Outbox,
    /// Wakes the connection's loop for its rare events.
    pub(super) wake_loop: Arc<Flag>,
    pub(super) call_timeout: Duration,
    pub(super) slow_consumer: SlowConsumer,
    pub(super) max_subscriptions: usize,
    /// Calls sent and not yet answered, by id (the JSON text of it).
    pending: Mutex<FxHashMap<Box<str>, Waiting>>,
    /// Ids for calls over this connection, whichever client makes them.
    next_id: AtomicU64,
    /// Set once the connection has ended; `ended` wakes who waits for it.
    closed: AtomicBool,
    /// Why it ended, for the calls it fails (set before `closed`).
    end_reason: std::sync::OnceLock<Box<str>>,
    ended: Notify,
    /// Set when something asks the connection to close (a queue that stayed full).
    close_requested: Mutex<Option<Close>>,
    /// What runs when the connection ends (leaving topics, ending subscriptions).
    on_close: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
    subscriptions: AtomicUsize,
    /// Messages the slow-consumer policy dropped.
    dropped: AtomicU64,
    /// Notifications no method of the router takes, and who listens for them.
    pub(super) listeners: Listeners,
    /// The typed subscriptions this connection's calls started.
    active: crate::subscription::Active,
    /// Registries (of topics, say) that already clean up after this connection.
    registered: Mutex<Vec<u64>>,
    /// The context every call on the connection shares (set once it is built).
    context: std::sync::OnceLock<std::sync::Weak<crate::context::Context>>,
}

/// A call waiting for its answer; a batch waits under each of its ids.
enum Waiting {
    Call {
        answer: oneshot::Sender<Bytes>,
        /// The batch's other ids, which point here.
        others: Vec<Box<str>>,
    },
    /// Another id of a batch waiting under `first`.
    PartOf { first: Box<str> },
}

/// What happened to a message offered without waiting ([`Peer::offer`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offer {
    /// Queued for the peer.
    Queued,
    /// The peer's queue was full: dropped, and the connection closes or not
    /// as its [`SlowConsumer`] policy says.
    Dropped,
    /// The connection has ended.
    Closed,
}

impl Peer {
    pub(super) fn new(id: u64, config: &super::ConnectionConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                id,
                outbox: Outbox::new(config.outbox_capacity),
                wake_loop: Arc::default(),
                call_timeout: config.peer_call_timeout,
                slow_consumer: config.slow_consumer,
                max_subscriptions: config.max_subscriptions,
                pending: Mutex::default(),
                next_id: AtomicU64::new(1),
                closed: AtomicBool::new(false),
                end_reason: std::sync::OnceLock::new(),
                ended: Notify::new(),
                close_requested: Mutex::new(None),
                on_close: Mutex::default(),
                subscriptions: AtomicUsize::new(0),
                dropped: AtomicU64::new(0),
                listeners: Listeners::default(),
                active: crate::subscription::Active::default(),
                registered: Mutex::default(),
                context: std::sync::OnceLock::new(),
            }),
        }
    }

    pub(super) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// The connection's id (unique among the server's connections).
    pub fn id(&self) -> u64 {
        self.shared.id
    }

    /// A client over this connection, for calls by name; typed clients take
    /// the peer itself: `ClientApiClient::new(peer.clone())`.
    pub fn client(&self) -> Client<Peer> {
        Client::new(self.clone())
    }

    /// Notifications of `method` that no method of this end's router takes
    /// (a topic's messages, on a client), as they arrive.
    pub fn notifications(&self, method: &str) -> Notifications {
        Notifications::new(self.shared.listeners.listen(method))
    }

    /// The context every call on the connection shares; `None` once the
    /// connection is gone.
    pub fn context(&self) -> Option<Arc<crate::context::Context>> {
        self.shared.context.get()?.upgrade()
    }

    pub(super) fn set_context(&self, ctx: &Arc<crate::context::Context>) {
        let _ = self.shared.context.set(Arc::downgrade(ctx));
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.shared.closed.load(Ordering::Acquire)
    }

    /// Resolves when the connection ends.
    pub async fn closed(&self) {
        loop {
            // Made before the check: an end in between still wakes it.
            let ended = self.shared.ended.notified();
            if self.is_closed() {
                return;
            }
            ended.await;
        }
    }

    /// Asks the connection to close (a chat room removing a member, say).
    pub fn close(&self) {
        self.request_close(Close::Normal);
    }

    pub(super) fn request_close(&self, reason: Close) {
        let mut requested = self
            .shared
            .close_requested
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if requested.is_none() {
            *requested = Some(reason);
            drop(requested);
            self.shared.wake_loop.raise();
        }
    }

    /// Why the connection was asked to close, if it was.
    pub(super) fn close_requested(&self) -> Option<Close> {
        *self
            .shared
            .close_requested
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The sending end of the outgoing queue (made on first use); `None`
    /// once the connection has ended.
    pub(super) fn outbox(&self) -> Option<&mpsc::Sender<Bytes>> {
        self.shared.outbox.sender(&self.shared.wake_loop)
    }

    /// Sends an already encoded message (a notification, or an answer to
    /// nothing), waiting for room in the outgoing queue.
    pub async fn send_message(&self, message: impl Into<Bytes>) -> Result<(), PeerError> {
        let outbox = self.outbox().ok_or_else(|| self.ended())?;
        outbox.send(message.into()).await.map_err(|_| self.ended())
    }

    /// Offers an encoded message without waiting: when the outgoing queue is
    /// full it is dropped, and the connection's
    /// [`SlowConsumer`] policy decides whether the connection closes. What
    /// topics and subscriptions use, so that one slow reader never holds up
    /// a publish.
    pub fn offer(&self, message: Bytes) -> Offer {
        let Some(outbox) = self.outbox() else {
            return Offer::Closed;
        };
        match outbox.try_send(message) {
            Ok(()) => Offer::Queued,
            Err(mpsc::error::TrySendError::Closed(_)) => Offer::Closed,
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
                match self.shared.slow_consumer {
                    SlowConsumer::Close => {
                        tracing::warn!(
                            connection = self.shared.id,
                            "outgoing queue full; closing the connection of a reader too slow to keep up"
                        );
                        self.request_close(Close::TooSlow);
                    }
                    SlowConsumer::DropMessages => tracing::debug!(
                        connection = self.shared.id,
                        "outgoing queue full; message dropped"
                    ),
                }
                Offer::Dropped
            }
        }
    }

    /// Queues a message if there is room, with no policy applied when there
    /// is none; `false` then (a client's own housekeeping, such as an
    /// unsubscribe sent from a drop).
    pub(crate) fn try_send_message(&self, message: Bytes) -> bool {
        self.outbox()
            .is_some_and(|outbox| outbox.try_send(message).is_ok())
    }

    /// Readies for the items of a subscription to `notification` about to
    /// be made (see [`Listeners::expect_items`]).
    pub(crate) fn expect_items(&self, notification: &str) {
        self.shared.listeners.expect_items(notification);
    }

    /// The items of subscription `id` of `notification`.
    pub(crate) fn subscription_items(&self, notification: &str, id: &str) -> mpsc::Receiver<Bytes> {
        self.shared.listeners.subscribe(notification, id)
    }

    /// Stops taking the items of a subscription (`None`: one never made).
    pub(crate) fn forget_items(&self, notification: &str, id: Option<&str>) {
        self.shared.listeners.unsubscribe(notification, id);
    }

    /// The typed subscriptions the connection's calls started.
    pub(crate) fn active_subscriptions(&self) -> &crate::subscription::Active {
        &self.shared.active
    }

    /// How many typed subscriptions the connection holds.
    pub fn subscription_count(&self) -> usize {
        self.shared.active.len()
    }

    /// Messages offered to this connection and dropped because its queue was full.
    pub fn dropped_messages(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Runs `f` when the connection ends (at once if it has).
    pub fn on_close(&self, f: impl FnOnce() + Send + 'static) {
        let mut on_close = self
            .shared
            .on_close
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if self.is_closed() {
            drop(on_close);
            f();
        } else {
            on_close.push(Box::new(f));
        }
    }

    /// Whether registry `id` is new to this connection (it then registers
    /// what to undo when the connection ends, once).
    pub fn first_time_for(&self, id: u64) -> bool {
        let mut registered = self
            .shared
            .registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if registered.contains(&id) {
            return false;
        }
        registered.push(id);
        true
    }

    /// Takes one of the connection's subscription slots; `false` when all
    /// [`max_subscriptions`](super::ConnectionConfig::max_subscriptions) are taken.
    pub fn take_subscription_slot(&self) -> bool {
        let max = self.shared.max_subscriptions;
        self.shared
            .subscriptions
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                (taken < max).then_some(taken + 1)
            })
            .is_ok()
    }

    /// Gives back a slot taken with [`take_subscription_slot`](Self::take_subscription_slot).
    pub fn release_subscription_slot(&self) {
        let _ =
            self.shared
                .subscriptions
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |taken| {
                    taken.checked_sub(1)
                });
    }

    /// Records why the connection is ending, in words for the error of the
    /// calls it fails; the first reason given is kept.
    pub(super) fn set_end_reason(&self, reason: impl Into<Box<str>>) {
        let _ = self.shared.end_reason.set(reason.into());
    }

    /// The error of a call the ended connection fails.
    fn ended(&self) -> PeerError {
        PeerError::closed(self.shared.end_reason.get().map(|reason| &**reason))
    }

    /// Marks the connection ended: waiting calls fail, and what waits for
    /// the end runs.
    pub(super) fn mark_closed(&self) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.outbox.end();
        self.shared.ended.notify_waiters();
        self.pending().clear();
        // Notification streams end with the connection.
        self.shared.listeners.close();
        let on_close = std::mem::take(
            &mut *self
                .shared
                .on_close
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for f in on_close {
            f();
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, FxHashMap<Box<str>, Waiting>> {
        self.shared
            .pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Hands an answer (or a batch of them) to the call waiting for it;
    /// an answer nobody waits for (a late one, after a timeout) is dropped.
    pub(super) fn deliver(&self, answer: Bytes) {
        let ids = match answer_ids(&answer) {
            Ok(ids) => ids,
            Err(err) => {
                tracing::debug!(connection = self.shared.id, error = %err, "an answer that could not be read; dropped");
                return;
            }
        };
        let mut pending = self.pending();
        let Some(hit) = ids.iter().find(|id| pending.contains_key(&***id)) else {
            drop(pending);
            tracing::debug!(
                connection = self.shared.id,
                "an answer for no waiting call (too late, or never asked); dropped"
            );
            return;
        };
        let first = match pending.get(&**hit) {
            Some(Waiting::PartOf { first }) => first.clone(),
            _ => hit.clone(),
        };
        let Some(Waiting::Call {
            answer: waiting,
            others,
        }) = pending.remove(&first)
        else {
            return;
        };
        for other in &others {
            pending.remove(other);
        }
        drop(pending);
        let _ = waiting.send(answer);
    }

    /// Registers a call waiting under `ids` (the first is the key).
    fn wait_for(&self, ids: Vec<Box<str>>) -> Result<oneshot::Receiver<Bytes>, PeerError> {
        if self.is_closed() {
            return Err(self.ended());
        }
        let mut pending = self.pending();
        if let Some(taken) = ids.iter().find(|id| pending.contains_key(&***id)) {
            return Err(PeerError::invalid(format!(
                "id {taken} is already waiting for an answer on this connection"
            )));
        }
        let (tx, rx) = oneshot::channel();
        let mut ids = ids.into_iter();
        let first = ids.next().expect("a request has an id");
        let others: Vec<Box<str>> = ids.collect();
        for other in &others {
            pending.insert(
                other.clone(),
                Waiting::PartOf {
                    first: first.clone(),
                },
            );
        }
        pending.insert(first, Waiting::Call { answer: tx, others });
        Ok(rx)
    }

    /// Stops waiting under `first` (the call gave up).
    fn give_up(&self, first: &str) {
        let mut pending = self.pending();
        if let Some(Waiting::Call { others, .. }) = pending.remove(first) {
            for other in &others {
                pending.remove(other);
            }
        }
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("id", &self.shared.id)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}

impl Transport for Peer {
    type Error = PeerError;

    async fn send(&self, message: Vec<u8>) -> Result<Vec<u8>, PeerError> {
        let ids = request_ids(&message)?;
        let first = ids[0].clone();
        let answer = self.wait_for(ids)?;
        // Whatever happens from here (sent or not, answered, timed out, or
        // the caller gone), the call stops waiting when this goes out of scope.
        struct GiveUp<'p>(&'p Peer, Box<str>);
        impl Drop for GiveUp<'_> {
            fn drop(&mut self) {
                self.0.give_up(&self.1);
            }
        }
        let _give_up = GiveUp(self, first);
        self.send_message(message).await?;
        match tokio::time::timeout(self.shared.call_timeout, answer).await {
            Ok(Ok(answer)) => Ok(answer.into()),
            Ok(Err(_)) => Err(self.ended()),
            Err(_) => Err(PeerError::timeout(self.shared.call_timeout)),
        }
    }

    async fn notify(&self, message: Vec<u8>) -> Result<(), PeerError> {
        self.send_message(message).await
    }

    fn shared_ids(&self) -> Option<&AtomicU64> {
        Some(&self.shared.next_id)
    }

    fn peer(&self) -> Option<&Peer> {
        Some(self)
    }
}

/// The ids of the requests in an outgoing message (at least one).
fn request_ids(message: &[u8]) -> Result<Vec<Box<str>>, PeerError> {
    let invalid = |what: &str| PeerError::invalid(format!("the message {what}"));
    let ids: Vec<Box<str>> = match parse_message(
        message,
        usize::MAX,
        crate::protocol::PARSER_MAX_DEPTH,
        &[],
        None,
    ) {
        Err(_) => return Err(invalid("is not a valid JSON-RPC request")),
        Ok(Message::Single(entry)) => entry_id(&entry).into_iter().collect(),
        Ok(Message::Batch(entries)) => entries.iter().filter_map(entry_id).collect(),
    };
    if ids.is_empty() {
        return Err(invalid(
            "holds no request with an id (send notifications with `notify`)",
        ));
    }
    Ok(ids)
}

fn entry_id(entry: &Entry<'_>) -> Option<Box<str>> {
    match entry {
        Entry::Valid(request) => request.id().map(|id| id.as_json().into()),
        Entry::Invalid { .. } => None,
    }
}

/// The ids of the answers in an incoming message.
fn answer_ids(message: &[u8]) -> Result<Vec<Box<str>>, serde_json::Error> {
    let first = message.iter().find(|byte| !byte.is_ascii_whitespace());
    if first == Some(&b'[') {
        let answers: Vec<Response<'_>> = serde_json::from_slice(message)?;
        Ok(answers
            .iter()
            .map(|answer| answer.id.as_json().into())
            .collect())
    } else {
        let answer: Response<'_> = serde_json::from_slice(message)?;
        Ok(vec![answer.id.as_json().into()])
    }
}

/// Why a call over a [`Peer`] failed.
///
/// Opaque on purpose: ask with the `is_*` predicates, and do not depend on
/// the `Display` text.
#[derive(Debug)]
pub struct PeerError {
    kind: PeerErrorKind,
    detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PeerErrorKind {
    Closed,
    Timeout,
    Invalid,
}

impl PeerError {
    fn closed(reason: Option<&str>) -> Self {
        Self {
            kind: PeerErrorKind::Closed,
            detail: match reason {
                Some(reason) => format!("the connection has ended: {reason}"),
                None => "the connection has ended".to_owned(),
            },
        }
    }

    fn timeout(after: Duration) -> Self {
        Self {
            kind: PeerErrorKind::Timeout,
            detail: format!("the peer did not answer within {after:?}"),
        }
    }

    fn invalid(detail: String) -> Self {
        Self {
            kind: PeerErrorKind::Invalid,
            detail,
        }
    }

    /// Whether the connection ended before the answer came.
    pub fn is_closed(&self) -> bool {
        self.kind == PeerErrorKind::Closed
    }

    /// Whether the peer did not answer in time.
    pub fn is_timeout(&self) -> bool {
        self.kind == PeerErrorKind::Timeout
    }

    /// Whether the message could not be sent as given (no request in it, or
    /// an id already waiting).
    pub fn is_invalid(&self) -> bool {
        self.kind == PeerErrorKind::Invalid
    }
}

impl fmt::Display for PeerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for PeerError {}
