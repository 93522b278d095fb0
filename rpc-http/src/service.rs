//! The HTTP face of a router: a tower `Service` from HTTP requests to HTTP
//! responses, usable on its own (inside axum or any hyper app) or through
//! [`Server`](crate::Server).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context as TaskContext, Poll};

use bytes::Buf;
use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_LENGTH, CONTENT_TYPE, SET_COOKIE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use rpc_core::{
    error_response, Call, Context, Error as RpcError, ErrorCode, HeaderLookup, Id, ResponseEffects,
    Router,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::HttpConfig;
use crate::stats::{InFlight, Stats};

/// The body of every response the service writes.
pub type ResponseBody = Full<Bytes>;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The remote peer's address. The [`Server`](crate::Server) puts it in each
/// request's extensions; when embedding [`RpcService`] elsewhere, insert it
/// yourself (for axum: from `ConnectInfo<SocketAddr>`) and methods see it as
/// `Context::peer_addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// A request `Content-Encoding` the server cannot undo (the header's text),
/// set by the [`Server`](crate::Server) for the service to refuse with `415`.
#[derive(Debug, Clone)]
pub(crate) struct UndecodableEncoding(pub(crate) String);

/// The id of the connection a request came on, set by the [`Server`](crate::Server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectionId(pub(crate) u64);

/// What is known about the connection a request came on. The server hands it
/// over directly; an embedding app puts [`PeerAddr`] in the request's extensions.
#[derive(Clone, Default)]
pub(crate) struct Meta {
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) connection: Option<u64>,
    /// Set on HTTP/1 connections of the server, which run it after each turn.
    pub(crate) after_answer: Option<Arc<AfterAnswer>>,
    /// Set when the server has seen that the request's `Content-Type` (if
    /// any) is one the service accepts: no second lookup.
    pub(crate) content_type_accepted: bool,
}

impl Meta {
    fn take_from(extensions: &mut http::Extensions) -> Self {
        Meta {
            peer: extensions.remove::<PeerAddr>().map(|PeerAddr(addr)| addr),
            connection: extensions
                .remove::<ConnectionId>()
                .map(|ConnectionId(id)| id),
            after_answer: extensions.remove::<Arc<AfterAnswer>>(),
            content_type_accepted: false,
        }
    }
}

/// Notification-only messages of synchronous methods that an HTTP/1
/// connection of the [`Server`](crate::Server) runs itself, after the poll
/// of the connection that produced their answer (hyper has then normally
/// written it): no task to spawn, and the client does not wait for them.
/// They run in the order they arrived. Requests pipelined behind one may be
/// answered in the same poll, before it runs.
#[derive(Default)]
pub(crate) struct AfterAnswer {
    queued: AtomicBool,
    jobs: Mutex<VecDeque<Job>>,
}

/// A message, with what running it needs.
struct Message {
    router: Arc<Router>,
    bytes: Bytes,
    ctx: MessageContext,
    in_flight: Option<InFlight>,
}

/// A message's context: none is built when no method of its router reads one.
struct MessageContext(Option<Context>);

impl MessageContext {
    /// Built from the request when the router reads contexts; dropped unread otherwise.
    fn new(reads_context: bool, parts: http::request::Parts, meta: Meta) -> Self {
        MessageContext(reads_context.then(|| context(parts, meta)))
    }

    /// The context methods see: the message's own, or the shared empty one.
    #[inline]
    fn get(&self) -> &Context {
        self.0.as_ref().unwrap_or_else(|| Context::empty())
    }
}

/// A queued notification-only message: a future parked where it runs its
/// (synchronous) methods, so that it is parsed only once. It completes in
/// one poll, with `None`. (`Some` is a message [`Message::park`] gives back,
/// with whether it is notification-only.)
type Job = Pin<Box<dyn Future<Output = Option<(Message, bool)>> + Send>>;

/// A future that is pending once (without asking to be woken), then ready.
#[derive(Default)]
struct ParkOnce {
    parked: bool,
}

impl Future for ParkOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.parked, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Message {
    /// Parses the message and, if it is notification-only and runs at once,
    /// parks it, parsed, ready to run; otherwise gives it back, saying
    /// whether it is notification-only (then for the background pool).
    #[allow(
        clippy::result_large_err,
        reason = "handed back by value once per message; a box would cost an allocation"
    )]
    fn park(self) -> Result<Job, (Message, bool)> {
        let mut job: Job = Box::pin(async move {
            let notification_only = {
                let call = self.router.parse(&self.bytes);
                let notification_only = call.is_notification_only();
                if notification_only && call.is_immediate() {
                    ParkOnce::default().await;
                    if let Some(rest) = run_queued(call, self.ctx.get()) {
                        rest.await;
                    }
                    return None;
                }
                notification_only
            };
            Some((self, notification_only))
        });
        let mut cx = TaskContext::from_waker(std::task::Waker::noop());
        match job.as_mut().poll(&mut cx) {
            Poll::Pending => Ok(job),
            Poll::Ready(given_back) => Err(given_back.expect("only a parked job runs")),
        }
    }

    /// A job for a message known to be notification-only and to run at once.
    fn into_job(self) -> Job {
        Box::pin(async move {
            if let Some(rest) = run_queued(self.router.parse(&self.bytes), self.ctx.get()) {
                rest.await;
            }
            None
        })
    }
}

/// Runs a queued message, known to run at once. Should it not (checked
/// before queueing: it cannot happen), the future that runs it, boxed so
/// that the queued future stays small.
#[inline]
fn run_queued<'c>(call: Call<'c, 'c>, ctx: &'c Context) -> Option<BoxFuture<'c>> {
    let call = call.run_now(ctx).err()?;
    Some(Box::pin(async move {
        call.run(ctx).await;
    }))
}

/// A boxed future with nothing to give back.
type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

impl AfterAnswer {
    #[inline]
    fn push(&self, job: Job) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(job);
        self.queued.store(true, Ordering::Release);
    }

    /// Runs the queued notifications, in order.
    pub(crate) fn run(&self) {
        // Runs after every poll of the connection: a plain load when there is nothing.
        if !self.queued.load(Ordering::Acquire) || !self.queued.swap(false, Ordering::AcqRel) {
            return;
        }
        let mut cx = TaskContext::from_waker(std::task::Waker::noop());
        loop {
            let (next, more) = {
                let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
                (jobs.pop_front(), !jobs.is_empty())
            };
            let Some(mut job) = next else {
                return;
            };
            if job.as_mut().poll(&mut cx).is_pending() {
                // Only messages that run at once are queued; should one not,
                // it still runs rather than being lost.
                tracing::error!("a queued notification had to wait; running it in a task");
                tokio::spawn(async move {
                    job.await;
                });
            }
            if !more {
                return;
            }
        }
    }
}

/// Serves one or more routers over HTTP: JSON-RPC over `POST`, the optional
/// `GET`/JSONP fallback, request context in and response headers and cookies
/// out, and the limits of [`HttpConfig`].
///
/// It is a tower `Service<http::Request<B>>` for any body type, so it mounts
/// inside an existing axum or hyper application:
///
/// ```
/// use rpc_core::{Context, Error, Params, Router};
/// use rpc_http::RpcService;
///
/// let mut router = Router::new();
/// router.method("ping", |_: Params<'_>, _: &Context| Ok::<_, Error>("pong")).unwrap();
/// let service = RpcService::new(router);
/// // axum: Router::new().route_service("/rpc", service)
/// # let _ = service;
/// ```
///
/// Answers, by request:
///
/// | request | answer |
/// |---|---|
/// | `POST` with a JSON body | `200` and the JSON-RPC response (`application/json`) |
/// | `POST` of only notifications | `200` with an empty body at once; the methods run after it (see [`HttpConfig::notification_concurrency`]) |
/// | `POST` with another `Content-Type` | `415` (accepted: `application/json`, `application/json-rpc`, `application/jsonrequest`; a charset other than UTF-8 is refused; no `Content-Type` at all is accepted) |
/// | `POST` body over the limit | `413` |
/// | `GET` (when enabled) | see [`HttpConfig::get`] |
/// | `OPTIONS` | `204` with `Allow` (CORS preflights are answered by the CORS layer of [`Server`](crate::Server)) |
/// | any other method | `405` with `Allow` |
/// | a path with no router | `404` |
///
/// Every refusal carries a JSON-RPC error object saying why. An empty `200`
/// rather than `204` answers notifications because many established
/// JSON-RPC clients accept only `200`.
///
/// Its timeouts ([`HttpConfig::body_read_timeout`],
/// [`HttpConfig::request_timeout`]) use Tokio's timer: run it on a runtime
/// with time enabled (`#[tokio::main]` does), or turn them off.
#[derive(Clone)]
pub struct RpcService {
    shared: Arc<Shared>,
}

struct Shared {
    routes: Vec<Route>,
    /// Set by [`RpcService::new`]: one router, answering on any path.
    any_path: bool,
    config: HttpConfig,
    requests: Semaphore,
    notifications: Arc<Semaphore>,
    background: TaskTracker,
    /// Ends the background notifications still running when a shutdown's grace period is over.
    cancel_background: CancellationToken,
    stats: Option<Stats>,
}

struct Route {
    /// Without a trailing slash; the root is `""`.
    path: Box<str>,
    router: Arc<Router>,
    /// Whether any of its methods reads the context; if none does, none is built.
    reads_context: bool,
}

impl std::fmt::Debug for RpcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let paths: Vec<&str> = self
            .shared
            .routes
            .iter()
            .map(|route| &*route.path)
            .collect();
        f.debug_struct("RpcService")
            .field("paths", &paths)
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

/// Builds an [`RpcService`] with several routers, options and statistics.
#[derive(Debug, Default)]
pub struct RpcServiceBuilder {
    routes: Vec<(String, Router)>,
    /// One router answering on any path (what [`RpcService::new`] builds).
    any_path: bool,
    config: HttpConfig,
    stats: Option<Stats>,
}

impl RpcServiceBuilder {
    /// Serves `router` at `path` (`"/"`, `"/api"`); a later mount of the same path replaces it.
    #[must_use]
    pub fn mount(mut self, path: &str, router: Router) -> Self {
        let path = normalize(path);
        self.routes.retain(|(existing, _)| *existing != path);
        self.routes.push((path, router));
        self
    }

    /// Replaces the options.
    #[must_use]
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.config = config;
        self
    }

    /// Records per-method and per-request statistics into `stats`.
    #[must_use]
    pub fn stats(mut self, stats: &Stats) -> Self {
        self.stats = Some(stats.clone());
        self
    }

    /// The service.
    pub fn build(self) -> RpcService {
        let stats = self.stats;
        let routes = self
            .routes
            .into_iter()
            .map(|(path, mut router)| {
                if let Some(stats) = &stats {
                    stats.watch(&mut router);
                }
                Route {
                    path: path.into_boxed_str(),
                    reads_context: router.reads_context(),
                    router: Arc::new(router),
                }
            })
            .collect();
        let config = self.config;
        RpcService {
            shared: Arc::new(Shared {
                routes,
                any_path: self.any_path,
                requests: Semaphore::new(config.max_concurrent_requests),
                notifications: Arc::new(Semaphore::new(config.notification_concurrency)),
                background: TaskTracker::new(),
                cancel_background: CancellationToken::new(),
                config,
                stats,
            }),
        }
    }
}

/// `"/api/"` → `"/api"`, `"/"` → `""`, `"api"` → `"/api"`.
fn normalize(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        String::new()
    } else if trimmed.starts_with('/') {
        trimmed.to_owned()
    } else {
        format!("/{trimmed}")
    }
}

impl RpcService {
    /// Serves `router` at whatever path requests arrive on, with default
    /// options: the host application (axum's `route_service("/rpc", ..)`,
    /// say) decides which requests reach it.
    pub fn new(router: Router) -> Self {
        let mut builder = Self::builder().mount("/", router);
        builder.any_path = true;
        builder.build()
    }

    /// A builder for several routers, options and statistics.
    pub fn builder() -> RpcServiceBuilder {
        RpcServiceBuilder::default()
    }

    /// The options in force.
    pub fn config(&self) -> &HttpConfig {
        &self.shared.config
    }

    /// Notifications still running in the background.
    pub(crate) fn background(&self) -> &TaskTracker {
        &self.shared.background
    }

    /// Cancels the notifications still running in the background.
    pub(crate) fn cancel_background(&self) {
        self.shared.cancel_background.cancel();
    }
}

impl<B> tower::Service<Request<B>> for RpcService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = InfallibleFuture<ResponseFuture<B>>;

    fn poll_ready(&mut self, _: &mut TaskContext<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let extensions = request.extensions_mut();
        if let Some(UndecodableEncoding(encoding)) = extensions.remove() {
            return InfallibleFuture {
                inner: ResponseFuture::ready(undecodable(&encoding)),
            };
        }
        let meta = Meta::take_from(extensions);
        InfallibleFuture {
            inner: self.handle_direct(request, meta),
        }
    }
}

pin_project_lite::pin_project! {
    /// A future that cannot fail, as a tower service's `Result` future.
    #[derive(Debug)]
    pub struct InfallibleFuture<F> {
        #[pin]
        inner: F,
    }
}

impl<F: Future> Future for InfallibleFuture<F> {
    type Output = Result<F::Output, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.project().inner.poll(cx).map(Ok)
    }
}

impl RpcService {
    /// The server's entry point: no tower plumbing, and the connection's
    /// facts passed along instead of through extensions.
    #[inline(always)]
    pub(crate) fn handle_direct<B>(&self, request: Request<B>, meta: Meta) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        Arc::clone(&self.shared).handle(request, meta)
    }
}

pin_project_lite::pin_project! {
    /// The answer to one request: [`RpcService`]'s future.
    ///
    /// A hand-written state machine rather than an `async fn`: while the body
    /// is read it holds little, and a message whose methods are all
    /// synchronous is answered in the poll that completes the body, with no
    /// further future, timer or allocation. Only what must wait (asynchronous
    /// methods, a full pool, the `GET` fallback) is boxed.
    pub struct ResponseFuture<B>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        #[pin]
        state: State<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<B>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        ReadingBody {
            #[pin]
            body: B,
            received: Received,
            then: Option<AfterBody>,
            // Armed the first time the body is not all there.
            deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        },
        Waiting {
            future: Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>,
        },
        Ready {
            response: Option<Response<ResponseBody>>,
        },
    }
}

/// What a POST needs once its body is in.
struct AfterBody {
    shared: Arc<Shared>,
    /// Index of the router in `shared.routes`: no reference count to move.
    route: usize,
    ctx: MessageContext,
    /// Set when the request came through the server's layers, which hand it
    /// over in the request's extensions.
    after_answer: Option<Arc<AfterAnswer>>,
}

impl<B> std::fmt::Debug for ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::ReadingBody { .. } => "reading the body",
            State::Waiting { .. } => "waiting",
            State::Ready { .. } => "ready",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<B> ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    fn ready(response: Response<ResponseBody>) -> Self {
        Self {
            state: State::Ready {
                response: Some(response),
            },
        }
    }

    fn waiting(future: impl Future<Output = Response<ResponseBody>> + Send + 'static) -> Self {
        Self {
            state: State::Waiting {
                future: Box::pin(future),
            },
        }
    }
}

impl<B> Future for ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Output = Response<ResponseBody>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.poll_answer(cx, None)
    }
}

impl<B> ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    /// Polls for the answer; a server's HTTP/1 connection passes its queue
    /// for the notifications to run after their answer.
    #[inline]
    pub(crate) fn poll_answer(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        after_answer: Option<&AfterAnswer>,
    ) -> Poll<Response<ResponseBody>> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::ReadingBody {
                    mut body,
                    received,
                    then,
                    deadline,
                } => {
                    let config = &then
                        .as_ref()
                        .expect("ResponseFuture polled after completion")
                        .shared
                        .config;
                    let limit = config.max_body_size;
                    loop {
                        let frame = match body.as_mut().poll_frame(cx) {
                            Poll::Ready(frame) => frame,
                            Poll::Pending => {
                                let timed_out = std::task::ready!(body_overdue(
                                    deadline,
                                    config.body_read_timeout,
                                    cx
                                ));
                                then.take();
                                return Poll::Ready(timed_out);
                            }
                        };
                        let refused = match frame {
                            Some(Ok(frame)) => match frame.into_data() {
                                Ok(mut data) => {
                                    let expected = body.size_hint().lower();
                                    if received.push(&mut data, limit, expected) {
                                        continue;
                                    }
                                    too_large(limit)
                                }
                                // Trailers: nothing to keep.
                                Err(_) => continue,
                            },
                            Some(Err(err)) => {
                                let err: BoxError = err.into();
                                refusal(
                                    StatusCode::BAD_REQUEST,
                                    format!("could not read the request body: {err}"),
                                )
                            }
                            None => break,
                        };
                        // Answered: a later poll is a poll after completion.
                        then.take();
                        return Poll::Ready(refused);
                    }
                    let AfterBody {
                        shared,
                        route,
                        ctx,
                        after_answer: layered,
                    } = then.take().expect("ResponseFuture polled after completion");
                    let after_answer = layered.as_deref().or(after_answer);
                    match shared.dispatch(route, received.take(), ctx, after_answer) {
                        Answer::Now(response) => return Poll::Ready(response),
                        Answer::Later(future) => State::Waiting { future },
                    }
                }
                StateProj::Waiting { future } => return future.as_mut().poll(cx),
                StateProj::Ready { response } => {
                    return Poll::Ready(
                        response
                            .take()
                            .expect("ResponseFuture polled after completion"),
                    )
                }
            };
            state.set(next);
        }
    }
}

/// Pending while the body may still come; once it is overdue, the `408`
/// answer (which closes the connection: the rest of the body is not read).
#[inline(never)]
fn body_overdue(
    deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    timeout: Option<std::time::Duration>,
    cx: &mut TaskContext<'_>,
) -> Poll<Response<ResponseBody>> {
    let Some(timeout) = timeout else {
        return Poll::Pending;
    };
    let deadline = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
    std::task::ready!(deadline.as_mut().poll(cx));
    let mut response = refusal(
        StatusCode::REQUEST_TIMEOUT,
        format!("the request body did not arrive within {timeout:?}"),
    );
    response
        .headers_mut()
        .insert(http::header::CONNECTION, HeaderValue::from_static("close"));
    Poll::Ready(response)
}

/// The request body read so far: its one chunk (no copy), or the chunks joined.
#[derive(Default)]
struct Received {
    first: Option<Bytes>,
    joined: Vec<u8>,
}

impl Received {
    /// Adds a chunk; `false` when the body grows past `limit` bytes.
    /// `expected` is what the body says is still to come (its length, for
    /// a `Content-Length` body), to size the joined buffer once.
    #[inline]
    fn push(&mut self, data: &mut impl Buf, limit: usize, expected: u64) -> bool {
        let had = self.first.as_ref().map_or(self.joined.len(), Bytes::len);
        if data.remaining() > limit.saturating_sub(had) {
            return false;
        }
        if self.first.is_none() && self.joined.is_empty() {
            self.first = Some(data.copy_to_bytes(data.remaining()));
            return true;
        }
        if let Some(first) = self.first.take() {
            let total = (first.len() + data.remaining())
                .saturating_add(usize::try_from(expected).unwrap_or(usize::MAX));
            // Capped: a declared length is only a claim until the bytes come.
            self.joined.reserve(total.min(limit).min(1 << 20));
            self.joined.extend_from_slice(&first);
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            self.joined.extend_from_slice(chunk);
            let read = chunk.len();
            data.advance(read);
        }
        true
    }

    fn take(&mut self) -> Bytes {
        match self.first.take() {
            Some(first) => first,
            None => Bytes::from(std::mem::take(&mut self.joined)),
        }
    }
}

/// A message's answer: made at once, or a future to wait for.
enum Answer {
    Now(Response<ResponseBody>),
    Later(Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>),
}

impl Shared {
    #[inline]
    fn handle<B>(self: Arc<Self>, request: Request<B>, meta: Meta) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let path = request.uri().path();
        if request.method() == Method::POST {
            if let Some(route) = self.route(path) {
                return self.post(route, request, meta);
            }
        }
        let response = match *request.method() {
            Method::GET if self.config.get => match self.get_target(path) {
                Some((route, method)) => {
                    return ResponseFuture::waiting(self.get(route, method, request, meta));
                }
                None if self.route(path).is_some() => refusal(
                    StatusCode::BAD_REQUEST,
                    format!(
                        "GET needs a method name in the path: `{}/<method>?name=value`",
                        path.trim_end_matches('/')
                    ),
                ),
                None => not_found(path),
            },
            _ => match self.allow(path) {
                Some(allow) if request.method() == Method::OPTIONS => {
                    let mut response = empty(StatusCode::NO_CONTENT);
                    response.headers_mut().insert(ALLOW, allow);
                    response
                }
                Some(allow) => {
                    let mut response = refusal(
                        StatusCode::METHOD_NOT_ALLOWED,
                        format!(
                            "HTTP method {} is not allowed here; send JSON-RPC with POST",
                            request.method()
                        ),
                    );
                    response.headers_mut().insert(ALLOW, allow);
                    response
                }
                None => not_found(path),
            },
        };
        ResponseFuture::ready(response)
    }

    /// The `Allow` header of `path`: `POST` where a router is mounted, `GET`
    /// where the fallback names a method; `None` where nothing answers.
    fn allow(&self, path: &str) -> Option<HeaderValue> {
        let post = self.route(path).is_some();
        let get = self.config.get && self.get_target(path).is_some();
        Some(HeaderValue::from_static(match (post, get) {
            (true, true) => "POST, GET, OPTIONS",
            (true, false) => "POST, OPTIONS",
            (false, true) => "GET, OPTIONS",
            (false, false) => return None,
        }))
    }

    /// The index of the route serving `path`.
    #[inline]
    fn route(&self, path: &str) -> Option<usize> {
        if self.any_path {
            return (!self.routes.is_empty()).then_some(0);
        }
        let path = path.trim_end_matches('/');
        if let [only] = &*self.routes {
            // One mount, the common case: one comparison.
            return (&*only.path == path).then_some(0);
        }
        self.routes.iter().position(|route| &*route.path == path)
    }

    /// `<mount>/<method>` for the GET fallback; the longest mount wins, so
    /// with `/` and `/api` mounted, `/api/m` is `m` at `/api`, not `api/m` at `/`.
    fn get_target(&self, path: &str) -> Option<(usize, String)> {
        let (index, rest) = self
            .routes
            .iter()
            .enumerate()
            .filter_map(|(index, route)| {
                let rest = path.strip_prefix(&*route.path)?.strip_prefix('/')?;
                Some((index, rest))
            })
            .max_by_key(|&(index, _)| self.routes[index].path.len())?;
        let method = percent_decode(rest)?;
        (!method.is_empty()).then_some((index, method))
    }

    #[inline(always)]
    fn post<B>(
        self: Arc<Self>,
        route: usize,
        request: Request<B>,
        mut meta: Meta,
    ) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if !meta.content_type_accepted {
            if let Some(content_type) = request.headers().get(CONTENT_TYPE) {
                if let Err(reason) = check_content_type(content_type) {
                    return ResponseFuture::ready(refusal(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        reason,
                    ));
                }
            }
        }
        let limit = self.config.max_body_size;
        // The body knows its declared length (`Content-Length`), if any.
        if request.body().size_hint().lower() > limit as u64 {
            return ResponseFuture::ready(too_large(limit));
        }
        let (parts, body) = request.into_parts();
        let after_answer = meta.after_answer.take();
        let ctx = MessageContext::new(self.routes[route].reads_context, parts, meta);
        ResponseFuture {
            state: State::ReadingBody {
                body,
                received: Received::default(),
                deadline: None,
                then: Some(AfterBody {
                    shared: self,
                    route,
                    ctx,
                    after_answer,
                }),
            },
        }
    }

    async fn get<B>(
        self: Arc<Self>,
        route: usize,
        method: String,
        request: Request<B>,
        meta: Meta,
    ) -> Response<ResponseBody> {
        let (parts, _body) = request.into_parts();
        let query = parts.uri.query().unwrap_or("");
        let mut params = serde_json::Map::new();
        let mut callback = None;
        for (key, value) in form_urlencoded::parse(query.as_bytes()) {
            if key == "callback" || key == "jsonp" {
                // Without JSONP the parameter is ignored, not passed to the method.
                if self.config.jsonp {
                    callback = Some(value.into_owned());
                }
                continue;
            }
            let value = serde_json::from_str(&value)
                .unwrap_or_else(|_| serde_json::Value::String(value.into_owned()));
            params.insert(key.into_owned(), value);
        }
        if let Some(name) = &callback {
            if !is_callback_name(name) {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    "the JSONP callback must be a JavaScript identifier path such as `cb` or `app.cb`".to_owned(),
                );
            }
        }
        let message = serde_json::json!({
            "jsonrpc": "2.0",
            "method": method,
            "params": params,
            "id": null,
        });
        let bytes = Bytes::from(serde_json::to_vec(&message).expect("a JSON value serializes"));
        let ctx = MessageContext::new(self.routes[route].reads_context, parts, meta);
        let response = match self.dispatch(route, bytes, ctx, None) {
            Answer::Now(response) => response,
            Answer::Later(future) => future.await,
        };
        match callback {
            Some(name) => jsonp(response, &name).await,
            None => response,
        }
    }

    /// Runs one message and builds the HTTP answer: at once when no method
    /// has to be waited for, else as a future.
    fn dispatch(
        self: Arc<Self>,
        route: usize,
        bytes: Bytes,
        ctx: MessageContext,
        after_answer: Option<&AfterAnswer>,
    ) -> Answer {
        let router = &self.routes[route].router;
        let in_flight = self.stats.as_ref().map(Stats::request_started);
        let message = |bytes, ctx, in_flight| Message {
            router: Arc::clone(router),
            bytes,
            ctx,
            in_flight,
        };
        // Without an `"id"` anywhere it is likely a notification: parsed
        // inside the job that runs it (after the answer), not twice. An id
        // written with escapes only sends a message the long way.
        let (bytes, ctx, in_flight) = match after_answer {
            Some(after_answer) if !mentions_id(&bytes) => {
                match message(bytes, ctx, in_flight).park() {
                    Ok(job) => {
                        after_answer.push(job);
                        return Answer::Now(empty(StatusCode::OK));
                    }
                    // Notification-only, but waits: the pool's.
                    Err((given_back, true)) => return self.acknowledge(given_back),
                    Err((given_back, false)) => {
                        (given_back.bytes, given_back.ctx, given_back.in_flight)
                    }
                }
            }
            _ => (bytes, ctx, in_flight),
        };
        let call = router.parse(&bytes);
        if call.is_notification_only() {
            let immediate = call.is_immediate();
            drop(call);
            let message = message(bytes, ctx, in_flight);
            return match after_answer {
                Some(after_answer) if immediate => {
                    after_answer.push(message.into_job());
                    Answer::Now(empty(StatusCode::OK))
                }
                _ => self.acknowledge(message),
            };
        }
        // A free slot means nobody is queued ahead; synchronous methods then
        // run here and now, done before the slot could matter (taking and
        // giving it back would cost a lock). A timeout could not interrupt
        // them anyway.
        if self.requests.available_permits() > 0 {
            match call.run_now(ctx.get()) {
                Ok(answer) => return Answer::Now(respond(answer, ctx)),
                Err(call) => drop(call),
            }
        } else {
            drop(call);
        }
        let message = message(bytes, ctx, in_flight);
        self.answer(message)
    }

    /// Answers a message that has to wait: for a request slot, or for its
    /// asynchronous methods.
    fn answer(self: Arc<Self>, message: Message) -> Answer {
        Answer::Later(Box::pin(async move {
            // Back-pressure, not refusal: past the limit, requests wait their turn.
            let _slot = self.requests.acquire().await;
            // Parsed again: the first parse borrowed the bytes this future now owns.
            let call = message.router.parse(&message.bytes);
            let id = call.id().cloned();
            let answer = match self.config.request_timeout {
                None => call.run(message.ctx.get()).await,
                Some(limit) => match tokio::time::timeout(limit, call.run(message.ctx.get())).await
                {
                    Ok(answer) => answer,
                    Err(_) => Some(timed_out(limit, id.as_ref())),
                },
            };
            respond(answer, message.ctx)
        }))
    }

    /// Acknowledges a notification-only message at once and runs it in the
    /// background, bounded by the notification pool; when the pool is full,
    /// the acknowledgement waits for a slot.
    fn acknowledge(self: Arc<Self>, message: Message) -> Answer {
        match Arc::clone(&self.notifications).try_acquire_owned() {
            Ok(permit) => {
                self.run_in_background(permit, message);
                Answer::Now(empty(StatusCode::OK))
            }
            Err(_) => Answer::Later(Box::pin(async move {
                let permit = Arc::clone(&self.notifications)
                    .acquire_owned()
                    .await
                    .expect("the notification pool is never closed");
                self.run_in_background(permit, message);
                empty(StatusCode::OK)
            })),
        }
    }

    /// Runs a notification-only message after the answer is sent.
    fn run_in_background(&self, permit: OwnedSemaphorePermit, message: Message) {
        let timeout = self.config.request_timeout;
        let cancelled = self.cancel_background.clone();
        // Kept small (the task is allocated and moved whole): synchronous
        // methods run in place; what waits is boxed.
        self.background.spawn(async move {
            let _permit = permit;
            let Message {
                router, bytes, ctx, ..
            } = &message;
            if let Err(call) = router.parse(bytes).run_now(ctx.get()) {
                Box::pin(run_notification(call, ctx.get(), timeout, cancelled)).await;
            }
        });
    }
}

/// Runs a notification-only message with asynchronous methods, within the
/// request timeout and until the shutdown grace period is over.
async fn run_notification(
    call: Call<'_, '_>,
    ctx: &Context,
    timeout: Option<std::time::Duration>,
    cancelled: CancellationToken,
) {
    let run = async {
        match timeout {
            Some(limit) => {
                if tokio::time::timeout(limit, call.run(ctx)).await.is_err() {
                    tracing::warn!(timeout = ?limit, "notification cancelled: it ran past the request timeout");
                }
            }
            None => {
                call.run(ctx).await;
            }
        }
    };
    tokio::select! {
        () = run => {}
        () = cancelled.cancelled() => {
            tracing::warn!("notification cancelled: the shutdown grace period is over");
        }
    }
}

/// Whether `"id"` appears anywhere in the text. (A SIMD search for the rare
/// letter; JSON-RPC's own member names have no `i` but `id`.)
fn mentions_id(bytes: &[u8]) -> bool {
    let id_at =
        |at: usize| at > 0 && bytes[at - 1] == b'"' && bytes.get(at + 1..at + 3) == Some(b"d\"");
    // Clients put the id last or first: in a long text, look at both ends
    // before scanning it all.
    const EDGE: usize = 24;
    if bytes.len() > 4 * EDGE {
        let tail = bytes.len() - EDGE;
        if memchr::memrchr_iter(b'i', &bytes[tail..]).any(|at| id_at(tail + at))
            || memchr::memchr_iter(b'i', &bytes[..EDGE]).any(id_at)
        {
            return true;
        }
    }
    memchr::memchr_iter(b'i', bytes).any(id_at)
}

/// The HTTP answer to a message's answer, with the headers and cookies its methods set.
fn respond(answer: Option<Vec<u8>>, ctx: MessageContext) -> Response<ResponseBody> {
    let mut response = match answer {
        Some(body) => json(StatusCode::OK, body),
        None => empty(StatusCode::OK),
    };
    if let MessageContext(Some(ctx)) = ctx {
        apply_effects(&mut response, ctx.into_response_effects());
    }
    response
}

/// The context of one message: peer, connection, headers and the request's other extensions.
fn context(mut parts: http::request::Parts, meta: Meta) -> Context {
    let mut ctx = Context::new();
    // Extensions win over the connection's own facts: an app in front may know better (a proxy's client).
    let extra = if parts.extensions.is_empty() {
        Meta::default()
    } else {
        Meta::take_from(&mut parts.extensions)
    };
    if let Some(addr) = extra.peer.or(meta.peer) {
        ctx = ctx.with_peer_addr(addr);
    }
    if let Some(id) = extra.connection.or(meta.connection) {
        ctx = ctx.with_connection_id(id);
    }
    if !parts.extensions.is_empty() {
        // What middleware put there (an authenticated user, say) stays reachable:
        // `ctx.get::<http::Extensions>()`.
        ctx = ctx.with(parts.extensions);
    }
    ctx.with_headers(Headers(parts.headers))
}

/// Request headers as methods see them, without copying the map.
struct Headers(http::HeaderMap);

impl HeaderLookup for Headers {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name)?.to_str().ok()
    }

    fn for_each<'a>(&'a self, f: &mut dyn FnMut(&'a str, &'a str)) {
        for (name, value) in &self.0 {
            if let Ok(value) = value.to_str() {
                f(name.as_str(), value);
            }
        }
    }
}

/// Marks an answer the compression layer must leave alone (see [`skip_compression`](crate::skip_compression)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SkipCompression;

/// Adds the headers and cookies methods set; a header that is not valid HTTP is logged and left out.
fn apply_effects(response: &mut Response<ResponseBody>, effects: ResponseEffects) {
    if effects.is_empty() {
        return;
    }
    if effects.extensions().get::<SkipCompression>().is_some() {
        // Read by the server's compression predicate.
        response.extensions_mut().insert(SkipCompression);
    }
    for (name, value) in effects.headers() {
        let headers = response.headers_mut();
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => {
                tracing::warn!(header = %name, "a method set a header that is not valid HTTP; left out")
            }
        }
    }
    for cookie in effects.cookies() {
        match HeaderValue::try_from(cookie.to_string()) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
            }
            Err(_) => tracing::warn!(
                cookie = cookie.name(),
                "a cookie could not be written; left out"
            ),
        }
    }
}

/// `application/json` (and the JSON-RPC variants), any casing, UTF-8 or no charset.
#[inline]
pub(crate) fn check_content_type(value: &HeaderValue) -> Result<(), String> {
    // What nearly every client sends, as they send it; then in any casing.
    let bytes = value.as_bytes();
    if bytes == b"application/json" || bytes.eq_ignore_ascii_case(b"application/json") {
        return Ok(());
    }
    let text = value
        .to_str()
        .map_err(|_| "the Content-Type header is not text".to_owned())?;
    let mut parts = text.split(';');
    let media = parts.next().unwrap_or("").trim();
    let accepted = [
        "application/json",
        "application/json-rpc",
        "application/jsonrequest",
    ];
    if !accepted.iter().any(|ok| media.eq_ignore_ascii_case(ok)) {
        return Err(format!(
            "Content-Type `{media}` is not accepted; send application/json (or application/json-rpc, application/jsonrequest)"
        ));
    }
    for param in parts {
        if let Some((key, value)) = param.split_once('=') {
            let value = value.trim().trim_matches('"');
            if key.trim().eq_ignore_ascii_case("charset")
                && !value.eq_ignore_ascii_case("utf-8")
                && !value.eq_ignore_ascii_case("utf8")
            {
                return Err(format!(
                    "charset `{value}` is not accepted; JSON-RPC bodies are UTF-8"
                ));
            }
        }
    }
    Ok(())
}

/// A JavaScript identifier path: `cb`, `$jq_1`, `app.handlers.done`.
fn is_callback_name(name: &str) -> bool {
    let starts = |c: char| c.is_ascii_alphabetic() || c == '_' || c == '$';
    let continues = |c: char| starts(c) || c.is_ascii_digit();
    name.len() <= 128
        && name.split('.').all(|part| {
            let mut chars = part.chars();
            chars.next().is_some_and(starts) && chars.all(continues)
        })
}

fn percent_decode(text: &str) -> Option<String> {
    // `form_urlencoded` would also turn `+` into a space, which a path must not.
    let mut bytes = Vec::with_capacity(text.len());
    let mut iter = text.bytes();
    while let Some(byte) = iter.next() {
        if byte == b'%' {
            let hex = [iter.next()?, iter.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            bytes.push(byte);
        }
    }
    String::from_utf8(bytes).ok()
}

async fn jsonp(response: Response<ResponseBody>, callback: &str) -> Response<ResponseBody> {
    let (mut parts, body) = response.into_parts();
    let json = body
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let mut script = Vec::with_capacity(json.len() + callback.len() + 3);
    script.extend_from_slice(callback.as_bytes());
    script.push(b'(');
    script.extend_from_slice(if json.is_empty() { b"null" } else { &json });
    script.extend_from_slice(b");");
    parts.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    );
    parts.headers.insert(
        http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Full::new(Bytes::from(script)))
}

fn timed_out(limit: std::time::Duration, id: Option<&Id<'_>>) -> Vec<u8> {
    let error = RpcError::from(ErrorCode::SERVER_ERROR)
        .with_data(&format!("request timed out after {limit:?}"));
    error_response(&error, id)
}

fn json(status: StatusCode, body: Vec<u8>) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// An HTTP-level refusal, with a JSON-RPC error object saying why.
pub(crate) fn refusal(status: StatusCode, reason: String) -> Response<ResponseBody> {
    json(
        status,
        error_response(&RpcError::invalid_request().with_data(&reason), None),
    )
}

/// The `415` for a request `Content-Encoding` the server cannot undo.
fn undecodable(encoding: &str) -> Response<ResponseBody> {
    let mut response = refusal(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "Content-Encoding `{encoding}` is not accepted; send one of gzip, br, zstd or none"
        ),
    );
    // What is accepted instead (RFC 9110, 15.5.16).
    response.headers_mut().insert(
        http::header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, br, zstd"),
    );
    response
}

fn too_large(limit: usize) -> Response<ResponseBody> {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
}

fn not_found(path: &str) -> Response<ResponseBody> {
    refusal(
        StatusCode::NOT_FOUND,
        format!("no JSON-RPC endpoint at `{path}`"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let ok = |text: &'static str| check_content_type(&HeaderValue::from_static(text)).is_ok();
        assert!(ok("application/json"));
        assert!(ok("Application/JSON; charset=UTF-8"));
        assert!(ok("application/json;charset=\"utf-8\""));
        assert!(ok("application/json-rpc"));
        assert!(ok("application/jsonrequest"));
        assert!(!ok("text/plain"));
        assert!(!ok("application/x-www-form-urlencoded"));
        assert!(!ok("application/json; charset=latin1"));
    }

    #[test]
    fn callback_names() {
        for good in ["cb", "$", "_x1", "app.handlers.done", "jQuery123_456"] {
            assert!(is_callback_name(good), "{good}");
        }
        for bad in [
            "",
            "1cb",
            "a..b",
            "a.",
            "alert(1)",
            "a-b",
            "a b",
            &"x".repeat(129),
        ] {
            assert!(!is_callback_name(bad), "{bad}");
        }
    }

    #[test]
    fn id_mentions() {
        assert!(mentions_id(br#"{"jsonrpc":"2.0","method":"a","id":1}"#));
        assert!(mentions_id(br#"{"id":1}"#));
        assert!(mentions_id(br#"["x","id"]"#));
        let middle = format!(
            r#"{{"jsonrpc":"2.0","method":"echo","id":7,"params":["{}"]}}"#,
            "x".repeat(100)
        );
        assert!(mentions_id(middle.as_bytes()), "past both ends");
        let long = "x".repeat(200);
        let first = format!(r#"{{"id":7,"method":"echo","params":["{long}"]}}"#);
        assert!(mentions_id(first.as_bytes()), "at the start of a long text");
        let last = format!(r#"{{"method":"echo","params":["{long}"],"id":7}}"#);
        assert!(mentions_id(last.as_bytes()), "at the end of a long text");
        let nowhere = format!(
            r#"{{"jsonrpc":"2.0","method":"echo","params":["{}i"]}}"#,
            "x".repeat(100)
        );
        assert!(!mentions_id(nowhere.as_bytes()));
        assert!(!mentions_id(
            br#"{"jsonrpc":"2.0","method":"ping","params":["idle"]}"#
        ));
        assert!(!mentions_id(
            br#"{"jsonrpc":"2.0","method":"i","params":{"uid":1}}"#
        ));
        assert!(!mentions_id(b"id\""));
        assert!(!mentions_id(b"\"i"));
        assert!(!mentions_id(b""));
    }

    #[test]
    fn paths() {
        assert_eq!(normalize("/"), "");
        assert_eq!(normalize("/api/"), "/api");
        assert_eq!(normalize("api"), "/api");
        assert_eq!(percent_decode("math.add").as_deref(), Some("math.add"));
        assert_eq!(percent_decode("a%2Fb+c").as_deref(), Some("a/b+c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%e9"), None);
    }
}
