//! Which mounted router a request is for, and what its HTTP method asks:
//! `POST` runs a message, `GET` goes to the fallback, `OPTIONS` lists what
//! is allowed, anything else is refused.

use std::sync::Arc;

use http::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use http::request::Parts;
use http::{Method, Request, StatusCode};

use super::after_answer::AfterAnswer;
use super::context::MessageContext;
use super::future::{AfterBody, ResponseFuture};
use super::response::{empty, not_found, refusal, too_large};
use super::shared::Shared;
use super::unread::answer_unread;
use crate::handoff::{check_content_type, Meta};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Shared {
    /// Answers one request, given as its head and body: `POST` at a mount
    /// runs a message; the rest is the `GET` fallback, `OPTIONS`, or a
    /// refusal.
    ///
    /// The head is read in place: it is 224 bytes, and each move of it (or
    /// of the whole request) a `memcpy` on every call. What a context needs
    /// of it is taken out; the caller drops the rest where it lies.
    #[inline]
    pub(super) fn handle<B>(
        self: Arc<Self>,
        head: &mut Parts,
        body: B,
        meta: Meta,
        after_answer: Option<Arc<AfterAnswer>>,
    ) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        match self.post_target(head, &body, &meta) {
            PostTarget::Route(route) => self.post(route, head, body, meta, after_answer),
            PostTarget::Refused(response) => answer_unread(head, body, response, &self.config),
            PostTarget::Other => {
                let head = std::mem::replace(head, empty_head());
                self.handle_other(Request::from_parts(head, body), meta)
            }
        }
    }

    /// Which router a `POST` is for, or why it is refused before its body is
    /// read; `Other` for any other request.
    #[inline(always)]
    fn post_target<B: http_body::Body>(&self, head: &Parts, body: &B, meta: &Meta) -> PostTarget {
        if head.method != Method::POST {
            return PostTarget::Other;
        }
        let Some(route) = self.route(head.uri.path()) else {
            return PostTarget::Other;
        };
        if !meta.content_type_accepted {
            if let Some(content_type) = head.headers.get(CONTENT_TYPE) {
                if let Err(reason) = check_content_type(content_type) {
                    return PostTarget::Refused(refusal(
                        StatusCode::UNSUPPORTED_MEDIA_TYPE,
                        reason,
                    ));
                }
            }
        }
        let limit = self.config.max_body_size;
        // The body knows its declared length (`Content-Length`), if any.
        if body.size_hint().lower() > limit as u64 {
            return PostTarget::Refused(too_large(limit));
        }
        PostTarget::Route(route)
    }

    /// Answers a request that is not a `POST` at a mount: the `GET`
    /// fallback, a WebSocket upgrade, the explorer, `OPTIONS`, or a
    /// refusal. Out of line, so that the code of every call's way in stays
    /// short.
    #[inline(never)]
    fn handle_other<B>(self: Arc<Self>, request: Request<B>, meta: Meta) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let path = request.uri().path();
        #[cfg(feature = "ws")]
        if request.method() == Method::GET && super::websocket::is_upgrade(&request) {
            if let Some(route) = self.route(path) {
                let response = if self.config.websocket.enabled() {
                    self.upgrade(route, request, meta)
                } else {
                    refusal(
                        StatusCode::METHOD_NOT_ALLOWED,
                        "WebSocket is not enabled here; send JSON-RPC with POST".to_owned(),
                    )
                };
                return ResponseFuture::ready(response);
            }
        }
        if let Some(explorer) = &self.explorer {
            if request.method() == Method::GET && explorer.serves(path) {
                let (head, body) = request.into_parts();
                return answer_unread(&head, body, explorer.response(), &self.config);
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
        let (head, body) = request.into_parts();
        answer_unread(&head, body, response, &self.config)
    }

    /// The `Allow` header of `path`: `POST` where a router is mounted, `GET`
    /// where the fallback names a method; `None` where nothing answers.
    pub(super) fn allow(&self, path: &str) -> Option<HeaderValue> {
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
    pub(super) fn route(&self, path: &str) -> Option<usize> {
        if self.any_path {
            return (!self.routes.is_empty()).then_some(0);
        }
        let path = path.trim_end_matches('/');
        if let [only] = &*self.routes {
            // One mount, the common case: one comparison.
            return only.path.serves(path).then_some(0);
        }
        self.routes.iter().position(|route| route.path.serves(path))
    }

    // Inlined into `handle`: one call fewer on every request's way in.
    #[inline(always)]
    fn post<B>(
        self: Arc<Self>,
        route: usize,
        head: &mut Parts,
        body: B,
        meta: Meta,
        after_answer: Option<Arc<AfterAnswer>>,
    ) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let ctx = MessageContext::new(
            self.routes[route].reads_context,
            head,
            meta,
            self.config.authenticator.as_ref(),
        );
        ResponseFuture::reading(
            body,
            AfterBody {
                shared: self,
                route,
                ctx,
                after_answer,
            },
        )
    }
}

/// A request head with nothing in it, left behind where one is taken.
#[cold]
fn empty_head() -> Parts {
    Request::new(()).into_parts().0
}

/// What a request's head says of it, read before it is moved.
enum PostTarget {
    /// A `POST` to the router at this index, its body still to read.
    Route(usize),
    /// A `POST` refused from its head alone.
    Refused(http::Response<super::response::ResponseBody>),
    /// Not a `POST` to a mount.
    Other,
}

/// A mount's path, without its trailing slash; the root's is empty.
///
/// Compared by hand when empty: an empty `Box<str>`'s pointer dangles, and
/// `==` or `strip_prefix` would still pass it to `memcmp`, whose AVX-512
/// form then costs a CPU assist of some 40 ns (BENCHMARKS.md, "One `memcmp`
/// of nothing").
pub(super) struct MountPath(Box<str>);

impl MountPath {
    pub(super) fn new(path: String) -> Self {
        MountPath(path.into_boxed_str())
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the mount serves `path` (trailing slashes trimmed).
    #[inline(always)]
    pub(super) fn serves(&self, path: &str) -> bool {
        if self.0.is_empty() {
            path.is_empty()
        } else {
            *self.0 == *path
        }
    }

    /// What follows the mount's path in `path`, if `path` starts with it.
    pub(super) fn rest_of<'p>(&self, path: &'p str) -> Option<&'p str> {
        if self.0.is_empty() {
            Some(path)
        } else {
            path.strip_prefix(&*self.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MountPath;

    #[test]
    fn the_root_mount_serves_only_the_root() {
        // Paths as `route` compares them: trailing slashes trimmed.
        let root = MountPath::new(String::new());
        assert!(root.serves(""));
        assert!(!root.serves("/api"));
        assert_eq!(root.rest_of("/api/m"), Some("/api/m"));
        let api = MountPath::new("/api".to_owned());
        assert!(api.serves("/api"));
        assert!(!api.serves(""));
        assert!(!api.serves("/apx"));
        assert!(!api.serves("/api/v1"));
        assert_eq!(api.rest_of("/api/m"), Some("/m"));
        assert_eq!(api.rest_of("/apx/m"), None);
    }
}
