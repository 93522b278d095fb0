//! The context of a message: built from the request head when a method of
//! the router may read it, and the answer's headers and cookies taken back
//! from it.

use http::{Response, StatusCode};
use rpc_core::{Context, HeaderLookup};

use super::response::{apply_effects, empty, json, ResponseBody};
use crate::config::Authenticator;
use crate::handoff::Meta;

/// A message's context: none is built when no method of its router reads one.
///
/// Boxed: the answer's future holds it from the request's head to its
/// answer, and hyper moves that future several times per request; one word
/// moves faster than a whole context, which most routers never build.
pub(super) struct MessageContext(Option<Box<Context>>);

impl MessageContext {
    /// Built from the request head when the router's methods read contexts
    /// (its headers and extensions are taken out of `head`); none otherwise.
    pub(super) fn new(
        reads_context: bool,
        head: &mut http::request::Parts,
        meta: Meta,
        authenticator: Option<&Authenticator>,
    ) -> Self {
        MessageContext(reads_context.then(|| Box::new(context(head, meta, authenticator))))
    }

    /// The context methods see: the message's own, or the shared empty one.
    #[inline]
    pub(super) fn get(&self) -> &Context {
        self.0.as_deref().unwrap_or_else(|| Context::empty())
    }

    /// The HTTP answer to the message's answer, with the headers and cookies its methods set.
    pub(super) fn respond(self, answer: Option<Vec<u8>>) -> Response<ResponseBody> {
        let mut response = match answer {
            Some(body) => json(StatusCode::OK, body),
            None => empty(StatusCode::OK),
        };
        if let Some(ctx) = self.0 {
            apply_effects(&mut response, ctx.into_response_effects());
        }
        response
    }
}

/// The context of a request: peer, connection, headers and the request's
/// other extensions, and the caller the authenticator recognises.
pub(super) fn context(
    parts: &mut http::request::Parts,
    meta: Meta,
    authenticator: Option<&Authenticator>,
) -> Context {
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
        ctx = ctx.with(std::mem::take(&mut parts.extensions));
    }
    let ctx = ctx.with_headers(Headers(std::mem::take(&mut parts.headers)));
    if let Some(authenticator) = authenticator {
        authenticator.authenticate(&ctx);
    }
    ctx
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
