//! Typed subscriptions, in go-ethereum's and jsonrpsee's wire format: a
//! method answers with a subscription id, then sends each item as the
//! notification `{"jsonrpc":"2.0","method":"<name>","params":{"subscription":<id>,"result":<item>}}`
//! until the client calls the unsubscribe method or the connection ends.
//!
//! On the server, a method returns a [`Subscription`] (a stream of items);
//! [`Method::subscription`](crate::Method::subscription) and
//! [`Method::unsubscription`](crate::Method::unsubscription) serve it (the
//! `#[rpc]` attribute writes both for a method marked `subscription`). On
//! the client, [`subscribe`] calls such a method and hands back a
//! [`SubscriptionStream`] that unsubscribes when dropped.

use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use bytes::Bytes;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::client::{Client, ClientError, Transport};
use crate::connection::Peer;
use crate::context::Context;
use crate::error::{Error, ErrorCode};

/// What a subscription method returns: the items to send, as a stream.
///
/// ```
/// use rpc_core::Subscription;
///
/// // Items from anything that streams them...
/// let counting = Subscription::new(futures_util::stream::iter(0..3u32));
/// // ...or from a sender the method hands to a task of its own.
/// let (sender, pushed) = Subscription::<String>::channel(16);
/// tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async move {
///     sender.send("hello".to_owned()).await.unwrap();
/// });
/// # let _ = (counting, pushed);
/// ```
pub struct Subscription<T> {
    items: BoxStream<'static, T>,
}

impl<T: Send + 'static> Subscription<T> {
    /// A subscription that sends the items of `items`, and ends with it.
    pub fn new(items: impl Stream<Item = T> + Send + 'static) -> Self {
        Self {
            items: items.boxed(),
        }
    }

    /// A subscription fed through a sender (up to `capacity` items wait);
    /// it ends when the sender is dropped. The sender's `send` fails once
    /// the client has unsubscribed or gone: stop then.
    pub fn channel(capacity: usize) -> (mpsc::Sender<T>, Self) {
        let (tx, mut rx) = mpsc::channel(capacity.max(1));
        let items = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
        (tx, Self::new(items))
    }
}

impl<T> fmt::Debug for Subscription<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Subscription")
    }
}

/// The subscriptions of one connection, by id: ending one stops its task.
#[derive(Default)]
pub(crate) struct Active {
    by_id: Mutex<FxHashMap<u64, oneshot::Sender<()>>>,
}

impl Active {
    fn lock(&self) -> std::sync::MutexGuard<'_, FxHashMap<u64, oneshot::Sender<()>>> {
        self.by_id.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many subscriptions are live.
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

/// Source of subscription ids (unique in the process, so one never names
/// another connection's subscription by chance).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// How many typed subscriptions are live, over all connections.
static LIVE: AtomicU64 = AtomicU64::new(0);

/// How many typed subscriptions are live in this process, over all
/// connections (topic subscriptions are [`Topics::subscription_count`](crate::Topics::subscription_count)).
pub fn live_subscriptions() -> u64 {
    LIVE.load(Ordering::Relaxed)
}

/// Starts serving `subscription` on the connection of `ctx`: returns its id
/// (what the method answers with); its items follow that answer as
/// `notification` notifications.
pub(crate) fn start<T: Serialize + Send + 'static>(
    ctx: &Context,
    notification: &'static str,
    subscription: Subscription<T>,
) -> Result<u64, Error> {
    let peer = ctx.peer().map_err(|_| {
        Error::new(
            ErrorCode::SERVER_ERROR,
            "Subscriptions need a connection that carries calls both ways, such as a WebSocket",
        )
        .with_data("subscribe over a WebSocket: this transport carries one answer per request")
    })?;
    if !peer.take_subscription_slot() {
        return Err(
            Error::new(ErrorCode::SERVER_ERROR, "Too many subscriptions")
                .with_data("this connection holds as many subscriptions as it may"),
        );
    }
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let (stop, stopped) = oneshot::channel();
    peer.active_subscriptions().lock().insert(id, stop);
    LIVE.fetch_add(1, Ordering::Relaxed);
    let peer = peer.clone();
    let forward = move || {
        tokio::spawn(forward(peer, id, notification, subscription.items, stopped));
    };
    // Its items go out after the answer that carries its id.
    if let Err(forward) = crate::connection::scope::after_answer(Box::new(forward)) {
        forward();
    }
    Ok(id)
}

/// Sends the items of subscription `id` until it ends, is ended, or the
/// connection goes.
async fn forward<T: Serialize>(
    peer: Peer,
    id: u64,
    notification: &'static str,
    mut items: BoxStream<'static, T>,
    mut stopped: oneshot::Receiver<()>,
) {
    let prefix = {
        let mut prefix = br#"{"jsonrpc":"2.0","method":"#.to_vec();
        serde_json::to_writer(&mut prefix, notification).expect("a name serializes");
        prefix
            .extend_from_slice(format!(r#","params":{{"subscription":{id},"result":"#).as_bytes());
        prefix
    };
    loop {
        let item = tokio::select! {
            item = items.next() => item,
            _ = &mut stopped => break,
            () = peer.closed() => break,
        };
        let Some(item) = item else { break };
        let mut message = Vec::with_capacity(prefix.len() + 64);
        message.extend_from_slice(&prefix);
        if let Err(err) = serde_json::to_writer(&mut message, &item) {
            tracing::error!(error = %err, subscription = id, "a subscription item could not be serialized; skipped");
            continue;
        }
        message.extend_from_slice(b"}}");
        // Held back while the peer's queue is full: the stream waits with it.
        if peer.send_message(Bytes::from(message)).await.is_err() {
            break;
        }
    }
    peer.active_subscriptions().lock().remove(&id);
    peer.release_subscription_slot();
    LIVE.fetch_sub(1, Ordering::Relaxed);
}

/// Ends subscription `id` of the connection of `ctx`: `true` when it was
/// one of this connection's, `false` otherwise (unknown, ended, or
/// another connection's).
pub(crate) fn end(ctx: &Context, id: u64) -> bool {
    let Ok(peer) = ctx.peer() else {
        return false;
    };
    let stop = peer.active_subscriptions().lock().remove(&id);
    match stop {
        Some(stop) => {
            let _ = stop.send(());
            true
        }
        None => false,
    }
}

/// Calls the subscription method `method` with `params` and streams the
/// items that come as `notification` notifications; the stream sends
/// `unsubscribe` when dropped.
///
/// The transport must keep a connection to the server (a WebSocket client,
/// or a [`Peer`]); over one that does not, this is an error before anything
/// is sent.
pub async fn subscribe<T, Tr>(
    client: &Client<Tr>,
    method: &str,
    params: impl Serialize,
    notification: &'static str,
    unsubscribe: &'static str,
) -> Result<SubscriptionStream<T>, ClientError>
where
    T: DeserializeOwned,
    Tr: Transport,
{
    let peer = client
        .transport()
        .peer()
        .ok_or_else(|| {
            ClientError::transport(
                "subscriptions need a transport that keeps a connection (WebSocket)",
            )
        })?
        .clone();
    peer.expect_items(notification);
    let id: Box<serde_json::value::RawValue> = match client.request(method, params).await {
        Ok(id) => id,
        Err(err) => {
            peer.forget_items(notification, None);
            return Err(err);
        }
    };
    let items = peer.subscription_items(notification, id.get());
    Ok(SubscriptionStream {
        items,
        peer,
        id,
        notification,
        unsubscribe,
        marker: PhantomData,
    })
}

/// The items of a subscription, as the server sends them. Dropping it
/// unsubscribes.
pub struct SubscriptionStream<T> {
    items: mpsc::Receiver<Bytes>,
    peer: Peer,
    id: Box<serde_json::value::RawValue>,
    notification: &'static str,
    unsubscribe: &'static str,
    marker: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for SubscriptionStream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubscriptionStream")
            .field("id", &self.id.get())
            .field("notification", &self.notification)
            .finish_non_exhaustive()
    }
}

impl<T: DeserializeOwned> SubscriptionStream<T> {
    /// The next item; `None` once the connection has ended. An item that
    /// does not decode as `T` is an error, and the stream goes on.
    pub async fn next(&mut self) -> Option<Result<T, ClientError>> {
        let item = self.items.recv().await?;
        Some(serde_json::from_slice(&item).map_err(ClientError::decode))
    }

    /// The subscription id the server gave, as JSON text.
    pub fn id(&self) -> &str {
        self.id.get()
    }
}

impl<T: DeserializeOwned> Stream for SubscriptionStream<T> {
    type Item = Result<T, ClientError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.items
            .poll_recv(cx)
            .map(|item| item.map(|item| serde_json::from_slice(&item).map_err(ClientError::decode)))
    }
}

impl<T> Drop for SubscriptionStream<T> {
    fn drop(&mut self) {
        self.peer
            .forget_items(self.notification, Some(self.id.get()));
        let mut message = br#"{"jsonrpc":"2.0","method":"#.to_vec();
        serde_json::to_writer(&mut message, self.unsubscribe).expect("a name serializes");
        message.extend_from_slice(br#","params":["#);
        message.extend_from_slice(self.id.get().as_bytes());
        message.extend_from_slice(b"]}");
        // Without waiting: a drop cannot. A full queue means the connection
        // is in trouble anyway; the server ends the subscription with it.
        if !self.peer.try_send_message(Bytes::from(message)) {
            tracing::debug!("the unsubscribe of a dropped subscription could not be queued");
        }
    }
}
