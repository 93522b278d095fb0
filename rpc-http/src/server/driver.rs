//! The driver of a served connection: hyper's connection, its idle
//! watchdog, the server's shutdown signal, and the notifications its HTTP/1
//! answers leave to run after them.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, OwnedSemaphorePermit};

use super::activity::{Activity, CountingWrites};
use super::connection_service::{ConnectionService, HTTP2_SLICE};
use super::layers::Layered;
use super::signal::stop_requested;
use super::sniff::Protocol;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How many watchdog ticks make up the header read timeout.
pub(super) const IDLE_TICKS: u32 = 4;

/// How often a connection's idle watchdog looks.
pub(super) fn watchdog_tick(header_read_timeout: Duration) -> Duration {
    (header_read_timeout / IDLE_TICKS).max(Duration::from_millis(1))
}

pub(super) type ServedIo<I> = TokioIo<CountingWrites<I>>;

pin_project_lite::pin_project! {
    /// A connection as hyper serves it.
    #[project = ServedProj]
    pub(super) enum Served<I, L: Layered> {
        Http1 {
            #[pin]
            connection: hyper::server::conn::http1::UpgradeableConnection<ServedIo<I>, ConnectionService<L>>,
        },
        Http2 {
            #[pin]
            connection: hyper::server::conn::http2::Connection<ServedIo<I>, ConnectionService<L>, TokioExecutor>,
        },
        Unknown {
            #[pin]
            connection: auto::UpgradeableConnection<'static, ServedIo<I>, ConnectionService<L>, TokioExecutor>,
        },
    }
}

impl<I, L> Served<I, L>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L: Layered,
{
    /// The connection served by hyper's connection for `protocol`.
    pub(super) fn new(protocol: Protocol, io: ServedIo<I>, service: ConnectionService<L>) -> Self {
        // hyper's own header read timeout arms a timer for every request;
        // the driver's idle watchdog does the same job with one per connection.
        // Half-closed connections are served: a client that closes right
        // after sending must still have its message run (a notification
        // would otherwise be lost).
        match protocol {
            Protocol::Http1 => Served::Http1 {
                connection: hyper::server::conn::http1::Builder::new()
                    .header_read_timeout(None)
                    .keep_alive(true)
                    .half_close(true)
                    .serve_connection(io, service)
                    // A WebSocket upgrade hands the socket over.
                    .with_upgrades(),
            },
            Protocol::Http2 => Served::Http2 {
                connection: hyper::server::conn::http2::Builder::new(TokioExecutor::new())
                    .timer(TokioTimer::new())
                    .max_send_buf_size(HTTP2_SLICE)
                    .serve_connection(io, service),
            },
            Protocol::Unknown => {
                let mut builder = auto::Builder::new(TokioExecutor::new());
                builder
                    .http1()
                    .header_read_timeout(None)
                    .keep_alive(true)
                    .half_close(true);
                builder
                    .http2()
                    .timer(TokioTimer::new())
                    .max_send_buf_size(HTTP2_SLICE);
                Served::Unknown {
                    connection: builder
                        .serve_connection_with_upgrades(io, service)
                        .into_owned(),
                }
            }
        }
    }

    fn graceful_shutdown(self: Pin<&mut Self>) {
        match self.project() {
            ServedProj::Http1 { connection } => connection.graceful_shutdown(),
            ServedProj::Http2 { connection } => connection.graceful_shutdown(),
            ServedProj::Unknown { connection } => connection.graceful_shutdown(),
        }
    }

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Result<(), BoxError>> {
        match self.project() {
            ServedProj::Http1 { connection } => connection.poll(cx).map_err(Into::into),
            ServedProj::Http2 { connection } => connection.poll(cx).map_err(Into::into),
            ServedProj::Unknown { connection } => connection.poll(cx),
        }
    }
}

pin_project_lite::pin_project! {
    /// A served connection with its idle watchdog, the server's shutdown
    /// signal and the notifications queued behind its answers.
    ///
    /// The watchdog: a connection with no request in flight, and no request
    /// started or finished and nothing written for the whole header read
    /// timeout, is closed, whatever it is doing meanwhile (sending nothing,
    /// too little to tell HTTP/1 from HTTP/2, half a request head, or idling
    /// between requests). It wakes every quarter of the timeout, so the
    /// timeout holds to within a quarter. Once the connection is asked to
    /// close (idle, or the server shutting down), ticks without progress
    /// drop it.
    #[project = DrivenProj]
    pub(super) struct Driven<I, L: Layered> {
        #[pin]
        served: Served<I, L>,
        #[pin]
        watchdog: tokio::time::Sleep,
        shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
        // The watchdog and the shutdown signal are polled only when they
        // woke the task (through `activity`), not on each of the
        // connection's own wake-ups.
        activity: Arc<Activity>,
        control_waker: Waker,
        registered: Option<Waker>,
        id: u64,
        tick: Duration,
        last_progress: u64,
        idle_ticks: u32,
        // Set once the connection is asked to close: how many ticks
        // without progress it is then given before it is dropped.
        close_grace: Option<u32>,
        shutting_down: bool,
        _slot: tokio::sync::OwnedSemaphorePermit,
    }
}

impl<I, L: Layered> Driven<I, L> {
    /// The driver of connection `id`, opened at `opened`, holding its slot
    /// of the server's connections until it ends.
    pub(super) fn new(
        served: Served<I, L>,
        id: u64,
        activity: Arc<Activity>,
        header_read_timeout: Duration,
        opened: Instant,
        mut shutdown: watch::Receiver<bool>,
        slot: OwnedSemaphorePermit,
    ) -> Self {
        let tick = watchdog_tick(header_read_timeout);
        // The time spent on the TLS handshake or the first bytes counts.
        let idle_ticks =
            (opened.elapsed().as_nanos() / tick.as_nanos()).min(u128::from(IDLE_TICKS - 1));
        Driven {
            served,
            watchdog: tokio::time::sleep(tick),
            shutdown: Box::pin(async move { stop_requested(&mut shutdown).await }),
            control_waker: Waker::from(Arc::clone(&activity)),
            activity,
            registered: None,
            id,
            tick,
            last_progress: 0,
            idle_ticks: u32::try_from(idle_ticks).unwrap_or(IDLE_TICKS - 1),
            close_grace: None,
            shutting_down: false,
            _slot: slot,
        }
    }
}

impl<I, L> Future for Driven<I, L>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L: Layered,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
        let mut this = self.project();
        // A task's waker rarely changes: register it only when it does.
        if !this
            .registered
            .as_ref()
            .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            this.activity.register(cx.waker());
            *this.registered = Some(cx.waker().clone());
        }
        if this.activity.take_woken() && this.watch().is_ready() {
            return Poll::Ready(());
        }
        let polled = this.served.poll(cx);
        // The answers this poll produced are handed to the connection (and
        // normally written): now their notifications run. Right after every
        // poll of the connection, so that the queue is empty whenever this
        // future returns, and nothing queued is lost if it ends.
        this.activity.after_answer.run();
        match polled {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Ok(())) => Poll::Ready(()),
            Poll::Ready(Err(err)) => {
                tracing::debug!(error = %err, connection = *this.id, "connection ended with an error");
                Poll::Ready(())
            }
        }
    }
}

impl<I, L> DrivenProj<'_, I, L>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L: Layered,
{
    /// The shutdown signal and the watchdog; ready when the connection is to be dropped.
    fn watch(&mut self) -> Poll<()> {
        let mut control_cx = std::task::Context::from_waker(self.control_waker);
        if !*self.shutting_down && self.shutdown.as_mut().poll(&mut control_cx).is_ready() {
            *self.shutting_down = true;
            if self.close_grace.is_none() {
                self.served.as_mut().graceful_shutdown();
                // Open requests finish; a stalled one has the usual timeout.
                *self.close_grace = Some(IDLE_TICKS);
                *self.idle_ticks = 0;
            }
        }
        while self.watchdog.as_mut().poll(&mut control_cx).is_ready() {
            let (in_flight, progress) = self.activity.snapshot();
            if in_flight || progress != *self.last_progress {
                *self.last_progress = progress;
                *self.idle_ticks = 0;
            } else {
                *self.idle_ticks += 1;
            }
            if self
                .close_grace
                .is_some_and(|grace| *self.idle_ticks >= grace)
            {
                tracing::debug!(
                    connection = *self.id,
                    "asked to close and still open without progress; dropped"
                );
                return Poll::Ready(());
            }
            if self.close_grace.is_none() && *self.idle_ticks >= IDLE_TICKS {
                tracing::debug!(
                    connection = *self.id,
                    "no request within the header read timeout; closing"
                );
                self.served.as_mut().graceful_shutdown();
                // It was idle: one more quiet tick is enough.
                *self.close_grace = Some(1);
                *self.idle_ticks = 0;
            }
            let next = tokio::time::Instant::now() + *self.tick;
            self.watchdog.as_mut().reset(next);
        }
        Poll::Pending
    }
}
