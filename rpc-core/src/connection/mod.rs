//! Connections on which both ends send requests, notifications, batches and
//! answers at any time (WebSocket, and any stream transport after it).
//!
//! A transport turns its frames into messages ([`MessageStream`]) and
//! messages into frames ([`MessageSink`]); [`Connection::run`] does the rest,
//! the same for every transport:
//!
//! - a request, notification or batch goes to the [`Router`]: synchronous
//!   methods run as their message arrives, and their answer is written at
//!   once; calls that wait run as tasks, many at a time (bounded), and answer
//!   as they finish;
//! - an answer goes to the call of this end waiting for it ([`Peer`]);
//! - one writer drains the bounded outgoing queue, and flushes once nothing
//!   more is ready, so that answers ready together leave in one write.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Connection`] and its loop |
//! | `config.rs` | [`ConnectionConfig`], [`SlowConsumer`] |
//! | `io.rs` | the transport's side: [`MessageStream`], [`MessageSink`], [`Close`] |
//! | `peer.rs` | [`Peer`]: calls to the other end, and the answers they wait for |
//! | `kind.rs` | answers told from requests |
//! | `listeners.rs` | notifications the router does not take, for whoever listens |
//! | `scope.rs` | what a call leaves to run once its answer is queued |

mod config;
mod io;
mod kind;
mod listeners;
mod peer;
pub(crate) mod scope;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::context::Context;
use crate::error::{Error, ErrorCode};
use crate::protocol::error_response;
use crate::router::Router;

pub use config::{ConnectionConfig, SlowConsumer};
pub use io::{Close, Inbound, MessageSink, MessageStream, StreamError};
pub use listeners::Notifications;
pub use peer::{Offer, Peer, PeerError};

/// One connection's state: the router that answers the peer's calls, the
/// context every call on it shares, and the [`Peer`] to call the other end.
///
/// ```no_run
/// # async fn serve<S, K>(router: std::sync::Arc<rpc_core::Router>, stream: S, sink: K)
/// # where S: rpc_core::connection::MessageStream, K: rpc_core::connection::MessageSink<Control = S::Control> {
/// use rpc_core::connection::{Connection, ConnectionConfig};
/// use rpc_core::Context;
///
/// let connection = Connection::new(router, Context::new(), ConnectionConfig::new());
/// let peer = connection.peer().clone(); // for calls to the other end
/// connection.run(stream, sink, std::future::pending()).await;
/// # }
/// ```
pub struct Connection {
    router: Arc<Router>,
    ctx: Arc<Context>,
    peer: Peer,
    outbox: mpsc::Receiver<Bytes>,
    config: ConnectionConfig,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("peer", &self.peer)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// A connection served by `router`. `ctx` is what the transport knows of
    /// it (peer address, connection id, the headers of its opening request);
    /// the connection adds the [`Peer`] and drops response effects, which
    /// no answer carries. Its [`Session`](crate::Session) lasts as long as
    /// the connection.
    pub fn new(router: Arc<Router>, ctx: Context, config: ConnectionConfig) -> Self {
        let (outbox_tx, outbox) = mpsc::channel(config.outbox_capacity);
        let peer = Peer::new(ctx.connection_id().unwrap_or(0), outbox_tx, &config);
        let ctx = Arc::new(ctx.with_peer(peer.clone()).dropping_response_effects());
        peer.set_context(&ctx);
        Self {
            router,
            ctx,
            peer,
            outbox,
            config,
        }
    }

    /// The other end, to call or notify it.
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// The context every call on the connection sees.
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    /// Serves the connection until the peer closes it, it breaks, a limit
    /// closes it, or `shutdown` resolves. On shutdown no new message is
    /// read; calls in flight finish and their answers are written before the
    /// connection is closed ([`Close::GoingAway`]).
    pub async fn run<S, K>(self, stream: S, mut sink: K, shutdown: impl Future<Output = ()> + Send)
    where
        S: MessageStream,
        K: MessageSink<Control = S::Control>,
    {
        let Connection {
            router,
            ctx,
            peer,
            outbox,
            config,
        } = self;
        let mut served = Served {
            router,
            ctx,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            peer,
            outbox,
            config,
            dirty: false,
        };
        let ended = served.serve(stream, &mut sink, shutdown).await;
        let close = match ended {
            Ended::Close(Close::GoingAway) => {
                served.finish_in_flight(&mut sink).await;
                Some(Close::GoingAway)
            }
            // Closed by its owner: what is queued goes out first.
            Ended::Close(Close::Normal) => {
                served.write_queued(&mut sink).await;
                Some(Close::Normal)
            }
            Ended::Close(reason) => Some(reason),
            // Closed by the peer: the close is answered.
            Ended::ByPeer => Some(Close::Normal),
            Ended::Broken => None,
        };
        if let Some(reason) = close {
            // Best effort: the peer may be gone already.
            let _ = served.flush(&mut sink).await;
            let _ = within(served.config.idle_timeout, sink.close(reason)).await;
        }
        served.peer.mark_closed();
    }
}

/// How serving a connection ended.
enum Ended {
    /// The peer closed it.
    ByPeer,
    /// It is to be closed, for this reason.
    Close(Close),
    /// It broke: nothing more can be sent.
    Broken,
}

/// A connection being served.
struct Served {
    router: Arc<Router>,
    ctx: Arc<Context>,
    in_flight: Arc<Semaphore>,
    peer: Peer,
    outbox: mpsc::Receiver<Bytes>,
    config: ConnectionConfig,
    /// Whether the sink holds bytes not flushed yet.
    dirty: bool,
}

/// Reads one item, handing the stream back with it: the connection keeps the
/// future across its loop, so the stream's `next` need not be cancel-safe.
async fn read_next<S: MessageStream>(
    mut stream: S,
) -> (S, Option<Result<Inbound<S::Control>, StreamError>>) {
    let item = stream.next().await;
    (stream, item)
}

impl Served {
    async fn serve<S, K>(
        &mut self,
        stream: S,
        sink: &mut K,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Ended
    where
        S: MessageStream,
        K: MessageSink<Control = S::Control>,
    {
        let mut reading = Box::pin(read_next(stream));
        // A request that waits for a slot: reading pauses until one is free.
        let mut held: Option<Bytes> = None;
        let mut last_heard = Instant::now();
        let mut last_ping = Instant::now();
        let mut tick = self.ticker();
        let mut close_requested = self.peer.shared().close_requested.subscribe();
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return Ended::Close(Close::GoingAway),
                Ok(()) = close_requested.changed() => {
                    if let Some(reason) = *close_requested.borrow() {
                        return Ended::Close(reason);
                    }
                }
                (stream, item) = &mut reading, if held.is_none() => {
                    last_heard = Instant::now();
                    match item {
                        None => return Ended::ByPeer,
                        Some(Err(err)) => {
                            tracing::debug!(connection = self.peer.id(), error = %err, "closing a connection after a bad message");
                            return err.close_reason().map_or(Ended::Broken, Ended::Close);
                        }
                        Some(Ok(Inbound::Control(control))) => {
                            if within(self.config.idle_timeout, sink.control(control)).await.is_err() {
                                return Ended::Broken;
                            }
                            self.dirty = true;
                        }
                        Some(Ok(Inbound::Message(message))) => {
                            match self.receive(message, sink).await {
                                Ok(waiting) => held = waiting,
                                Err(()) => return Ended::Broken,
                            }
                        }
                    }
                    reading.set(read_next(stream));
                }
                Ok(permit) = Arc::clone(&self.in_flight).acquire_owned(), if held.is_some() => {
                    self.spawn(held.take().expect("checked by the branch"), permit);
                }
                Some(message) = self.outbox.recv() => {
                    if self.write_ready(message, sink).await.is_err() {
                        return Ended::Broken;
                    }
                }
                _ = tick.tick() => {
                    if self.config.idle_timeout.is_some_and(|limit| last_heard.elapsed() >= limit) {
                        tracing::debug!(connection = self.peer.id(), "no sign of the peer within the idle timeout; closing");
                        return Ended::Close(Close::Idle);
                    }
                    if self.config.ping_interval.is_some_and(|every| last_ping.elapsed() >= every) {
                        last_ping = Instant::now();
                        if within(self.config.idle_timeout, sink.keepalive()).await.is_err() {
                            return Ended::Broken;
                        }
                        self.dirty = true;
                    }
                }
                () = std::future::ready(()), if self.dirty => {
                    // Nothing else is ready: what is buffered goes out now.
                    if self.flush(sink).await.is_err() {
                        return Ended::Broken;
                    }
                }
            }
        }
    }

    /// The timer of the idle and ping checks: a quarter of the shorter of the two.
    fn ticker(&self) -> tokio::time::Interval {
        let every = [self.config.ping_interval, self.config.idle_timeout]
            .into_iter()
            .flatten()
            .min()
            .map_or(Duration::from_secs(3600), |shortest| shortest / 4)
            .max(Duration::from_millis(10));
        let mut tick = tokio::time::interval_at(Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick
    }

    /// Handles one message: an answer goes to its call, a message of
    /// synchronous methods runs and is answered now, one that waits runs as a
    /// task. Returns the message when it waits for a slot.
    async fn receive<K: MessageSink>(
        &mut self,
        message: Bytes,
        sink: &mut K,
    ) -> Result<Option<Bytes>, ()> {
        if kind::is_answer(&message) {
            self.peer.deliver(message);
            return Ok(None);
        }
        let call = self.router.parse(&message);
        if let Some((method, params)) = call.unrouted_notification() {
            if self.peer.shared().listeners.deliver(method, params) {
                return Ok(None);
            }
        }
        if !call.is_immediate() {
            drop(call);
            return Ok(match Arc::clone(&self.in_flight).try_acquire_owned() {
                Ok(permit) => {
                    self.spawn(message, permit);
                    None
                }
                Err(_) => Some(message),
            });
        }
        let (answer, after) = scope::run_sync(|| call.run_now(&self.ctx));
        if let Ok(Some(answer)) = answer {
            self.write(&answer, sink).await?;
        }
        // Queued after the answer, so that nothing they send overtakes it.
        scope::run_all(after);
        Ok(None)
    }

    /// Runs a message whose methods wait, as a task holding `permit`.
    fn spawn(&self, message: Bytes, permit: OwnedSemaphorePermit) {
        let router = Arc::clone(&self.router);
        let ctx = Arc::clone(&self.ctx);
        let outbox = self.peer.shared().outbox.clone();
        let timeout = self.config.call_timeout;
        tokio::spawn(async move {
            let _permit = permit;
            // Parsed again: the first parse borrowed bytes this task now owns.
            let call = router.parse(&message);
            let id = call.id().cloned();
            let run = scope::run_async(call.run(&ctx));
            let (answer, after) = match timeout {
                None => run.await,
                Some(limit) => match tokio::time::timeout(limit, run).await {
                    Ok(done) => done,
                    Err(_) => {
                        let error = Error::from(ErrorCode::SERVER_ERROR)
                            .with_data(&format!("the call timed out after {limit:?}"));
                        (Some(error_response(&error, id.as_ref())), Vec::new())
                    }
                },
            };
            if let Some(answer) = answer {
                if outbox.send(Bytes::from(answer)).await.is_err() {
                    // The connection has ended: nobody to answer.
                    return;
                }
            }
            scope::run_all(after);
        });
    }

    /// Writes a message from the queue, and the others already waiting there.
    async fn write_ready<K: MessageSink>(&mut self, first: Bytes, sink: &mut K) -> Result<(), ()> {
        self.write(&first, sink).await?;
        // Bounded, so that a busy queue cannot starve reading.
        for _ in 0..64 {
            let Ok(message) = self.outbox.try_recv() else {
                break;
            };
            self.write(&message, sink).await?;
        }
        Ok(())
    }

    async fn write<K: MessageSink>(&mut self, message: &[u8], sink: &mut K) -> Result<(), ()> {
        self.dirty = true;
        within(self.config.idle_timeout, sink.write(message)).await
    }

    async fn flush<K: MessageSink>(&mut self, sink: &mut K) -> Result<(), ()> {
        self.dirty = false;
        within(self.config.idle_timeout, sink.flush()).await
    }

    /// At shutdown: lets the calls in flight finish and writes their answers.
    async fn finish_in_flight<K: MessageSink>(&mut self, sink: &mut K) {
        let all = u32::try_from(self.config.max_in_flight).unwrap_or(u32::MAX);
        let mut finished = std::pin::pin!(Arc::clone(&self.in_flight).acquire_many_owned(all));
        loop {
            tokio::select! {
                biased;
                _ = &mut finished => break,
                Some(message) = self.outbox.recv() => {
                    if self.write_ready(message, sink).await.is_err() {
                        return;
                    }
                }
                () = std::future::ready(()), if self.dirty => {
                    if self.flush(sink).await.is_err() {
                        return;
                    }
                }
            }
        }
        self.write_queued(sink).await;
    }

    /// Writes what waits in the queue now.
    async fn write_queued<K: MessageSink>(&mut self, sink: &mut K) {
        while let Ok(message) = self.outbox.try_recv() {
            if self.write(&message, sink).await.is_err() {
                return;
            }
        }
    }
}

/// Runs a write of the sink, giving up after `limit` (a peer that reads
/// nothing must not hold the connection forever).
async fn within(
    limit: Option<Duration>,
    write: impl Future<Output = std::io::Result<()>>,
) -> Result<(), ()> {
    let done = match limit {
        Some(limit) => tokio::time::timeout(limit, write).await.map_err(drop)?,
        None => write.await,
    };
    done.map_err(|err| tracing::debug!(error = %err, "writing to a connection failed"))
}
