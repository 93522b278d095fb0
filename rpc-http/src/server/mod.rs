//! The HTTP server: binding, the accept loop, connections and graceful shutdown.

mod listener;
#[cfg(feature = "tls")]
mod tls;

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ORIGIN};
use http::Request;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either as EitherBody};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use rpc_core::Router;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;
use tower::ServiceExt;
use tower_http::compression::predicate::{Predicate, SizeAbove};
use tower_http::compression::CompressionLayer;
use tower_http::cors::{Any, CorsLayer};
use tower_http::decompression::RequestDecompressionLayer;

use crate::config::HttpConfig;
use crate::error::Error;
use crate::service::{
    check_content_type, AfterAnswer, ConnectionId, Meta, PeerAddr, ResponseBody, ResponseFuture,
    RpcService, RpcServiceBuilder, SkipCompression, UndecodableEncoding,
};
use crate::stats::Stats;

use listener::Listener;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

/// Serves routers over HTTP/1.1 and HTTP/2 (cleartext, or TLS with the
/// `tls` feature) on TCP or a Unix socket.
///
/// ```no_run
/// use rpc_core::Router;
/// use rpc_http::Server;
///
/// # async fn run(router: Router) -> Result<(), rpc_http::Error> {
/// Server::bind("127.0.0.1:3000").serve(router).await
/// # }
/// ```
///
/// Defaults, each with a setter:
///
/// | option | default |
/// |---|---|
/// | [`max_connections`](Self::max_connections) | 10 000 (more wait in the kernel's backlog) |
/// | [`header_read_timeout`](Self::header_read_timeout) | 30 s (a connection with no request in flight that delivers no request head for this long is closed: slow, silent and idle clients alike) |
/// | [`shutdown_timeout`](Self::shutdown_timeout) | 30 s (then remaining connections are closed) |
/// | [`cors`](Self::cors) | any origin, `POST`/`GET`/`OPTIONS`, any header, preflight cached 1 day |
/// | [`compression`](Self::compression) | gzip, brotli and zstd for answers of 1 KiB or more, by `Accept-Encoding`; compressed requests accepted |
///
/// plus the per-request options of [`HttpConfig`].
///
/// A message the server has read is run even if its client goes away (or
/// half-closes its connection) before the answer: a client that sends a
/// notification and closes at once still has it run. The price is that a
/// call whose client has gone runs on, bounded by
/// [`HttpConfig::request_timeout`].
#[derive(Debug)]
pub struct Server {
    target: Target,
    service: RpcServiceBuilder,
    cors: Option<CorsLayer>,
    compression: Compression,
    max_connections: usize,
    header_read_timeout: Duration,
    shutdown_timeout: Duration,
    stats: Option<Stats>,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
}

#[derive(Debug)]
enum Target {
    Tcp(String),
    Listener(std::net::TcpListener),
    Unix(PathBuf),
}

/// Which encodings the server compresses answers with, and from what size.
///
/// ```
/// use rpc_http::Compression;
///
/// let compression = Compression::default().min_size(4096).zstd(false);
/// # let _ = compression;
/// ```
///
/// A method can keep its answer uncompressed (already compressed data, say)
/// with [`skip_compression`](crate::skip_compression).
#[derive(Debug, Clone, Copy)]
pub struct Compression {
    gzip: bool,
    br: bool,
    zstd: bool,
    min_size: u16,
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            gzip: true,
            br: true,
            zstd: true,
            min_size: 1024,
        }
    }
}

impl Compression {
    /// No compression at all.
    pub fn off() -> Self {
        Self {
            gzip: false,
            br: false,
            zstd: false,
            min_size: u16::MAX,
        }
    }

    /// Whether to offer gzip.
    #[must_use]
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Whether to offer brotli.
    #[must_use]
    pub fn br(mut self, on: bool) -> Self {
        self.br = on;
        self
    }

    /// Whether to offer zstd.
    #[must_use]
    pub fn zstd(mut self, on: bool) -> Self {
        self.zstd = on;
        self
    }

    fn is_on(self) -> bool {
        self.gzip || self.br || self.zstd
    }

    /// The smallest answer, in bytes, worth compressing.
    #[must_use]
    pub fn min_size(mut self, bytes: u16) -> Self {
        self.min_size = bytes;
        self
    }

    fn layer(self) -> CompressionLayer<impl Predicate> {
        let mut layer = CompressionLayer::new().no_deflate();
        if !self.gzip {
            layer = layer.no_gzip();
        }
        if !self.br {
            layer = layer.no_br();
        }
        if !self.zstd {
            layer = layer.no_zstd();
        }
        // `SizeAbove(n)` compresses bodies of `n` bytes or more.
        layer.compress_when(SizeAbove::new(u64::from(self.min_size)).and(NotSkipped))
    }
}

/// Leaves alone the answers of methods that called [`skip_compression`](crate::skip_compression).
#[derive(Debug, Clone, Copy)]
struct NotSkipped;

impl Predicate for NotSkipped {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response.extensions().get::<SkipCompression>().is_none()
    }
}

/// The one coding a request's `Content-Encoding` headers amount to, spelled
/// as the decompression layer reads it (`"identity"` when nothing is
/// encoded); `None` when the server cannot undo it. Codings are
/// case-insensitive, `x-gzip` is `gzip` (RFC 9110, 8.4.1), and `identity`
/// may stand anywhere; two real codings on top of each other are refused.
fn decodable_coding(headers: &http::HeaderMap) -> Option<&'static str> {
    let mut coding = "identity";
    for value in headers.get_all(CONTENT_ENCODING) {
        for token in value.to_str().ok()?.split(',').map(str::trim) {
            let canonical = ["gzip", "br", "zstd", "identity"]
                .into_iter()
                .find(|known| token.eq_ignore_ascii_case(known))
                .or_else(|| token.eq_ignore_ascii_case("x-gzip").then_some("gzip"))?;
            if canonical == "identity" {
                continue;
            }
            if coding != "identity" {
                return None;
            }
            coding = canonical;
        }
    }
    Some(coding)
}

/// The permissive CORS policy the Python servers had: any origin may call.
fn default_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::POST, http::Method::GET, http::Method::OPTIONS])
        .allow_headers(Any)
        .max_age(Duration::from_secs(24 * 60 * 60))
}

impl Server {
    /// A server that will listen on `addr` (`"127.0.0.1:3000"`, `"[::1]:0"`,
    /// `"localhost:8080"`); the address is resolved and bound by
    /// [`start`](Self::start) or [`serve`](Self::serve).
    pub fn bind(addr: impl Into<String>) -> Self {
        Self::with_target(Target::Tcp(addr.into()))
    }

    /// A server on a TCP listener you bound yourself.
    pub fn from_listener(listener: std::net::TcpListener) -> Self {
        Self::with_target(Target::Listener(listener))
    }

    /// A server on a Unix domain socket at `path`. A socket file left behind
    /// by a server that is gone is replaced; one that a live server answers
    /// on, or any other kind of file, is an error.
    pub fn bind_unix(path: impl Into<PathBuf>) -> Self {
        Self::with_target(Target::Unix(path.into()))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            service: RpcService::builder(),
            cors: Some(default_cors()),
            compression: Compression::default(),
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            stats: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Serves `router` at `path` (`"/api"`); several routers can be mounted.
    #[must_use]
    pub fn mount(mut self, path: &str, router: Router) -> Self {
        self.service = self.service.mount(path, router);
        self
    }

    /// Replaces the per-request options.
    #[must_use]
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.service = self.service.config(config);
        self
    }

    /// Replaces the CORS policy (a tower-http `CorsLayer`).
    #[must_use]
    pub fn cors(mut self, cors: CorsLayer) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Sends no CORS headers; browsers then allow same-origin callers only.
    #[must_use]
    pub fn without_cors(mut self) -> Self {
        self.cors = None;
        self
    }

    /// Replaces the compression settings.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The most connections open at once.
    #[must_use]
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count.max(1);
        self
    }

    /// How long a connection may go without a request: from when it opens,
    /// or from its last answer (on HTTP/1, the last bytes of it written; on
    /// HTTP/2, the moment all but about 128 KiB of it has been handed over
    /// for sending, as the client reads), to the end of the next request's
    /// head. A client that is slower (sending nothing, dribbling its
    /// headers, or idling on a keep-alive connection) is disconnected. A
    /// request in flight is not cut short here: a body too slow to arrive
    /// gets `408` after [`HttpConfig::body_read_timeout`], and a method too
    /// slow to answer is cancelled after [`HttpConfig::request_timeout`].
    ///
    /// The check runs four times per timeout, so a connection is closed
    /// between the timeout and a quarter more.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a graceful shutdown waits for connections and background
    /// notifications before it closes what is left.
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Records connection and call statistics into `stats`.
    #[must_use]
    pub fn stats(mut self, stats: &Stats) -> Self {
        self.service = self.service.stats(stats);
        self.stats = Some(stats.clone());
        self
    }

    /// Serves HTTPS with this configuration (HTTP/2 and HTTP/1.1 by ALPN).
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Mounts `router` at `/`, starts, and runs until [`ServerHandle::shutdown`]
    /// is called from elsewhere (or forever).
    pub async fn serve(self, router: Router) -> Result<(), Error> {
        let handle = self.mount("/", router).start().await?;
        handle.stopped().await;
        Ok(())
    }

    /// Binds, starts accepting in a background task, and returns a handle.
    pub async fn start(self) -> Result<ServerHandle, Error> {
        let listener = Listener::bind(self.target).await?;
        let local_addr = listener.local_addr();
        let rpc = self.service.build();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let options = Arc::new(ConnectionOptions {
            header_read_timeout: self.header_read_timeout,
            stats: self.stats,
            cors: self.cors,
            compression: self.compression,
            #[cfg(feature = "tls")]
            tls: self.tls,
        });
        let accept = AcceptLoop {
            listener,
            rpc,
            options,
            max_connections: self.max_connections,
            shutdown_timeout: self.shutdown_timeout,
            shutdown: shutdown_rx,
        };
        tokio::spawn(async move {
            accept.run().await;
            let _ = done_tx.send(true);
        });
        Ok(ServerHandle {
            local_addr,
            shutdown: Arc::new(shutdown_tx),
            done: done_rx,
        })
    }
}

/// Controls a running server.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    local_addr: Option<SocketAddr>,
    shutdown: Arc<watch::Sender<bool>>,
    done: watch::Receiver<bool>,
}

impl ServerHandle {
    /// The bound TCP address (`None` on a Unix socket); useful after binding port 0.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Starts a graceful shutdown: stop accepting, let open connections
    /// finish their requests and background notifications run out, within
    /// the shutdown timeout. Returns at once; await [`stopped`](Self::stopped).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Resolves when the server has stopped.
    pub async fn stopped(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|done| *done).await;
    }

    /// Whether the server has stopped.
    pub fn is_stopped(&self) -> bool {
        *self.done.borrow()
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How many watchdog ticks make up the header read timeout.
const IDLE_TICKS: u32 = 4;

/// How often a connection's idle watchdog looks.
fn watchdog_tick(header_read_timeout: Duration) -> Duration {
    (header_read_timeout / IDLE_TICKS).max(Duration::from_millis(1))
}

/// What the server writes: the service's own body, or the layers' (boxed: it is large).
type HttpBody = EitherBody<ResponseBody, UnsyncBoxBody<Bytes, BoxError>>;

type LayeredFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<HttpBody>, BoxError>> + Send>>;

/// Requests started and finished, and writes made, on one connection: what
/// its idle watchdog reads.
#[derive(Default)]
struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
    /// Writes that moved bytes, on HTTP/1: an answer still going out to a
    /// slow reader (its request counts as finished once its head is ready)
    /// is progress. Reads are not counted: a client dribbling a request head
    /// is not. Nor are HTTP/2's writes: a client's pings would keep an idle
    /// connection open; there an answer's request stays in flight until
    /// about two slices of its body are left to send (see [`InFlightBody`]).
    writes: AtomicU64,
    /// Set by the first HTTP/1 request.
    http1: AtomicBool,
    /// The notifications that HTTP/1 answers leave to run after them.
    after_answer: Arc<AfterAnswer>,
}

impl Activity {
    /// Counts a request as started. Requests start only in the connection's
    /// own task: a plain store, not a locked add.
    fn start(&self) {
        let started = self.started.load(Ordering::Relaxed);
        self.started
            .store(started.wrapping_add(1), Ordering::Release);
    }

    /// Whether a request is in flight, and a count that moves with every start, finish and write.
    fn snapshot(&self) -> (bool, u64) {
        let finished = self.finished.load(Ordering::Acquire);
        let started = self.started.load(Ordering::Acquire);
        let writes = self.writes.load(Ordering::Relaxed);
        (
            started != finished,
            started.wrapping_add(finished).wrapping_add(writes),
        )
    }
}

pin_project_lite::pin_project! {
    /// A connection's stream, counting the writes that move bytes.
    struct CountingWrites<I> {
        #[pin]
        io: I,
        activity: Arc<Activity>,
    }
}

impl<I: AsyncRead> AsyncRead for CountingWrites<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl<I: AsyncWrite> CountingWrites<I> {
    fn count(activity: &Activity, written: &Poll<std::io::Result<usize>>) {
        if matches!(written, Poll::Ready(Ok(n)) if *n > 0) && activity.http1.load(Ordering::Relaxed)
        {
            // Only the connection's own task writes: a plain store, not a locked add.
            let writes = activity.writes.load(Ordering::Relaxed);
            activity
                .writes
                .store(writes.wrapping_add(1), Ordering::Relaxed);
        }
    }
}

impl<I: AsyncWrite> AsyncWrite for CountingWrites<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.project();
        let written = this.io.poll_write(cx, buf);
        Self::count(this.activity, &written);
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.project();
        let written = this.io.poll_write_vectored(cx, bufs);
        Self::count(this.activity, &written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}

/// Wakes a connection's task for its watchdog and shutdown signal, and
/// remembers that it did.
struct ControlWake {
    woken: AtomicBool,
    /// The connection task's waker; kept (not taken) by a wake, so that it is
    /// registered once rather than on every poll.
    task: Mutex<Option<Waker>>,
}

impl ControlWake {
    fn register(&self, waker: &Waker) {
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(waker.clone());
    }
}

impl Wake for ControlWake {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(task) = &*self.task.lock().unwrap_or_else(PoisonError::into_inner) {
            task.wake_by_ref();
        }
    }
}

/// Counts a request as finished when its answer is ready, or when it is dropped unanswered.
struct InFlightRequest(Arc<Activity>);

impl Drop for InFlightRequest {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::Release);
    }
}

/// The service of one connection: requests go straight to the RPC service,
/// or through the CORS and compression layers when a header asks for them.
struct ConnectionService<S> {
    rpc: RpcService,
    layered: S,
    peer: Option<SocketAddr>,
    id: u64,
    cors_on: bool,
    compression_on: bool,
    activity: Arc<Activity>,
}

/// The answer to one request on a server connection. Not boxed on the
/// direct path: hyper keeps it in the connection's own state.
struct ConnectionFuture {
    inner: ConnectionFutureInner,
    /// Dropped with the future on HTTP/1; on HTTP/2 it moves into the
    /// answer's body, so the request stays in flight until that is sent.
    in_flight: Option<InFlightRequest>,
    http2: bool,
}

pin_project_lite::pin_project! {
    /// An HTTP/2 answer's body, keeping its request counted as in flight
    /// until the body is handed over whole.
    ///
    /// Its data goes out in slices of at most [`HTTP2_SLICE`] bytes, and h2
    /// buffers at most one slice per stream (the builders' send buffer
    /// size): hyper hands a data frame to h2 once the stream has any send
    /// capacity, and h2 takes the whole of it. Sliced, the body is taken
    /// only as fast as the client's flow-control window opens, so a slow
    /// reader's answer stays in flight (and its connection clear of the idle
    /// watchdog) until about two slices are left to send.
    struct InFlightBody<B> {
        #[pin]
        body: B,
        rest: Bytes,
        _in_flight: InFlightRequest,
    }
}

/// The largest data frame an HTTP/2 answer hands to hyper at once, and
/// the most h2 buffers for one stream.
const HTTP2_SLICE: usize = 64 << 10;

impl<B> InFlightBody<B> {
    fn new(body: B, in_flight: InFlightRequest) -> Self {
        Self {
            body,
            rest: Bytes::new(),
            _in_flight: in_flight,
        }
    }
}

impl<B: http_body::Body<Data = Bytes>> http_body::Body for InFlightBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        if this.rest.is_empty() {
            match std::task::ready!(this.body.poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => *this.rest = data,
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                other => return Poll::Ready(other),
            }
        }
        let slice = this.rest.len().min(HTTP2_SLICE);
        Poll::Ready(Some(Ok(http_body::Frame::data(this.rest.split_to(slice)))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let inner = self.body.size_hint();
        let rest = self.rest.len() as u64;
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(inner.lower() + rest);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + rest);
        }
        hint
    }
}

enum ConnectionFutureInner {
    Direct(ResponseFuture<Incoming>),
    Layered(LayeredFuture),
}

impl Future for ConnectionFuture {
    type Output = Result<http::Response<HttpBody>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let response = match &mut this.inner {
            ConnectionFutureInner::Direct(future) => {
                // HTTP/1 requests are answered inside the connection's own
                // task, which runs their synchronous notifications after each
                // turn; HTTP/2 ones are answered in tasks of their own and
                // use the background pool.
                let after_answer = match &this.in_flight {
                    Some(InFlightRequest(activity)) if !this.http2 => Some(&*activity.after_answer),
                    _ => None,
                };
                std::task::ready!(Pin::new(future).poll_answer(cx, after_answer))
                    .map(EitherBody::Left)
            }
            ConnectionFutureInner::Layered(future) => std::task::ready!(future.as_mut().poll(cx))?,
        };
        if !this.http2 {
            return Poll::Ready(Ok(response));
        }
        let Some(in_flight) = this.in_flight.take() else {
            return Poll::Ready(Ok(response));
        };
        Poll::Ready(Ok(response.map(|body| {
            EitherBody::Right(InFlightBody::new(body, in_flight).boxed_unsync())
        })))
    }
}

impl<L: Layered> hyper::service::Service<Request<Incoming>> for ConnectionService<L> {
    type Response = http::Response<HttpBody>;
    type Error = BoxError;
    type Future = ConnectionFuture;

    fn call(&self, mut request: Request<Incoming>) -> Self::Future {
        self.activity.start();
        let in_flight = Some(InFlightRequest(Arc::clone(&self.activity)));
        let http2 = request.version() >= http::Version::HTTP_2;
        if !http2 && !self.activity.http1.load(Ordering::Relaxed) {
            self.activity.http1.store(true, Ordering::Relaxed);
        }
        let seen = LayerHeaders::of(request.headers());
        if seen.content_encoding {
            // In the one spelling the decompression layer reads; a coding
            // that cannot be undone is refused by the service, inside the
            // layers, so that a browser may read why (CORS).
            let coding = decodable_coding(request.headers());
            if coding.is_none() {
                let refused = UndecodableEncoding(content_encodings(request.headers()));
                request.extensions_mut().insert(refused);
            }
            let headers = request.headers_mut();
            headers.remove(CONTENT_ENCODING);
            if let Some(coding) = coding.filter(|coding| *coding != "identity") {
                headers.insert(CONTENT_ENCODING, http::HeaderValue::from_static(coding));
            }
        }
        // The layers only have work when one of these headers is there;
        // other requests skip them, and their large compression body.
        let needs_layers = (self.cors_on && seen.origin)
            || (self.compression_on && seen.accept_encoding)
            || seen.content_encoding;
        let inner = if needs_layers {
            if let Some(peer) = self.peer {
                request.extensions_mut().insert(PeerAddr(peer));
            }
            request.extensions_mut().insert(ConnectionId(self.id));
            if !http2 {
                let after_answer = Arc::clone(&self.activity.after_answer);
                request.extensions_mut().insert(after_answer);
            }
            let layered = self.layered.clone().oneshot(request);
            ConnectionFutureInner::Layered(Box::pin(async move {
                let response = layered.await.map_err(Into::into)?;
                Ok(response.map(|body| EitherBody::Right(body.map_err(Into::into).boxed_unsync())))
            }))
        } else {
            let meta = Meta {
                peer: self.peer,
                connection: Some(self.id),
                after_answer: None,
                content_type_accepted: seen.content_type_accepted,
            };
            ConnectionFutureInner::Direct(self.rpc.handle_direct(request, meta))
        };
        ConnectionFuture {
            inner,
            in_flight,
            http2,
        }
    }
}

/// Which of the request headers that decide whether a request goes through
/// the server's layers are there.
struct LayerHeaders {
    content_encoding: bool,
    origin: bool,
    accept_encoding: bool,
    /// No `Content-Type`, or a first one the service accepts.
    content_type_accepted: bool,
}

impl LayerHeaders {
    /// Up to this many header values, one walk over them is cheaper than
    /// three hashed lookups; programmatic clients send about this few.
    const WALK_UP_TO: usize = 8;

    #[inline]
    fn of(headers: &http::HeaderMap) -> Self {
        if headers.len() > Self::WALK_UP_TO {
            return Self {
                content_encoding: headers.contains_key(CONTENT_ENCODING),
                origin: headers.contains_key(ORIGIN),
                accept_encoding: headers.contains_key(ACCEPT_ENCODING),
                // The service looks it up itself.
                content_type_accepted: false,
            };
        }
        let mut seen = Self {
            content_encoding: false,
            origin: false,
            accept_encoding: false,
            content_type_accepted: true,
        };
        let mut content_type_seen = false;
        for (name, value) in headers {
            if *name == CONTENT_TYPE {
                // The service reads the first one.
                if !std::mem::replace(&mut content_type_seen, true) {
                    seen.content_type_accepted = check_content_type(value).is_ok();
                }
            } else if *name == CONTENT_ENCODING {
                seen.content_encoding = true;
            } else if *name == ORIGIN {
                seen.origin = true;
            } else if *name == ACCEPT_ENCODING {
                seen.accept_encoding = true;
            }
        }
        seen
    }
}

/// Every `Content-Encoding` value of a request, joined as one list.
fn content_encodings(headers: &http::HeaderMap) -> String {
    let values: Vec<_> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
        .collect();
    values.join(", ")
}

/// Resolves once shutdown is asked for (or its sender is gone).
async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    // Not `wait_for`: its guard would be held across the select's other awaits.
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}

struct ConnectionOptions {
    header_read_timeout: Duration,
    stats: Option<Stats>,
    cors: Option<CorsLayer>,
    compression: Compression,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
}

struct AcceptLoop {
    listener: Listener,
    rpc: RpcService,
    options: Arc<ConnectionOptions>,
    max_connections: usize,
    shutdown_timeout: Duration,
    shutdown: watch::Receiver<bool>,
}

impl AcceptLoop {
    async fn run(mut self) {
        let slots = Arc::new(Semaphore::new(self.max_connections));
        let mut connections = JoinSet::new();
        let mut next_id = 0u64;
        loop {
            // A free slot first, so that past the limit new connections wait in the backlog.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
                _ = stop_requested(&mut self.shutdown) => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = stop_requested(&mut self.shutdown) => break,
            };
            let accepted = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little and go on.
                    tracing::warn!(error = %err, "accepting a connection failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Finished connections stay in the set until joined: reap them here,
            // or a long-running server would keep one entry per connection ever served.
            while connections.try_join_next().is_some() {}
            next_id += 1;
            let connection = Connection {
                id: next_id,
                rpc: self.rpc.clone(),
                options: Arc::clone(&self.options),
                shutdown: self.shutdown.clone(),
                _slot: slot,
            };
            match accepted {
                listener::Accepted::Tcp(stream, peer) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection.serve_tcp(stream, peer));
                }
                #[cfg(unix)]
                listener::Accepted::Unix(stream) => {
                    connections.spawn(connection.serve(stream, None));
                }
            }
        }
        drop(self.listener);
        let background = self.rpc.background().clone();
        background.close();
        let drain = async {
            while connections.join_next().await.is_some() {}
            background.wait().await;
        };
        if tokio::time::timeout(self.shutdown_timeout, drain)
            .await
            .is_err()
        {
            tracing::warn!(
                timeout = ?self.shutdown_timeout,
                "shutdown grace period over; closing the connections still open"
            );
            connections.abort_all();
            self.rpc.cancel_background();
        }
    }
}

struct Connection {
    id: u64,
    rpc: RpcService,
    options: Arc<ConnectionOptions>,
    shutdown: watch::Receiver<bool>,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Connection {
    /// Serves a TCP connection. Unless it carries TLS, its first bytes are
    /// peeked at to tell HTTP/1 from HTTP/2, so that hyper serves it with
    /// that protocol's own connection rather than the auto-detecting one
    /// (which reads through a rewind buffer for the connection's whole life).
    async fn serve_tcp(mut self, stream: TcpStream, peer: SocketAddr) {
        // What runs before the driver is boxed too, so that the task itself
        // stays a few pointers (see `serve_http`).
        #[cfg(feature = "tls")]
        if self.options.tls.is_some() {
            return Box::pin(self.serve(stream, Some(peer))).await;
        }
        let opened = Instant::now();
        let _open = self.options.stats.as_ref().map(Stats::connection_opened);
        let limit = watchdog_tick(self.options.header_read_timeout) * IDLE_TICKS;
        let id = self.id;
        let shutdown = &mut self.shutdown;
        let sniffed = Box::pin(async {
            tokio::select! {
                // First: bytes already there win over a timeout that is also due.
                biased;
                sniffed = sniff(&stream) => Some(sniffed),
                () = tokio::time::sleep(limit) => {
                    tracing::debug!(connection = id, "nothing received within the header read timeout; closing");
                    None
                }
                () = stop_requested(shutdown) => None,
            }
        })
        .await;
        let Some(sniffed) = sniffed else {
            return;
        };
        match sniffed {
            Ok(Some(protocol)) => self.serve_http(stream, Some(peer), protocol, opened).await,
            Ok(None) => {}
            Err(err) => {
                tracing::debug!(error = %err, connection = self.id, "reading a connection's first bytes failed")
            }
        }
    }

    async fn serve<I>(self, io: I, peer: Option<SocketAddr>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let opened = Instant::now();
        let _open = self.options.stats.as_ref().map(Stats::connection_opened);
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.options.tls {
            let handshake = Box::pin(tokio::time::timeout(
                self.options.header_read_timeout,
                tls.acceptor().accept(io),
            ));
            // The driver is built before it is awaited: the TLS stream's
            // result is not kept in the task for the connection's life.
            let driven = match handshake.await {
                Ok(Ok(stream)) => {
                    // The protocol agreed on by ALPN, if the client offered any.
                    let protocol = match stream.get_ref().1.alpn_protocol() {
                        Some(b"h2") => Protocol::Http2,
                        Some(b"http/1.1") => Protocol::Http1,
                        _ => Protocol::Unknown,
                    };
                    self.serve_http(stream, peer, protocol, opened)
                }
                Ok(Err(err)) => return tracing::debug!(error = %err, "TLS handshake failed"),
                Err(_) => return tracing::debug!("TLS handshake timed out"),
            };
            return driven.await;
        }
        self.serve_http(io, peer, Protocol::Unknown, opened).await;
    }

    /// The connection, served by hyper under its driver; the header read
    /// timeout runs from when it `opened`.
    ///
    /// Boxed, and built outside the connection's task: the driver is over
    /// 2 KiB, and held inline it made tokio's harness reserve stack frames
    /// of the task's size on every poll (it moves whole task states), so
    /// that each request ran some 40 KiB down the stack instead of 15.
    #[inline(never)]
    fn serve_http<I>(
        self,
        io: I,
        peer: Option<SocketAddr>,
        protocol: Protocol,
        opened: Instant,
    ) -> Pin<Box<Driven<I, impl Layered>>>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            id,
            rpc,
            options,
            mut shutdown,
            _slot,
        } = self;
        let stack = tower::ServiceBuilder::new()
            .option_layer(options.cors.clone())
            .layer(options.compression.layer())
            .layer(RequestDecompressionLayer::new())
            .service(rpc.clone());
        let activity = Arc::new(Activity::default());
        let service = ConnectionService {
            rpc,
            layered: stack,
            peer,
            id,
            cors_on: options.cors.is_some(),
            compression_on: options.compression.is_on(),
            activity: Arc::clone(&activity),
        };
        let io = TokioIo::new(CountingWrites {
            io,
            activity: Arc::clone(&activity),
        });
        // hyper's own header read timeout arms a timer for every request;
        // the driver's idle watchdog does the same job with one per connection.
        // Half-closed connections are served: a client that closes right
        // after sending must still have its message run (a notification
        // would otherwise be lost).
        let served = match protocol {
            Protocol::Http1 => Served::Http1 {
                connection: hyper::server::conn::http1::Builder::new()
                    .header_read_timeout(None)
                    .keep_alive(true)
                    .half_close(true)
                    .serve_connection(io, service),
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
                    connection: builder.serve_connection(io, service).into_owned(),
                }
            }
        };
        let tick = watchdog_tick(options.header_read_timeout);
        // The time spent on the TLS handshake or the first bytes counts.
        let idle_ticks =
            (opened.elapsed().as_nanos() / tick.as_nanos()).min(u128::from(IDLE_TICKS - 1));
        let control = Arc::new(ControlWake {
            woken: AtomicBool::new(true),
            task: Mutex::new(None),
        });
        Box::pin(Driven {
            served,
            watchdog: tokio::time::sleep(tick),
            shutdown: Box::pin(async move { stop_requested(&mut shutdown).await }),
            control_waker: Waker::from(Arc::clone(&control)),
            control,
            registered: None,
            id,
            tick,
            activity,
            last_progress: 0,
            idle_ticks: u32::try_from(idle_ticks).unwrap_or(IDLE_TICKS - 1),
            close_grace: None,
            shutting_down: false,
            _slot,
        })
    }
}

/// What a connection speaks, when that is known before hyper reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Protocol {
    Http1,
    Http2,
    /// Left to hyper-util's auto-detecting connection.
    Unknown,
}

/// The HTTP/2 connection preface (RFC 9113, section 3.4).
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Tells the protocol from what a client sent first, without consuming it.
async fn sniff(stream: &TcpStream) -> std::io::Result<Option<Protocol>> {
    let mut first = [0; HTTP2_PREFACE.len()];
    let read = stream.peek(&mut first).await?;
    Ok(protocol_of(&first[..read]))
}

/// The protocol that a connection's first bytes show: anything that is not
/// a prefix of the HTTP/2 preface is HTTP/1, and a prefix too short to tell
/// is left to the auto-detecting connection. `None` for no bytes (closed).
fn protocol_of(first: &[u8]) -> Option<Protocol> {
    if first.is_empty() {
        None
    } else if !HTTP2_PREFACE.starts_with(first) {
        Some(Protocol::Http1)
    } else if first.len() == HTTP2_PREFACE.len() {
        Some(Protocol::Http2)
    } else {
        Some(Protocol::Unknown)
    }
}

/// The service stack a connection's layered requests go through.
trait Layered:
    tower::Service<
        Request<Incoming>,
        Response = http::Response<Self::Body>,
        Error = Self::LayerError,
        Future = Self::LayerFuture,
    > + Clone
    + Send
    + 'static
{
    type Body: http_body::Body<Data = Bytes, Error = Self::BodyError> + Send + 'static;
    type BodyError: Into<BoxError>;
    type LayerError: Into<BoxError>;
    type LayerFuture: Send;
}

impl<S, B> Layered for S
where
    S: tower::Service<Request<Incoming>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Body = B;
    type BodyError = B::Error;
    type LayerError = S::Error;
    type LayerFuture = S::Future;
}

type ServedIo<I> = TokioIo<CountingWrites<I>>;

pin_project_lite::pin_project! {
    /// A connection as hyper serves it.
    #[project = ServedProj]
    enum Served<I, L: Layered> {
        Http1 {
            #[pin]
            connection: hyper::server::conn::http1::Connection<ServedIo<I>, ConnectionService<L>>,
        },
        Http2 {
            #[pin]
            connection: hyper::server::conn::http2::Connection<ServedIo<I>, ConnectionService<L>, TokioExecutor>,
        },
        Unknown {
            #[pin]
            connection: auto::Connection<'static, ServedIo<I>, ConnectionService<L>, TokioExecutor>,
        },
    }
}

impl<I, L> Served<I, L>
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    L: Layered,
{
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
    struct Driven<I, L: Layered> {
        #[pin]
        served: Served<I, L>,
        #[pin]
        watchdog: tokio::time::Sleep,
        shutdown: Pin<Box<dyn Future<Output = ()> + Send>>,
        // The watchdog and the shutdown signal are polled only when they
        // woke the task, not on each of the connection's own wake-ups.
        control: Arc<ControlWake>,
        control_waker: Waker,
        registered: Option<Waker>,
        id: u64,
        tick: Duration,
        activity: Arc<Activity>,
        last_progress: u64,
        idle_ticks: u32,
        // Set once the connection is asked to close: how many ticks
        // without progress it is then given before it is dropped.
        close_grace: Option<u32>,
        shutting_down: bool,
        _slot: tokio::sync::OwnedSemaphorePermit,
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
            this.control.register(cx.waker());
            *this.registered = Some(cx.waker().clone());
        }
        // A plain load first: the swap's locked write only when woken.
        if this.control.woken.load(Ordering::Acquire)
            && this.control.woken.swap(false, Ordering::AcqRel)
            && this.watch().is_ready()
        {
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

#[cfg(test)]
mod tests {

    use std::sync::Arc;
    use std::time::Duration;

    use super::{
        protocol_of, Compression, Connection, ConnectionOptions, LayerHeaders, Protocol,
        HTTP2_PREFACE,
    };
    use crate::RpcService;
    use http::header::{HeaderName, HeaderValue, ACCEPT_ENCODING, CONTENT_ENCODING, ORIGIN};
    use rpc_core::Router;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{watch, Semaphore};

    #[tokio::test]
    async fn a_connection_task_holds_its_driver_boxed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, peer) = listener.accept().await.unwrap();
        let connection = Connection {
            id: 1,
            rpc: RpcService::new(Router::new()),
            options: Arc::new(ConnectionOptions {
                header_read_timeout: Duration::from_secs(30),
                stats: None,
                cors: None,
                compression: Compression::off(),
                #[cfg(feature = "tls")]
                tls: None,
            }),
            shutdown: watch::channel(false).1,
            _slot: Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap(),
        };
        let options = Arc::clone(&connection.options);
        let task = connection.serve_tcp(stream, peer);
        // tokio's harness reserves stack frames of a task's size on each poll.
        let size = std::mem::size_of_val(&task);
        assert!(size <= 512, "the TCP connection task takes {size} bytes");

        #[cfg(unix)]
        {
            let (stream, _client) = tokio::net::UnixStream::pair().unwrap();
            let connection = Connection {
                id: 2,
                rpc: RpcService::new(Router::new()),
                options,
                shutdown: watch::channel(false).1,
                _slot: Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap(),
            };
            let task = connection.serve(stream, None);
            let size = std::mem::size_of_val(&task);
            assert!(size <= 512, "the Unix connection task takes {size} bytes");
        }
    }

    #[test]
    fn layer_headers_are_found_among_few_and_many() {
        for padding in [0, 2, 20] {
            let mut headers = http::HeaderMap::new();
            for i in 0..padding {
                let name = HeaderName::try_from(format!("x-pad-{i}")).unwrap();
                headers.insert(name, HeaderValue::from_static("1"));
            }
            let none = LayerHeaders::of(&headers);
            assert!(!none.content_encoding && !none.origin && !none.accept_encoding);
            headers.append(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            headers.append(CONTENT_ENCODING, HeaderValue::from_static("br"));
            headers.insert(ORIGIN, HeaderValue::from_static("https://a.example"));
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("zstd"));
            let all = LayerHeaders::of(&headers);
            assert!(
                all.content_encoding && all.origin && all.accept_encoding,
                "{padding} others"
            );
        }
    }

    #[test]
    fn the_first_bytes_tell_the_protocol() {
        assert_eq!(protocol_of(b""), None);
        assert_eq!(protocol_of(b"POST / HTTP/1.1\r\n"), Some(Protocol::Http1));
        assert_eq!(protocol_of(b"G"), Some(Protocol::Http1));
        assert_eq!(protocol_of(b"PO"), Some(Protocol::Http1));
        assert_eq!(protocol_of(b"P"), Some(Protocol::Unknown));
        assert_eq!(protocol_of(b"PRI * HTTP/2.0"), Some(Protocol::Unknown));
        assert_eq!(protocol_of(HTTP2_PREFACE), Some(Protocol::Http2));
    }
}
