//! Request-scoped data going in to methods, and response effects coming out.

use std::any::{Any, TypeId};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};

use rustc_hash::FxHashMap;

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
#[derive(Default)]
pub struct Context {
    peer_addr: Option<SocketAddr>,
    connection_id: Option<u64>,
    headers: Option<Box<dyn HeaderLookup>>,
    extensions: Extensions,
    // Locked only by methods that set something; never on the plain request path.
    effects: Mutex<ResponseEffects>,
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
            extensions: Extensions { map: None },
            effects: Mutex::new(ResponseEffects { set: None }),
        };
        &EMPTY
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
            effects.set_mut().headers.push((name.into(), value.into()));
        }
    }

    /// Adds a cookie to the transport's response.
    pub fn set_cookie(&self, cookie: Cookie) {
        if let Some(mut effects) = self.effects_to_set() {
            effects.set_mut().cookies.push(cookie);
        }
    }

    /// Leaves a typed value for the transport to act on in its answer (what it
    /// means is the transport's: rpc-http's `skip_compression` is one).
    pub fn set_response_extension<T: Send + Sync + 'static>(&self, value: T) {
        if let Some(mut effects) = self.effects_to_set() {
            effects.set_mut().extensions.insert(value);
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

    /// The effects to add to; `None` on the shared [`empty`](Self::empty)
    /// context, which no answer reads (its effects would pile up unsent).
    fn effects_to_set(&self) -> Option<std::sync::MutexGuard<'_, ResponseEffects>> {
        if std::ptr::eq(self, Self::empty()) {
            tracing::debug!(
                "a method declared to ignore its context set a response effect; dropped"
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

/// A map from type to value, for request-scoped data of any type.
///
/// ```
/// use rpc_core::Extensions;
///
/// struct UserId(u64);
/// let mut ext = Extensions::default();
/// ext.insert(UserId(7));
/// assert_eq!(ext.get::<UserId>().map(|id| id.0), Some(7));
/// ```
#[derive(Default)]
pub struct Extensions {
    // Boxed and lazy: most requests carry no extensions and pay nothing for them.
    map: Option<Box<FxHashMap<TypeId, Box<dyn Any + Send + Sync>>>>,
}

impl Extensions {
    /// Inserts a value, returning the one of the same type it replaces.
    pub fn insert<T: Send + Sync + 'static>(&mut self, value: T) -> Option<T> {
        self.map
            .get_or_insert_with(Box::default)
            .insert(TypeId::of::<T>(), Box::new(value))
            .and_then(|old| old.downcast().ok().map(|old| *old))
    }

    /// The value of type `T`, if any.
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.map.as_ref()?.get(&TypeId::of::<T>())?.downcast_ref()
    }

    /// The value of type `T`, mutably.
    pub fn get_mut<T: Send + Sync + 'static>(&mut self) -> Option<&mut T> {
        self.map
            .as_mut()?
            .get_mut(&TypeId::of::<T>())?
            .downcast_mut()
    }

    /// Removes and returns the value of type `T`.
    pub fn remove<T: Send + Sync + 'static>(&mut self) -> Option<T> {
        let old = self.map.as_mut()?.remove(&TypeId::of::<T>())?;
        old.downcast().ok().map(|old| *old)
    }

    /// How many values are stored.
    pub fn len(&self) -> usize {
        self.map.as_ref().map_or(0, |map| map.len())
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl fmt::Debug for Extensions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Extensions")
            .field("len", &self.len())
            .finish()
    }
}

/// Headers, cookies and typed values that methods asked the transport to
/// act on in its answer.
#[derive(Default)]
pub struct ResponseEffects {
    // Boxed and lazy: most calls set nothing, and the context that carries
    // this stays small.
    set: Option<Box<EffectsSet>>,
}

#[derive(Debug, Default)]
struct EffectsSet {
    headers: Vec<(String, String)>,
    cookies: Vec<Cookie>,
    extensions: Extensions,
}

impl fmt::Debug for ResponseEffects {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseEffects")
            .field("headers", &self.headers())
            .field("cookies", &self.cookies())
            .field("extensions", self.extensions())
            .finish()
    }
}

/// What [`ResponseEffects::extensions`] shows when nothing was set.
static NO_EXTENSIONS: Extensions = Extensions { map: None };

impl ResponseEffects {
    /// Headers to add, in the order they were set.
    pub fn headers(&self) -> &[(String, String)] {
        self.set.as_ref().map_or(&[], |set| &set.headers)
    }

    /// Cookies to set, in the order they were set.
    pub fn cookies(&self) -> &[Cookie] {
        self.set.as_ref().map_or(&[], |set| &set.cookies)
    }

    /// Typed values for the transport (a marker such as "do not compress").
    pub fn extensions(&self) -> &Extensions {
        self.set
            .as_ref()
            .map_or(&NO_EXTENSIONS, |set| &set.extensions)
    }

    /// Whether there is nothing to act on.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.set.as_ref().is_none_or(|set| {
            set.headers.is_empty() && set.cookies.is_empty() && set.extensions.is_empty()
        })
    }

    fn set_mut(&mut self) -> &mut EffectsSet {
        self.set.get_or_insert_with(Box::default)
    }
}

/// The `SameSite` attribute of a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SameSite {
    /// Sent only with same-site requests.
    Strict,
    /// Sent with same-site requests and top-level navigations.
    Lax,
    /// Sent with all requests; browsers require `Secure` with it.
    None,
}

/// A cookie for the transport to set, with its attributes.
///
/// Characters that may not appear in a cookie (`;`, `,`, spaces, quotes,
/// backslashes, control and non-ASCII characters) are percent-encoded when
/// the header is written, so no value can break out of its header.
///
/// ```
/// use rpc_core::{Cookie, SameSite};
///
/// let cookie = Cookie::new("id", "a b;c")
///     .path("/api")
///     .max_age(3600)
///     .secure(true)
///     .same_site(SameSite::Strict);
/// assert_eq!(cookie.to_string(), "id=a%20b%3Bc; Path=/api; Max-Age=3600; Secure; SameSite=Strict");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    name: String,
    value: String,
    path: Option<String>,
    domain: Option<String>,
    max_age: Option<i64>,
    secure: bool,
    http_only: bool,
    same_site: Option<SameSite>,
}

impl Cookie {
    /// A session cookie with no attributes.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            value: value.into(),
            path: None,
            domain: None,
            max_age: None,
            secure: false,
            http_only: false,
            same_site: None,
        }
    }

    /// A cookie that tells the client to delete `name` (empty value, `Max-Age=0`).
    pub fn removal(name: impl Into<String>) -> Self {
        Self::new(name, "").max_age(0)
    }

    /// The `Path` attribute.
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// The `Domain` attribute.
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// The `Max-Age` attribute, in seconds.
    #[must_use]
    pub fn max_age(mut self, seconds: i64) -> Self {
        self.max_age = Some(seconds);
        self
    }

    /// The `Secure` attribute.
    #[must_use]
    pub fn secure(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The `HttpOnly` attribute.
    #[must_use]
    pub fn http_only(mut self, http_only: bool) -> Self {
        self.http_only = http_only;
        self
    }

    /// The `SameSite` attribute.
    #[must_use]
    pub fn same_site(mut self, same_site: SameSite) -> Self {
        self.same_site = Some(same_site);
        self
    }

    /// The cookie's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The cookie's value.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for Cookie {
    /// Writes the value of a `Set-Cookie` header.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_encoded(f, &self.name, is_token_char)?;
        f.write_str("=")?;
        write_encoded(f, &self.value, is_cookie_octet)?;
        if let Some(path) = &self.path {
            f.write_str("; Path=")?;
            write_encoded(f, path, is_attribute_char)?;
        }
        if let Some(domain) = &self.domain {
            f.write_str("; Domain=")?;
            write_encoded(f, domain, is_attribute_char)?;
        }
        if let Some(max_age) = self.max_age {
            write!(f, "; Max-Age={max_age}")?;
        }
        if self.secure {
            f.write_str("; Secure")?;
        }
        if self.http_only {
            f.write_str("; HttpOnly")?;
        }
        match self.same_site {
            Some(SameSite::Strict) => f.write_str("; SameSite=Strict")?,
            Some(SameSite::Lax) => f.write_str("; SameSite=Lax")?,
            Some(SameSite::None) => f.write_str("; SameSite=None")?,
            None => {}
        }
        Ok(())
    }
}

fn write_encoded(f: &mut fmt::Formatter<'_>, text: &str, allowed: fn(u8) -> bool) -> fmt::Result {
    for &byte in text.as_bytes() {
        if allowed(byte) && byte != b'%' {
            f.write_str(std::str::from_utf8(&[byte]).map_err(|_| fmt::Error)?)?;
        } else {
            write!(f, "%{byte:02X}")?;
        }
    }
    Ok(())
}

/// RFC 6265 cookie-octet.
fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

/// RFC 7230 tchar.
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$&'*+-.^_`|~".contains(&byte)
}

/// Any visible ASCII but `;`.
fn is_attribute_char(byte: u8) -> bool {
    (0x21..=0x7E).contains(&byte) && byte != b';'
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
    fn extensions_are_typed() {
        let ctx = Context::new().with(5u32).with("text");
        assert_eq!(ctx.get::<u32>(), Some(&5));
        assert_eq!(ctx.get::<&str>(), Some(&"text"));
        assert_eq!(ctx.get::<u64>(), None);
        let mut ext = Extensions::default();
        assert!(ext.is_empty());
        assert_eq!(ext.insert(1u8), None);
        assert_eq!(ext.insert(2u8), Some(1));
        *ext.get_mut::<u8>().unwrap() += 1;
        assert_eq!(ext.remove::<u8>(), Some(3));
        assert!(ext.is_empty());
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

    #[test]
    fn cookie_text_cannot_break_out_of_its_header() {
        let cookie = Cookie::new("a;b", "x\r\nSet-Cookie: evil=1")
            .path("/;x")
            .domain("é");
        let text = cookie.to_string();
        assert!(!text.contains('\r') && !text.contains('\n'));
        assert_eq!(
            text,
            "a%3Bb=x%0D%0ASet-Cookie:%20evil=1; Path=/%3Bx; Domain=%C3%A9"
        );
    }
}
