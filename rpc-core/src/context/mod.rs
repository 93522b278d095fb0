//! Request-scoped data going in to methods, and response effects coming out.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Context`] itself and [`HeaderLookup`], the transport's headers |
//! | `extensions.rs` | [`Extensions`], typed values of any type |
//! | `effects.rs` | [`ResponseEffects`], what methods ask the transport to add to its answer |
//! | `cookie.rs` | [`Cookie`] and [`SameSite`] |

mod cookie;
mod effects;
mod extensions;

use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::connection::Peer;
use crate::error::{Error, ErrorCode};
use crate::session::Session;

pub use cookie::{Cookie, SameSite};
pub use effects::ResponseEffects;
pub use extensions::Extensions;

/// What a method may know about the call it serves, and what it may change in
/// the transport's answer.
///
/// A transport builds one `Context` per message (a whole batch shares one)
/// and fills it with what it knows: the peer's address, a connection id, the
/// request headers and any typed value in [`extensions`](Self::extensions).
/// For a router none of whose methods reads it
/// ([`Router::reads_context`](crate::Router::reads_context)) it may build
/// none and hand out the shared [`Context::empty`] instead.
/// Methods read it through a `&Context` argument. Methods write response
/// effects (headers, cookies) through `&self` as well, since the entries of a
/// batch run concurrently; the transport collects them with
/// [`take_response_effects`](Self::take_response_effects) (or, when done with
/// the context, [`into_response_effects`](Self::into_response_effects)) after dispatch.
///
/// On a connection that carries many messages (WebSocket) the transport
/// builds one context for the connection's whole life: it also holds the
/// [`Peer`] (to call the other end back) and the connection's [`Session`].
/// Such a context has no answer to carry headers or cookies, so what methods
/// set on it is dropped.
///
/// ```
/// use rpc_core::{Context, Cookie};
///
/// let ctx = Context::new()
///     .with_peer_addr("127.0.0.1:4000".parse().unwrap())
///     .with_headers(vec![("Cookie".to_owned(), "session=abc; theme=dark".to_owned())]);
/// assert_eq!(ctx.cookie("theme"), Some("dark"));
///
/// ctx.set_header("x-served-by", "node-1");
/// ctx.set_cookie(Cookie::new("seen", "1").path("/").http_only(true));
/// let effects = ctx.take_response_effects();
/// assert_eq!(effects.headers()[0], ("x-served-by".to_owned(), "node-1".to_owned()));
/// assert_eq!(effects.cookies()[0].to_string(), "seen=1; Path=/; HttpOnly");
/// ```
pub struct Context {
    peer_addr: Option<SocketAddr>,
    connection_id: Option<u64>,
    headers: Option<Box<dyn HeaderLookup>>,
    extensions: Extensions,
    // Locked only by methods that set something; never on the plain request path.
    effects: Mutex<ResponseEffects>,
    /// Whether a transport reads the effects back (an HTTP answer does; a
    /// connection's context and the shared empty one do not).
    keeps_effects: bool,
    /// Built on first use unless the transport gave one (a connection's).
    session: OnceLock<Arc<Session>>,
    peer: Option<Peer>,
}

impl Default for Context {
    fn default() -> Self {
        Self {
            peer_addr: None,
            connection_id: None,
            headers: None,
            extensions: Extensions::EMPTY,
            effects: Mutex::new(ResponseEffects::EMPTY),
            keeps_effects: true,
            session: OnceLock::new(),
            peer: None,
        }
    }
}

impl Context {
    /// An empty context (what the in-process transport uses).
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// A shared empty context, for routers whose methods all
    /// [ignore theirs](crate::Router::reads_context): a transport hands it
    /// out instead of building one per message. It has no peer, headers or
    /// extensions, and what is set on it is dropped.
    ///
    /// ```
    /// use rpc_core::Context;
    ///
    /// let ctx = Context::empty();
    /// ctx.set_header("x-dropped", "1");
    /// assert!(ctx.take_response_effects().is_empty());
    /// assert!(ctx.peer_addr().is_none() && ctx.headers().is_none());
    /// ```
    #[inline]
    pub fn empty() -> &'static Context {
        static EMPTY: Context = Context {
            peer_addr: None,
            connection_id: None,
            headers: None,
            extensions: Extensions::EMPTY,
            effects: Mutex::new(ResponseEffects::EMPTY),
            keeps_effects: false,
            session: OnceLock::new(),
            peer: None,
        };
        &EMPTY
    }

    /// Gives the context the session of a connection, shared by all its messages.
    #[must_use]
    pub fn with_session(self, session: Arc<Session>) -> Self {
        // A fresh context's cell is empty: setting cannot fail.
        let _ = self.session.set(session);
        self
    }

    /// Gives the context a handle to the other end of its connection.
    #[must_use]
    pub fn with_peer(mut self, peer: Peer) -> Self {
        self.peer = Some(peer);
        self
    }

    /// Drops what methods set for the answer (headers, cookies): for a
    /// context a transport keeps for a whole connection, which has no answer
    /// to carry them.
    #[must_use]
    pub fn dropping_response_effects(mut self) -> Self {
        self.keeps_effects = false;
        self
    }

    /// The state of the connection (over HTTP, of the request): who is
    /// logged in, and what methods keep for later calls. See [`Session`].
    ///
    /// The shared [`empty`](Self::empty) context hands out a session that
    /// keeps nothing: a method declared to ignore its context must not carry
    /// state from one caller to the next.
    pub fn session(&self) -> &Session {
        if std::ptr::eq(self, Self::empty()) {
            static INERT: Session = Session::inert();
            return &INERT;
        }
        self.session.get_or_init(Arc::default)
    }

    /// The other end of the connection the message came on, to call it back
    /// (`ClientApiClient::new(ctx.peer()?.clone())`). Over HTTP there is none,
    /// and the error says so: answer with it.
    pub fn peer(&self) -> Result<&Peer, Error> {
        self.peer.as_ref().ok_or_else(|| {
            Error::new(ErrorCode::SERVER_ERROR, "No connection to call back").with_data(
                "this transport carries one request and its answer; calls to the client need a WebSocket connection",
            )
        })
    }

    /// Sets the remote peer's address.
    #[must_use]
    #[inline]
    pub fn with_peer_addr(mut self, addr: SocketAddr) -> Self {
        self.peer_addr = Some(addr);
        self
    }

    /// Sets the id of the connection the message came on.
    #[must_use]
    #[inline]
    pub fn with_connection_id(mut self, id: u64) -> Self {
        self.connection_id = Some(id);
        self
    }

    /// Sets the request headers.
    #[must_use]
    pub fn with_headers(mut self, headers: impl HeaderLookup) -> Self {
        self.headers = Some(Box::new(headers));
        self
    }

    /// Adds a typed value for methods to read.
    #[must_use]
    pub fn with<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.extensions.insert(value);
        self
    }

    /// The remote peer's address, if the transport has one.
    pub fn peer_addr(&self) -> Option<SocketAddr> {
        self.peer_addr
    }

    /// The id of the connection the message came on, if the transport tracks connections.
    pub fn connection_id(&self) -> Option<u64> {
        self.connection_id
    }

    /// The first value of a request header (names are case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.as_ref()?.get(name)
    }

    /// The request headers, if the transport has any.
    pub fn headers(&self) -> Option<&dyn HeaderLookup> {
        self.headers.as_deref()
    }

    /// The value of a request cookie, read from the `Cookie` header(s).
    pub fn cookie(&self, name: &str) -> Option<&str> {
        let headers = self.headers.as_ref()?;
        let mut found = None;
        headers.for_each(&mut |header, value| {
            if found.is_none() && header.eq_ignore_ascii_case("cookie") {
                found = value
                    .split(';')
                    .filter_map(|pair| pair.trim().split_once('='))
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value);
            }
        });
        found
    }

    /// Typed values the transport or middleware put in.
    pub fn extensions(&self) -> &Extensions {
        &self.extensions
    }

    /// Typed values, for the transport or middleware to fill.
    pub fn extensions_mut(&mut self) -> &mut Extensions {
        &mut self.extensions
    }

    /// A typed value, if one was put in.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.extensions.get()
    }

    /// Adds a header to the transport's response (several with one name are
    /// all sent). Dropped on [`Context::empty`], like every setter.
    pub fn set_header(&self, name: impl Into<String>, value: impl Into<String>) {
        if let Some(mut effects) = self.effects_to_set() {
            effects.add_header(name.into(), value.into());
        }
    }

    /// Adds a cookie to the transport's response.
    pub fn set_cookie(&self, cookie: Cookie) {
        if let Some(mut effects) = self.effects_to_set() {
            effects.add_cookie(cookie);
        }
    }

    /// Leaves a typed value for the transport to act on in its answer (what it
    /// means is the transport's: rpc-http's `skip_compression` is one).
    pub fn set_response_extension<T: Send + Sync + 'static>(&self, value: T) {
        if let Some(mut effects) = self.effects_to_set() {
            effects.add_extension(value);
        }
    }

    /// Takes the headers and cookies methods set; for the transport, after dispatch.
    pub fn take_response_effects(&self) -> ResponseEffects {
        std::mem::take(&mut *self.effects())
    }

    /// The headers and cookies methods set, once the context is done with
    /// (no lock taken); for the transport, after dispatch.
    #[inline]
    pub fn into_response_effects(self) -> ResponseEffects {
        self.effects
            .into_inner()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The effects to add to; `None` on a context no answer reads (the
    /// shared [`empty`](Self::empty) one, a connection's), where they would
    /// pile up unsent.
    fn effects_to_set(&self) -> Option<std::sync::MutexGuard<'_, ResponseEffects>> {
        if !self.keeps_effects {
            tracing::debug!(
                "a response effect was set on a context whose transport sends none; dropped"
            );
            return None;
        }
        Some(self.effects())
    }

    fn effects(&self) -> std::sync::MutexGuard<'_, ResponseEffects> {
        // No code that can panic runs under this lock, but a poisoned lock must never cost an answer.
        self.effects.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("peer_addr", &self.peer_addr)
            .field("connection_id", &self.connection_id)
            .field("has_headers", &self.headers.is_some())
            .field("extensions", &self.extensions)
            .finish_non_exhaustive()
    }
}

/// Read access to request headers, implemented by each transport for its own
/// header map so that nothing is copied per request.
pub trait HeaderLookup: Send + Sync + 'static {
    /// The first value of the header `name` (case-insensitive), if present and text.
    fn get(&self, name: &str) -> Option<&str>;

    /// Calls `f` with every header name and text value.
    fn for_each<'a>(&'a self, f: &mut dyn FnMut(&'a str, &'a str));
}

impl HeaderLookup for Vec<(String, String)> {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }

    fn for_each<'a>(&'a self, f: &mut dyn FnMut(&'a str, &'a str)) {
        for (key, value) in self {
            f(key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive() {
        let ctx = Context::new().with_headers(vec![("Content-Type".to_owned(), "a".to_owned())]);
        assert_eq!(ctx.header("content-type"), Some("a"));
        assert_eq!(ctx.header("missing"), None);
        assert_eq!(Context::new().header("content-type"), None);
    }

    #[test]
    fn cookies_are_read_from_the_cookie_header() {
        let ctx =
            Context::new().with_headers(vec![("cookie".to_owned(), "a=1;b=2; c=x=y".to_owned())]);
        assert_eq!(ctx.cookie("a"), Some("1"));
        assert_eq!(ctx.cookie("b"), Some("2"));
        assert_eq!(ctx.cookie("c"), Some("x=y"));
        assert_eq!(ctx.cookie("d"), None);
    }

    #[test]
    fn effects_are_collected_once() {
        let ctx = Context::new();
        ctx.set_header("a", "1");
        ctx.set_header("a", "2");
        ctx.set_cookie(Cookie::removal("old"));
        ctx.set_response_extension(7u8);
        let effects = ctx.take_response_effects();
        assert_eq!(effects.headers().len(), 2);
        assert_eq!(effects.extensions().get::<u8>(), Some(&7));
        assert_eq!(effects.cookies()[0].to_string(), "old=; Max-Age=0");
        assert!(ctx.take_response_effects().is_empty());
    }
}
