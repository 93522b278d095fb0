//! The WebSocket upgrade on a mount: `101 Switching Protocols`, then the
//! connection served in a task of its own.

use std::sync::Arc;

use http::header::{HeaderMap, HeaderValue, ORIGIN};
use http::{Request, Response, StatusCode};
use rpc_core::connection::{Close, Connection};

use super::context::context;
use super::response::{empty, refusal, ResponseBody};
use super::shared::Shared;
use crate::handoff::Meta;
use crate::ws;

/// Whether the request asks to become a WebSocket (RFC 6455, 4.1).
#[inline]
pub(super) fn is_upgrade<B>(request: &Request<B>) -> bool {
    fastwebsockets::upgrade::is_upgrade_request(request)
}

impl Shared {
    /// Answers an upgrade request to the router at `route`: the `101`, with
    /// the connection served once hyper hands the socket over.
    pub(super) fn upgrade<B>(
        self: &Arc<Self>,
        route: usize,
        mut request: Request<B>,
        meta: Meta,
    ) -> Response<ResponseBody> {
        let config = &self.config.websocket;
        let origin = request
            .headers()
            .get(ORIGIN)
            .map(|origin| origin.to_str().unwrap_or("(not text)"));
        if !config.allows_origin(origin) {
            return refusal(
                StatusCode::FORBIDDEN,
                "this origin may not open a WebSocket here".to_owned(),
            );
        }
        let (accepted, upgrading) = match fastwebsockets::upgrade::upgrade(&mut request) {
            Ok(upgrade) => upgrade,
            Err(err) => {
                return refusal(
                    StatusCode::BAD_REQUEST,
                    format!("not a valid WebSocket upgrade: {err}"),
                )
            }
        };
        let (mut parts, _body) = request.into_parts();
        // The socket outlives the request: its header values are copied out
        // of hyper's read buffer, which they would otherwise hold (8 KiB).
        parts.headers = owned_headers(&parts.headers);
        let ctx = context(&mut parts, meta, self.config.authenticator.as_ref());
        let router = Arc::clone(&self.routes[route].router);
        let shared = Arc::clone(self);
        let task = async move {
            let socket = match upgrading.await {
                Ok(socket) => socket,
                Err(err) => {
                    return tracing::debug!(error = %err, "a WebSocket upgrade did not complete")
                }
            };
            let config = &shared.config.websocket;
            let connection = Connection::new(router, ctx, config.connection().clone());
            // It takes one of the server's connection slots for its whole life.
            let _slot = match shared.connection_slot(config.connection_slot_wait()).await {
                Ok(slot) => slot,
                Err(()) => {
                    tracing::warn!("no connection slot for a WebSocket; closed with 1013");
                    ws::refuse(socket, Close::TryAgainLater).await;
                    return;
                }
            };
            let _open = shared
                .stats
                .as_ref()
                .map(crate::stats::Stats::websocket_opened);
            let closing = shared.closing.clone();
            let stop = shared.cancel_background.clone();
            tokio::select! {
                () = ws::serve(socket, ws::Side::Server, connection, config, async move { closing.cancelled().await }) => {}
                // Past the shutdown grace period: dropped as it stands.
                () = stop.cancelled() => {}
            }
        };
        self.websockets.spawn(task);
        let mut response = empty(StatusCode::SWITCHING_PROTOCOLS);
        let (parts, _) = accepted.into_parts();
        *response.headers_mut() = parts.headers;
        response
            .headers_mut()
            .entry(http::header::CONNECTION)
            .or_insert(HeaderValue::from_static("upgrade"));
        response
    }
}

/// A copy of `headers` whose values own their bytes.
fn owned_headers(headers: &HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name.clone(), copy);
    }
    owned
}
