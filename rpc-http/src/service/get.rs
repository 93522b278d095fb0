//! The `GET` fallback: `GET <mount>/<method>?name=value` calls the method
//! with named params from the query string, optionally answered as JSONP.
//! Off unless [`HttpConfig::with_get_fallback`](crate::HttpConfig::get) turns it on.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE};
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};

use super::context::MessageContext;
use super::dispatch::Answer;
use super::message::Message;
use super::response::{closing, refusal, ResponseBody};
use super::shared::Shared;
use super::unread::Unread;
use crate::handoff::Meta;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Shared {
    /// `<mount>/<method>` for the GET fallback; the longest mount wins, so
    /// with `/` and `/api` mounted, `/api/m` is `m` at `/api`, not `api/m` at `/`.
    pub(super) fn get_target(&self, path: &str) -> Option<(usize, String)> {
        let (index, rest) = self
            .routes
            .iter()
            .enumerate()
            .filter_map(|(index, route)| {
                let rest = route.path.rest_of(path)?.strip_prefix('/')?;
                Some((index, rest))
            })
            .max_by_key(|&(index, _)| self.routes[index].path.as_str().len())?;
        let method = percent_decode(rest)?;
        (!method.is_empty()).then_some((index, method))
    }

    pub(super) async fn get<B>(
        self: Arc<Self>,
        route: usize,
        method: String,
        request: Request<B>,
        meta: Meta,
    ) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let (mut parts, body) = request.into_parts();
        // A `GET` seldom has a body; one that has is read and dropped while
        // the method runs, so that the connection goes on. Decided before
        // the method's context takes the headers.
        let unread = Unread::of(&parts, body, &self.config);
        let (response, goes_on) = tokio::join!(
            self.answer_get(route, method, &mut parts, meta),
            unread.read_and_drop(),
        );
        if goes_on {
            response
        } else {
            closing(response)
        }
    }

    async fn answer_get(
        self: Arc<Self>,
        route: usize,
        method: String,
        parts: &mut Parts,
        meta: Meta,
    ) -> Response<ResponseBody> {
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
        let ctx = MessageContext::new(
            self.routes[route].reads_context,
            parts,
            meta,
            self.config.authenticator.as_ref(),
        );
        let response = match Message::new(self, route, bytes, ctx).dispatch(None) {
            Answer::Now(response) => response,
            Answer::Later(future) => future.await,
        };
        match callback {
            Some(name) => jsonp(response, &name).await,
            None => response,
        }
    }
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

pub(super) fn percent_decode(text: &str) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn percent_decoding() {
        assert_eq!(percent_decode("math.add").as_deref(), Some("math.add"));
        assert_eq!(percent_decode("a%2Fb+c").as_deref(), Some("a/b+c"));
        assert_eq!(percent_decode("%zz"), None);
        assert_eq!(percent_decode("%e9"), None);
    }
}
