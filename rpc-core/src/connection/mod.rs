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
//! | `dormant.rs` | the rare events (shutdown, close, timer), polled only when they wake the loop |
//! | `io.rs` | the transport's side: [`MessageStream`], [`MessageSink`], [`Close`] |
//! | `peer.rs` | [`Peer`]: calls to the other end, and the answers they wait for |
//! | `outbox.rs` | the bounded outgoing queue, made on first use |
//! | `kind.rs` | answers told from requests |
//! | `listeners.rs` | notifications the router does not take, for whoever listens |
//! | `scope.rs` | what a call leaves to run once its answer is queued |

mod config;
mod dormant;
mod io;
mod kind;
mod listeners;
mod outbox;
mod peer;
pub(crate) mod scope;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, AcquireError, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use self::dormant::Dormant;
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
        let peer = Peer::new(ctx.connection_id().unwrap_or(0), &config);
        let ctx = Arc::new(ctx.with_peer(peer.clone()).dropping_response_effects());
        peer.set_context(&ctx);
        Self {
            router,
            ctx,
            peer,
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
    pub fn run<S, K>(
        self,
        stream: S,
        sink: K,
        shutdown: impl Future<Output = ()> + Send,
    ) -> impl Future<Output = ()> + Send
    where
        S: MessageStream,
        K: MessageSink<Control = S::Control>,
    {
        // Not an `async fn`: the stream goes to the heap with its first
        // read here, rather than staying in the task's state for its life.
        let reading = Box::pin(read_next(stream));
        let Connection {
            router,
            ctx,
            peer,
            config,
        } = self;
        let served = Served {
            router,
            ctx,
            in_flight: Arc::new(Semaphore::new(config.max_in_flight)),
            peer,
            outbox: None,
            config,
        };
        served.run(reading, read_next::<S>, sink, shutdown)
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

impl Ended {
    /// Why, in words, for the calls the connection fails.
    fn describe(&self) -> &'static str {
        match self {
            Ended::ByPeer => "the other side closed it",
            Ended::Broken => "it broke",
            Ended::Close(Close::Normal) => "it was closed",
            Ended::Close(Close::GoingAway) => "it was shut down",
            Ended::Close(Close::Protocol) => "the other side broke the protocol",
            Ended::Close(Close::InvalidData) => "the other side sent text that is not UTF-8",
            Ended::Close(Close::TooSlow) => {
                "the other side did not keep up with what was sent to it"
            }
            Ended::Close(Close::TooLarge) => "a message was over the size limit",
            Ended::Close(Close::Idle) => "nothing came from the other side within the idle timeout",
            Ended::Close(Close::TryAgainLater) => "there was no room for it",
        }
    }
}

/// A connection being served.
struct Served {
    router: Arc<Router>,
    ctx: Arc<Context>,
    in_flight: Arc<Semaphore>,
    peer: Peer,
    /// The receiving end of the outgoing queue, once it is made.
    outbox: Option<mpsc::Receiver<Bytes>>,
    config: ConnectionConfig,
}

/// Reads one item, handing the stream back with it: the connection keeps the
/// future across its loop, so the stream's `next` need not be cancel-safe.
async fn read_next<S: MessageStream>(
    mut stream: S,
) -> (S, Option<Result<Inbound<S::Control>, StreamError>>) {
    let item = stream.next().await;
    (stream, item)
}

/// Messages handled in a row while more are already readable, before the
/// loop turns to its other work (the queue, the timer, closing).
const READ_BURST: usize = 64;

/// Queued messages written in a row before the buffer is flushed, so that a
/// busy queue cannot starve reading.
const WRITE_BURST: usize = 64;

/// A slot being waited for by a request held back.
type Acquiring = Pin<Box<dyn Future<Output = Result<OwnedSemaphorePermit, AcquireError>> + Send>>;

/// What woke the loop among its rare events.
enum Rare {
    Shutdown,
    Close(Close),
    /// The outgoing queue was made: the loop takes its receiving end.
    OutboxMade,
    Tick,
}

/// The idle and ping checks' bookkeeping, counted in ticks of the timer so
/// that no message pays for reading the clock.
struct Liveness {
    every: Duration,
    /// Whether anything came from the peer since the last tick.
    heard: bool,
    quiet_ticks: u32,
    ticks_since_ping: u32,
}

/// The item a [`MessageStream`] reads.
type Item<C> = Option<Result<Inbound<C>, StreamError>>;

/// Bytes framed past which the sink is flushed before the turn ends.
const FLUSH_AT: usize = 64 * 1024;

impl Served {
    /// The loop: `reading` is the read in progress, remade by `read_next`.
    async fn run<S, K, R>(
        mut self,
        mut reading: Pin<Box<R>>,
        read_next: fn(S) -> R,
        mut sink: K,
        shutdown: impl Future<Output = ()> + Send,
    ) where
        S: MessageStream,
        K: MessageSink<Control = S::Control>,
        R: Future<Output = (S, Item<S::Control>)> + Send,
    {
        // A request that waits for a slot: reading pauses until one is free.
        let mut held: Option<(Bytes, Acquiring)> = None;
        let mut liveness = self.liveness();
        let mut tick = std::pin::pin!(tokio::time::sleep(liveness.every));
        let mut shutdown = std::pin::pin!(shutdown);
        let dormant = Dormant::new(Arc::clone(&self.peer.shared().wake_loop));
        let peer = self.peer.clone();
        let ended = loop {
            let turn = tokio::select! {
                biased;
                rare = std::future::poll_fn(|cx| dormant.poll(cx, |cx| {
                    if shutdown.as_mut().poll(cx).is_ready() {
                        return Poll::Ready(Rare::Shutdown);
                    }
                    if let Some(reason) = peer.close_requested() {
                        return Poll::Ready(Rare::Close(reason));
                    }
                    if peer.shared().outbox.has_receiver() {
                        return Poll::Ready(Rare::OutboxMade);
                    }
                    tick.as_mut().poll(cx).map(|()| Rare::Tick)
                })) => match rare {
                    Rare::Shutdown => Err(Ended::Close(Close::GoingAway)),
                    Rare::Close(reason) => Err(Ended::Close(reason)),
                    // Taken below, with what is in it.
                    Rare::OutboxMade => Ok(()),
                    Rare::Tick => {
                        tick.as_mut().reset(Instant::now() + liveness.every);
                        self.on_tick(&mut liveness, &mut sink)
                    }
                },
                (stream, item) = &mut reading, if held.is_none() => {
                    reading.set(read_next(stream));
                    liveness.heard = true;
                    // What is readable already is handled now, in one turn.
                    let mut item = item;
                    let mut turn = Ok(());
                    for _ in 0..READ_BURST {
                        turn = self.on_item(item, &mut held, &mut sink);
                        if turn.is_err() || held.is_some() {
                            break;
                        }
                        if sink.buffered() >= FLUSH_AT && self.flush(&mut sink).await.is_err() {
                            turn = Err(Ended::Broken);
                            break;
                        }
                        match poll_once(&mut reading).await {
                            Poll::Ready((stream, next)) => {
                                reading.set(read_next(stream));
                                item = next;
                            }
                            Poll::Pending => break,
                        }
                    }
                    turn
                }
                permit = poll_held(&mut held), if held.is_some() => {
                    let (message, _) = held.take().expect("checked by the branch");
                    self.spawn(message, permit);
                    Ok(())
                }
                Some(message) = recv(&mut self.outbox) => {
                    sink.write(&message);
                    Ok(())
                }
            };
            if let Err(ended) = turn {
                break ended;
            }
            // Nothing more is readable now: what is queued and framed goes out.
            if self.write_queued_and_flush(&mut sink).await.is_err() {
                break Ended::Broken;
            }
        };
        // Boxed: the end runs once, and its state need not add to every
        // connection's task.
        Box::pin(self.end(ended, &mut sink)).await;
    }

    /// Handles one item read; a request that waits for a slot is held in
    /// `held`.
    fn on_item<C, K: MessageSink<Control = C>>(
        &mut self,
        item: Item<C>,
        held: &mut Option<(Bytes, Acquiring)>,
        sink: &mut K,
    ) -> Result<(), Ended> {
        match item {
            None => Err(Ended::ByPeer),
            Some(Err(err)) => {
                tracing::debug!(connection = self.peer.id(), error = %err, "closing a connection after a bad message");
                self.peer.set_end_reason(err.to_string());
                Err(err.close_reason().map_or(Ended::Broken, Ended::Close))
            }
            Some(Ok(Inbound::Control(control))) => {
                sink.control(control);
                Ok(())
            }
            Some(Ok(Inbound::Message(message))) => {
                if let Some(message) = self.receive(message, sink) {
                    let acquiring: Acquiring =
                        Box::pin(Arc::clone(&self.in_flight).acquire_owned());
                    *held = Some((message, acquiring));
                }
                Ok(())
            }
        }
    }

    /// The idle and ping checks tick every quarter of the shorter of the two.
    fn liveness(&self) -> Liveness {
        let every = [self.config.ping_interval, self.config.idle_timeout]
            .into_iter()
            .flatten()
            .min()
            .map_or(Duration::from_secs(3600), |shortest| shortest / 4)
            .max(Duration::from_millis(10));
        Liveness {
            every,
            heard: false,
            quiet_ticks: 0,
            ticks_since_ping: 0,
        }
    }

    /// A tick of the timer: closes a connection idle for too long, pings the
    /// peer when it is time.
    fn on_tick<K: MessageSink>(
        &mut self,
        liveness: &mut Liveness,
        sink: &mut K,
    ) -> Result<(), Ended> {
        if std::mem::take(&mut liveness.heard) {
            liveness.quiet_ticks = 0;
        } else {
            liveness.quiet_ticks = liveness.quiet_ticks.saturating_add(1);
        }
        liveness.ticks_since_ping = liveness.ticks_since_ping.saturating_add(1);
        let every = liveness.every;
        let elapsed = |ticks: u32| every.saturating_mul(ticks);
        if (self.config.idle_timeout).is_some_and(|limit| elapsed(liveness.quiet_ticks) >= limit) {
            tracing::debug!(
                connection = self.peer.id(),
                "no sign of the peer within the idle timeout; closing"
            );
            return Err(Ended::Close(Close::Idle));
        }
        if (self.config.ping_interval)
            .is_some_and(|ping| elapsed(liveness.ticks_since_ping) >= ping)
        {
            liveness.ticks_since_ping = 0;
            sink.keepalive();
        }
        Ok(())
    }

    /// Handles one message: an answer goes to its call, a message of
    /// synchronous methods runs and is answered now, one that waits runs as a
    /// task. Returns the message when it waits for a slot.
    fn receive<K: MessageSink>(&mut self, message: Bytes, sink: &mut K) -> Option<Bytes> {
        let call = self.router.parse(&message);
        // An answer reads as a request without a method: only such messages
        // are looked at again.
        if call.may_be_answer() && kind::is_answer(&message) {
            drop(call);
            self.peer.deliver(message);
            return None;
        }
        if let Some((method, params)) = call.unrouted_notification() {
            if self.peer.shared().listeners.deliver(method, params) {
                return None;
            }
        }
        if !call.is_immediate() {
            drop(call);
            return match Arc::clone(&self.in_flight).try_acquire_owned() {
                Ok(permit) => {
                    self.spawn(message, permit);
                    None
                }
                Err(_) => Some(message),
            };
        }
        let (answer, after) = scope::run_sync(|| call.run_now(&self.ctx));
        if let Ok(Some(answer)) = answer {
            sink.write(&answer);
        }
        // Queued after the answer, so that nothing they send overtakes it.
        scope::run_all(after);
        None
    }

    /// Runs a message whose methods wait, as a task holding `permit`.
    fn spawn(&self, message: Bytes, permit: OwnedSemaphorePermit) {
        let router = Arc::clone(&self.router);
        let ctx = Arc::clone(&self.ctx);
        let peer = self.peer.clone();
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
                if peer.send_message(answer).await.is_err() {
                    // The connection has ended: nobody to answer.
                    return;
                }
            }
            scope::run_all(after);
        });
    }

    /// Ends the connection as `ended` says: calls in flight finish at a
    /// shutdown, the queue is written when the owner closes it, the peer
    /// hears why; then whatever waits for the end runs.
    async fn end<K: MessageSink>(&mut self, ended: Ended, sink: &mut K) {
        // Unless a bad message said it first.
        self.peer.set_end_reason(ended.describe());
        let close = match ended {
            Ended::Close(Close::GoingAway) => {
                self.finish_in_flight(sink).await;
                Some(Close::GoingAway)
            }
            // Closed by its owner: what is queued goes out first.
            Ended::Close(Close::Normal) => {
                if self.write_queued(sink).await.is_err() {
                    return self.peer.mark_closed();
                }
                Some(Close::Normal)
            }
            Ended::Close(reason) => Some(reason),
            // Closed by the peer: the close is answered.
            Ended::ByPeer => Some(Close::Normal),
            Ended::Broken => None,
        };
        if let Some(reason) = close {
            // Best effort: the peer may be gone already.
            sink.close(reason);
            let _ = self.flush(sink).await;
        }
        self.peer.mark_closed();
    }

    /// A message waiting in the outgoing queue, taking the queue's receiving
    /// end first if it was just made.
    fn try_recv(&mut self) -> Option<Bytes> {
        match &mut self.outbox {
            Some(outbox) => outbox.try_recv().ok(),
            None => {
                self.outbox = self.peer.shared().outbox.take_receiver();
                self.outbox.as_mut()?.try_recv().ok()
            }
        }
    }

    /// Frames what waits in the queue (up to [`WRITE_BURST`]), then flushes.
    async fn write_queued_and_flush<K: MessageSink>(&mut self, sink: &mut K) -> Result<(), ()> {
        for _ in 0..WRITE_BURST {
            let Some(message) = self.try_recv() else {
                break;
            };
            sink.write(&message);
            if sink.buffered() >= FLUSH_AT {
                self.flush(sink).await?;
            }
        }
        if sink.buffered() > 0 {
            self.flush(sink).await?;
        }
        Ok(())
    }

    /// Sends what the sink holds, giving up after the idle timeout (a peer
    /// that reads nothing must not hold the connection forever).
    async fn flush<K: MessageSink>(&mut self, sink: &mut K) -> Result<(), ()> {
        let mut flush = std::pin::pin!(sink.flush());
        let done = match self.config.idle_timeout {
            // Most flushes finish at once: only one that waits pays for a timer.
            Some(limit) => match poll_once(&mut flush).await {
                Poll::Ready(done) => done,
                Poll::Pending => tokio::time::timeout(limit, flush).await.map_err(drop)?,
            },
            None => flush.await,
        };
        done.map_err(|err| tracing::debug!(error = %err, "writing to a connection failed"))
    }

    /// At shutdown: lets the calls in flight finish and writes their answers.
    async fn finish_in_flight<K: MessageSink>(&mut self, sink: &mut K) {
        let all = u32::try_from(self.config.max_in_flight).unwrap_or(u32::MAX);
        let mut finished = std::pin::pin!(Arc::clone(&self.in_flight).acquire_many_owned(all));
        let shared = Arc::clone(&self.peer.shared().wake_loop);
        loop {
            tokio::select! {
                biased;
                _ = &mut finished => break,
                // A call's answer made the outgoing queue: the loop takes it.
                () = std::future::poll_fn(|cx| {
                    shared.register(cx.waker());
                    if self.peer.shared().outbox.has_receiver() { Poll::Ready(()) } else { Poll::Pending }
                }), if self.outbox.is_none() => {
                    self.outbox = self.peer.shared().outbox.take_receiver();
                }
                Some(message) = recv(&mut self.outbox) => {
                    sink.write(&message);
                    if self.write_queued_and_flush(sink).await.is_err() {
                        return;
                    }
                }
            }
        }
        let _ = self.write_queued(sink).await;
    }

    /// Writes all that waits in the queue now.
    async fn write_queued<K: MessageSink>(&mut self, sink: &mut K) -> Result<(), ()> {
        while let Some(message) = self.try_recv() {
            sink.write(&message);
            if sink.buffered() >= FLUSH_AT {
                self.flush(sink).await?;
            }
        }
        Ok(())
    }
}

/// The next message of the outgoing queue; pending while there is none.
fn recv(outbox: &mut Option<mpsc::Receiver<Bytes>>) -> impl Future<Output = Option<Bytes>> + '_ {
    std::future::poll_fn(move |cx| match outbox {
        Some(outbox) => outbox.poll_recv(cx),
        None => Poll::Pending,
    })
}

/// Polls `future` once, with the task's waker.
fn poll_once<F: Future + Unpin>(future: &mut F) -> impl Future<Output = Poll<F::Output>> + '_ {
    std::future::poll_fn(move |cx| Poll::Ready(Pin::new(&mut *future).poll(cx)))
}

/// The slot a held request waits for; pending when none is held.
fn poll_held(
    held: &mut Option<(Bytes, Acquiring)>,
) -> impl Future<Output = OwnedSemaphorePermit> + '_ {
    std::future::poll_fn(move |cx| match held {
        Some((_, acquiring)) => match acquiring.as_mut().poll(cx) {
            Poll::Ready(Ok(permit)) => Poll::Ready(permit),
            // The semaphore is never closed.
            Poll::Ready(Err(_)) | Poll::Pending => Poll::Pending,
        },
        None => Poll::Pending,
    })
}
