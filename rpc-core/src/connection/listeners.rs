//! Notifications that no method of a connection's router takes, handed to
//! whoever listens for them: the topic messages and subscription items a
//! client receives.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use bytes::Bytes;
use rustc_hash::FxHashMap;
use serde_json::value::RawValue;
use tokio::sync::mpsc;

/// How many notifications a listener may have unread before more are dropped.
const LISTENER_CAPACITY: usize = 1024;

/// How many subscription items may wait for their subscription to be known
/// (they can overtake the answer that names it on the client's side).
const ORPHANS: usize = 256;

#[derive(Default)]
pub(super) struct Listeners {
    /// Whether anyone listens: the connection skips the rest when not.
    active: AtomicBool,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Plain listeners, by method: they get the whole `params`.
    by_method: FxHashMap<Box<str>, Vec<mpsc::Sender<Bytes>>>,
    /// Methods whose notifications carry `{"subscription": id, "result": item}`,
    /// with how many subscriptions wait for them.
    item_methods: FxHashMap<Box<str>, usize>,
    /// Subscriptions, by method and id (its JSON text): they get each `result`.
    subscriptions: FxHashMap<(Box<str>, Box<str>), mpsc::Sender<Bytes>>,
    /// Items for subscriptions not known yet.
    orphans: VecDeque<(Box<str>, Box<str>, Bytes)>,
}

/// The subscription id and the item of a subscription item's params
/// (`{"subscription": id, "result": item}`), as JSON text.
fn item(params: &str) -> Option<(&str, &str)> {
    let members: FxHashMap<&str, &RawValue> = serde_json::from_str(params).ok()?;
    Some((
        members.get("subscription")?.get(),
        members.get("result")?.get(),
    ))
}

impl Listeners {
    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Listens for notifications of `method`; each brings its `params`.
    pub(super) fn listen(&self, method: &str) -> mpsc::Receiver<Bytes> {
        let (tx, rx) = mpsc::channel(LISTENER_CAPACITY);
        self.inner()
            .by_method
            .entry(method.into())
            .or_default()
            .push(tx);
        self.active.store(true, Ordering::Release);
        rx
    }

    /// Readies for items of `method` before the call that subscribes is
    /// answered, so that none is lost if one overtakes the answer.
    pub(super) fn expect_items(&self, method: &str) {
        *self.inner().item_methods.entry(method.into()).or_default() += 1;
        self.active.store(true, Ordering::Release);
    }

    /// The items of subscription `id` (its JSON text) of `method`, those that
    /// came early first.
    pub(super) fn subscribe(&self, method: &str, id: &str) -> mpsc::Receiver<Bytes> {
        let (tx, rx) = mpsc::channel(LISTENER_CAPACITY);
        let mut inner = self.inner();
        let early: Vec<Bytes> = {
            let orphans = std::mem::take(&mut inner.orphans);
            let (mine, others): (VecDeque<_>, VecDeque<_>) = orphans
                .into_iter()
                .partition(|(m, i, _)| &**m == method && &**i == id);
            inner.orphans = others;
            mine.into_iter().map(|(_, _, item)| item).collect()
        };
        for item in early {
            let _ = tx.try_send(item);
        }
        inner.subscriptions.insert((method.into(), id.into()), tx);
        rx
    }

    /// Stops taking items of `method` for subscription `id` (`None`: a
    /// subscription that never got an id).
    pub(super) fn unsubscribe(&self, method: &str, id: Option<&str>) {
        let mut inner = self.inner();
        if let Some(id) = id {
            inner
                .subscriptions
                .remove(&(Box::from(method), Box::from(id)));
        }
        if let Some(count) = inner.item_methods.get_mut(method) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                inner.item_methods.remove(method);
            }
        }
    }

    /// Ends every stream: the connection is gone.
    pub(super) fn close(&self) {
        let mut inner = self.inner();
        inner.by_method.clear();
        inner.subscriptions.clear();
        inner.orphans.clear();
    }

    /// Hands a notification nobody routed to its listeners; `false` when
    /// nobody listens for it.
    pub(super) fn deliver(&self, method: &str, params: Option<&str>) -> bool {
        if !self.active.load(Ordering::Acquire) {
            return false;
        }
        let params = params.unwrap_or("null");
        let mut inner = self.inner();
        if inner.item_methods.contains_key(method) {
            if let Some((subscription, result)) = item(params) {
                let key = (Box::from(method), Box::from(subscription));
                let result = Bytes::copy_from_slice(result.as_bytes());
                match inner.subscriptions.get(&key) {
                    Some(tx) => {
                        if tx.try_send(result).is_err() {
                            tracing::warn!(
                                method,
                                "a subscription's items are not read; one dropped"
                            );
                        }
                    }
                    None => {
                        if inner.orphans.len() == ORPHANS {
                            inner.orphans.pop_front();
                        }
                        inner.orphans.push_back((key.0, key.1, result));
                    }
                }
                return true;
            }
        }
        let Some(listeners) = inner.by_method.get_mut(method) else {
            return false;
        };
        let params = Bytes::copy_from_slice(params.as_bytes());
        listeners.retain(|tx| match tx.try_send(params.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                tracing::warn!(method, "a notification stream is not read; one dropped");
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
        true
    }
}

/// The notifications of one method that the connection's router does not
/// take, as they arrive: from [`Peer::notifications`](super::Peer::notifications).
///
/// Up to 1024 may wait unread; past that, new ones are dropped (with a
/// warning in the log). Dropping it stops the listening.
#[derive(Debug)]
pub struct Notifications {
    rx: mpsc::Receiver<Bytes>,
}

impl Notifications {
    pub(super) fn new(rx: mpsc::Receiver<Bytes>) -> Self {
        Self { rx }
    }

    /// The next notification's `params` (`null` when it had none), as JSON
    /// text; `None` once the connection has ended.
    pub async fn next_raw(&mut self) -> Option<Bytes> {
        self.rx.recv().await
    }

    /// The next notification's `params`, decoded; `None` once the
    /// connection has ended.
    pub async fn next<T: serde::de::DeserializeOwned>(
        &mut self,
    ) -> Option<Result<T, serde_json::Error>> {
        let params = self.rx.recv().await?;
        Some(serde_json::from_slice(&params))
    }
}

impl futures_util::Stream for Notifications {
    type Item = Bytes;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Bytes>> {
        self.rx.poll_recv(cx)
    }
}
