//! What methods ask the transport to act on in its answer.

use std::fmt;

use super::{Cookie, Extensions};

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
static NO_EXTENSIONS: Extensions = Extensions::EMPTY;

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

    /// Nothing set; what a context starts with.
    pub(super) const EMPTY: ResponseEffects = ResponseEffects { set: None };

    pub(super) fn add_header(&mut self, name: String, value: String) {
        self.set_mut().headers.push((name, value));
    }

    pub(super) fn add_cookie(&mut self, cookie: Cookie) {
        self.set_mut().cookies.push(cookie);
    }

    pub(super) fn add_extension<T: Send + Sync + 'static>(&mut self, value: T) {
        self.set_mut().extensions.insert(value);
    }

    fn set_mut(&mut self) -> &mut EffectsSet {
        self.set.get_or_insert_with(Box::default)
    }
}
