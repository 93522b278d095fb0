//! The HTTP face of a router: a tower `Service` from HTTP requests to HTTP
//! responses, usable on its own (inside axum or any hyper app) or through
//! [`Server`](crate::Server).
//!
//! One request's way through, file by file:
//!
//! | step | file |
//! |---|---|
//! | the service, its builder, the tower entry | `mod.rs` |
//! | what all requests share: routers, options, pools | `shared.rs` |
//! | which router, which HTTP method; `POST` starts the body read | `routing.rs` |
//! | the future that reads the body and then runs the message | `future.rs`, `body.rs` |
//! | the message and its context | `message.rs`, `context.rs` |
//! | running it: at once, parked after the answer, in the background, or awaited | `dispatch.rs` |
//! | notifications an HTTP/1 connection runs after its answers | `after_answer.rs`, `parked.rs` |
//! | the `GET`/JSONP fallback | `get.rs` |
//! | the HTTP answers and refusals | `response.rs` |
//! | bodies nobody needs (refusals, `OPTIONS`, the `GET` fallback): read and dropped, the connection kept | `unread.rs` |
//! | the WebSocket upgrade, and the connection served after it | `websocket.rs` |

mod after_answer;
mod body;
mod context;
mod dispatch;
mod future;
mod get;
mod message;
mod parked;
mod response;
mod routing;
mod shared;
mod unread;
#[cfg(feature = "ws")]
mod websocket;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::{Request, Response};
use rpc_core::Router;
use tokio_util::task::TaskTracker;

use crate::config::HttpConfig;
use crate::explorer::Explorer;
use crate::handoff::{Meta, UndecodableEncoding};
use crate::stats::Stats;
use response::undecodable;
use shared::Shared;

pub(crate) use after_answer::AfterAnswer;
pub use future::ResponseFuture;
pub use response::ResponseBody;
pub(crate) use response::{closing, refusal};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
/// | `GET` (when enabled) | see [`HttpConfig::with_get_fallback`] |
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

impl std::fmt::Debug for RpcService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let paths: Vec<&str> = self
            .shared
            .routes
            .iter()
            .map(|route| route.path.as_str())
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
    /// Where the method explorer is served, if anywhere.
    explorer: Option<String>,
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

    /// Serves the method explorer on `GET path`; see [`Server::explorer`](crate::Server::explorer).
    #[must_use]
    pub fn explorer(mut self, path: &str) -> Self {
        self.explorer = Some(normalize(path));
        self
    }

    /// Lists `base` + each mount path among the servers of the OpenRPC
    /// document of each router that serves one without naming its servers.
    pub(crate) fn default_server_urls(&mut self, base: &str) {
        for (path, router) in &mut self.routes {
            let path = if path.is_empty() { "/" } else { path.as_str() };
            router.set_default_server_url(&format!("{base}{path}"));
        }
    }

    /// The service.
    pub fn build(self) -> RpcService {
        let explorer = self.explorer.map(|path| {
            // The page calls the mounts that describe themselves (all of them if none does).
            let describing: Vec<&str> = self
                .routes
                .iter()
                .filter(|(_, router)| router.serves_discover())
                .map(|(path, _)| path.as_str())
                .collect();
            let mounts = if describing.is_empty() {
                self.routes.iter().map(|(path, _)| path.as_str()).collect()
            } else {
                describing
            };
            Explorer::new(&path, &mounts)
        });
        RpcService {
            shared: Arc::new(Shared::new(
                self.routes,
                self.any_path,
                self.config,
                self.stats,
                explorer,
            )),
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

    /// Cancels the notifications still running in the background, and drops
    /// the WebSocket connections still open.
    pub(crate) fn cancel_background(&self) {
        self.shared.cancel_background.cancel();
    }

    /// WebSocket connections still being served.
    #[cfg(feature = "ws")]
    pub(crate) fn websockets(&self) -> &TaskTracker {
        &self.shared.websockets
    }

    /// Asks WebSocket connections to finish gracefully: no new calls are
    /// read, calls in flight answer, then each closes with 1001.
    pub fn close_websockets(&self) {
        self.shared.closing.cancel();
    }

    /// Shares the server's connection slots with WebSocket connections.
    #[cfg(feature = "ws")]
    pub(crate) fn share_connection_slots(&self, slots: Arc<tokio::sync::Semaphore>) {
        let _ = self.shared.connection_slots.set(slots);
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

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let (mut head, body) = request.into_parts();
        if let Some(UndecodableEncoding(encoding)) = head.extensions.remove() {
            let refused = undecodable(&encoding);
            return InfallibleFuture {
                inner: unread::answer_unread(&head, body, refused, &self.shared.config),
            };
        }
        let meta = Meta::take_from(&mut head.extensions);
        // Put there by the server for a request of an HTTP/1 connection that
        // goes through its layers.
        let after_answer = head.extensions.remove::<Arc<AfterAnswer>>();
        InfallibleFuture {
            inner: self.handle_direct(&mut head, body, meta, after_answer),
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
    /// facts (and, for HTTP/1, its after-answer queue) passed along instead
    /// of through extensions.
    // Inlined into the server's connection service: one call fewer per request.
    #[inline(always)]
    pub(crate) fn handle_direct<B>(
        &self,
        head: &mut http::request::Parts,
        body: B,
        meta: Meta,
        after_answer: Option<Arc<AfterAnswer>>,
    ) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        Arc::clone(&self.shared).handle(head, body, meta, after_answer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_paths_are_normalized() {
        assert_eq!(normalize("/"), "");
        assert_eq!(normalize("/api/"), "/api");
        assert_eq!(normalize("api"), "/api");
    }
}
