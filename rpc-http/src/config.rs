//! Options of the HTTP service, with their defaults.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rpc_core::{Context, Identity};

#[cfg(feature = "ws")]
use crate::ws::WsConfig;

/// How the HTTP service treats requests: limits, timeouts and the GET fallback.
///
/// Each option has a getter (`max_body_size()`) and a setter that returns
/// the changed value (`with_max_body_size(n)`), as rpc-core's
/// [`Limits`](rpc_core::Limits) has.
///
/// ```
/// use std::time::Duration;
/// use rpc_http::HttpConfig;
///
/// let config = HttpConfig::new()
///     .with_max_body_size(1 << 20)
///     .with_request_timeout(Some(Duration::from_secs(5)));
/// assert_eq!(config.max_body_size(), 1 << 20);
/// assert_eq!(config.request_timeout(), Some(Duration::from_secs(5)));
/// assert!(!config.get_fallback());
/// ```
///
/// | option | default | what happens at the limit |
/// |---|---|---|
/// | [`max_body_size`](Self::max_body_size) | 10 MiB | `413 Payload Too Large` with a JSON-RPC error body |
/// | [`max_discarded_body`](Self::max_discarded_body) | 256 KiB | on HTTP/1, a request answered without reading its body (refused, `404`, `405`, `OPTIONS`, the `GET` fallback) whose body is larger is answered with `Connection: close`; up to this size the body is read and dropped, and the connection stays open |
/// | [`body_read_timeout`](Self::body_read_timeout) | 30 s | `408 Request Timeout` with a JSON-RPC error body; on HTTP/1 the connection is closed, on HTTP/2 the stream ends |
/// | [`request_timeout`](Self::request_timeout) | 60 s | the call (asynchronous methods) is cancelled and answered with `-32000`, `data: "request timed out"` |
/// | [`max_concurrent_requests`](Self::max_concurrent_requests) | 1024 | further requests wait for a slot (back-pressure, nothing is dropped) |
/// | [`notification_concurrency`](Self::notification_concurrency) | 64 | further notification-only messages for the pool wait for a slot before they are acknowledged |
/// | [`get_fallback`](Self::get_fallback) | off | `GET` is answered with `405` |
/// | [`jsonp`](Self::jsonp) | off | the `callback` parameter is ignored |
/// | [`authenticator`](Self::with_authenticator) | none | guards see no identity unless a method logs one in |
/// | [`websocket`](Self::websocket) | on, see [`WsConfig`](crate::WsConfig) | (with the `ws` feature) |
///
/// Limits of the server itself (connections, header read timeout, shutdown
/// grace) are on [`Server`](crate::Server); limits of the protocol (batch
/// length, nesting depth) are rpc-core's [`Limits`](rpc_core::Limits).
#[derive(Debug, Clone)]
pub struct HttpConfig {
    pub(crate) max_body_size: usize,
    pub(crate) max_discarded_body: usize,
    pub(crate) body_read_timeout: Option<Duration>,
    pub(crate) request_timeout: Option<Duration>,
    pub(crate) max_concurrent_requests: usize,
    pub(crate) notification_concurrency: usize,
    pub(crate) get: bool,
    pub(crate) jsonp: bool,
    pub(crate) authenticator: Option<Authenticator>,
    #[cfg(feature = "ws")]
    pub(crate) websocket: WsConfig,
}

/// The user's function that tells who is calling.
type Authenticate = dyn Fn(&Context) -> Option<Identity> + Send + Sync;

/// Reads who is calling from a request (a header, a cookie) and logs them in.
#[derive(Clone)]
pub(crate) struct Authenticator(Arc<Authenticate>);

impl Authenticator {
    /// Logs the caller of `ctx` in, if the request says who they are.
    pub(crate) fn authenticate(&self, ctx: &Context) {
        if let Some(identity) = (self.0)(ctx) {
            ctx.session().set_identity(identity);
        }
    }
}

impl fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Authenticator")
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            max_body_size: 10 * 1024 * 1024,
            max_discarded_body: 256 * 1024,
            body_read_timeout: Some(Duration::from_secs(30)),
            request_timeout: Some(Duration::from_secs(60)),
            max_concurrent_requests: 1024,
            notification_concurrency: 64,
            get: false,
            jsonp: false,
            authenticator: None,
            #[cfg(feature = "ws")]
            websocket: WsConfig::default(),
        }
    }
}

impl HttpConfig {
    /// The defaults in the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// The largest request body accepted, in bytes (after decompression).
    pub fn max_body_size(&self) -> usize {
        self.max_body_size
    }

    /// The largest body read and dropped to keep the connection open when a
    /// request is answered without it, in bytes.
    pub fn max_discarded_body(&self) -> usize {
        self.max_discarded_body
    }

    /// How long a request's body may take to arrive once the service waits
    /// for it; `None` for no limit.
    pub fn body_read_timeout(&self) -> Option<Duration> {
        self.body_read_timeout
    }

    /// How long one message may run before it is cancelled; `None` for no limit.
    pub fn request_timeout(&self) -> Option<Duration> {
        self.request_timeout
    }

    /// How many messages may be in progress at once.
    pub fn max_concurrent_requests(&self) -> usize {
        self.max_concurrent_requests
    }

    /// How many notification-only messages may run in the background at once.
    pub fn notification_concurrency(&self) -> usize {
        self.notification_concurrency
    }

    /// Whether `GET <mount>/<method>?...` calls the method.
    pub fn get_fallback(&self) -> bool {
        self.get
    }

    /// Whether a `GET` with a `callback` parameter is answered as JSONP.
    pub fn jsonp(&self) -> bool {
        self.jsonp
    }

    /// The largest request body accepted, in bytes (after decompression).
    #[must_use]
    pub fn with_max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The largest body read and dropped when a request is answered without
    /// it (a refusal such as `415`, a `404`, a `405`), so that its HTTP/1
    /// connection stays open for the next request; `0` reads none.
    ///
    /// Otherwise hyper closes the connection after such an answer unless
    /// the whole body had already arrived with the head, and a client that
    /// sends its next request on it sees that request fail. The answer
    /// waits for the body, within the
    /// [`body_read_timeout`](Self::with_body_read_timeout). It carries
    /// `Connection: close` instead, at once, when the body is declared
    /// larger than this (or than the body size limit), when the client
    /// waits for `100 Continue` before sending it, or when there is no body
    /// read timeout; and after the body, when it turns out larger, fails or
    /// is late. HTTP/2 needs none of this: an unread body ends only its
    /// own stream.
    ///
    /// ```
    /// use rpc_http::HttpConfig;
    ///
    /// let config = HttpConfig::new().with_max_discarded_body(64 * 1024);
    /// assert_eq!(config.max_discarded_body(), 64 * 1024);
    /// assert_eq!(HttpConfig::new().max_discarded_body(), 256 * 1024);
    /// ```
    #[must_use]
    pub fn with_max_discarded_body(mut self, bytes: usize) -> Self {
        self.max_discarded_body = bytes;
        self
    }

    /// How long a request's body may take to arrive once the service waits
    /// for it; `None` for no limit.
    ///
    /// A client that sends a request head and then too little of its body
    /// would otherwise hold its connection (and a connection slot) for as
    /// long as it likes. The timer is armed only once the service has to
    /// wait for the body: a `Content-Length` body that comes with its head,
    /// as nearly every small request's does, is read without one (hyper
    /// hands a chunked body over a chunk at a time, so those arm it). Like
    /// [`request_timeout`](Self::request_timeout), it needs a Tokio runtime
    /// with its timer enabled (as the [`Server`](crate::Server)'s is); turn
    /// both off to embed the service in a runtime without one.
    #[must_use]
    pub fn with_body_read_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How long one message may run before it is cancelled; `None` for no limit.
    ///
    /// It bounds what waits: asynchronous and blocking methods. A message of
    /// only synchronous methods is normally answered in the poll that reads
    /// it, with no timer; nothing could interrupt it anyway.
    #[must_use]
    pub fn with_request_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How many messages may be in progress at once (at least 1); past it,
    /// requests wait for a slot.
    ///
    /// A slot is held by a message that waits (asynchronous or blocking
    /// methods). A message of only synchronous methods runs at once while a
    /// slot is free, without taking one: it is over before another message
    /// could run on its thread.
    #[must_use]
    pub fn with_max_concurrent_requests(mut self, count: usize) -> Self {
        self.max_concurrent_requests = count.max(1);
        self
    }

    /// How many notification-only messages may run in the background at once (at least 1).
    ///
    /// The pool takes what has to wait (asynchronous and blocking methods),
    /// and everything that arrives over HTTP/2 or through an embedding app.
    /// A message of only synchronous methods on an HTTP/1 connection of the
    /// [`Server`](crate::Server) is run by that connection after the poll
    /// that produced its answer (by then normally written): the client does
    /// not wait for it either, and it needs no task.
    #[must_use]
    pub fn with_notification_concurrency(mut self, count: usize) -> Self {
        self.notification_concurrency = count.max(1);
        self
    }

    /// Answers `GET <mount>/<method>?name=value&...` by calling the method
    /// with named params from the query string.
    ///
    /// Each value is read as JSON when it parses as JSON (`1`, `true`,
    /// `[1,2]`, `"text"`), and as a string otherwise. The answer is the usual
    /// JSON-RPC response object.
    ///
    /// **Security:** a `GET` can be triggered by any web page the user
    /// visits (an `<img>` or `<script>` tag), with the user's cookies, and is
    /// cached and logged by proxies. Enable it only for methods without side
    /// effects that need no secret.
    #[must_use]
    pub fn with_get_fallback(mut self, enabled: bool) -> Self {
        self.get = enabled;
        self
    }

    /// With [`get_fallback`](Self::get_fallback) on, answers a request carrying
    /// `callback=<name>` (or `jsonp=<name>`) as JSONP: `name(<response>);`
    /// with `Content-Type: application/javascript`. The name must look like a
    /// JavaScript identifier path (`cb`, `app.handlers.cb`, at most 128 bytes);
    /// anything else is refused with `400`.
    ///
    /// **Security:** JSONP hands the answer to any page that asks, whatever
    /// its origin: never enable it for data a stranger must not read.
    #[must_use]
    pub fn with_jsonp(mut self, enabled: bool) -> Self {
        self.jsonp = enabled;
        self
    }

    /// Reads who is calling from each request's headers or cookies (an API
    /// key, a session cookie) and logs them in for the
    /// [guards](rpc_core::guard), in the request's session (over WebSocket,
    /// once, in the connection's). `None` leaves the caller unknown.
    ///
    /// It runs where a context is built: for every request of a router with
    /// a method that reads its context (a guarded one does), once per
    /// WebSocket connection.
    ///
    /// ```
    /// use rpc_core::{Context, Identity};
    /// use rpc_http::HttpConfig;
    ///
    /// let config = HttpConfig::new().with_authenticator(|ctx: &Context| {
    ///     (ctx.header("x-api-key")? == "secret").then(|| Identity::new("service").with_permission("admin"))
    /// });
    /// # let _ = config;
    /// ```
    #[must_use]
    pub fn with_authenticator(
        mut self,
        authenticate: impl Fn(&Context) -> Option<Identity> + Send + Sync + 'static,
    ) -> Self {
        self.authenticator = Some(Authenticator(Arc::new(authenticate)));
        self
    }

    /// How mounts serve WebSocket connections.
    #[cfg(feature = "ws")]
    pub fn websocket(&self) -> &WsConfig {
        &self.websocket
    }

    /// Sets [`websocket`](Self::websocket).
    #[cfg(feature = "ws")]
    #[must_use]
    pub fn with_websocket(mut self, config: WsConfig) -> Self {
        self.websocket = config;
        self
    }
}
