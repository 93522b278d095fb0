//! The method explorer: one self-contained HTML page (no script, style or
//! font from elsewhere, so it works offline) that reads `rpc.discover` and
//! lets a person call every method, build a batch and watch subscriptions
//! over WebSocket. Served on `GET` at the path given to
//! [`Server::explorer`](crate::Server::explorer); off unless asked for.

use bytes::Bytes;
use http::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use http::{Response, StatusCode};
use http_body_util::Full;

/// The page, with `/*CONFIG*/` where the mounts it may call go.
const PAGE: &str = include_str!("explorer.html");

/// Only the page's own inline script and style run; it may call its own
/// origin (HTTP and WebSocket) and nothing else.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'unsafe-inline'; \
    style-src 'unsafe-inline'; connect-src 'self' ws: wss:; img-src data:; \
    base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The explorer page of one service, built once.
#[derive(Debug)]
pub(crate) struct Explorer {
    /// Without a trailing slash; the root is `""`.
    path: Box<str>,
    page: Bytes,
}

impl Explorer {
    /// The page at `path`, calling the routers mounted at `mounts` (normalized paths).
    pub(crate) fn new(path: &str, mounts: &[&str]) -> Self {
        let mounts: Vec<&str> = mounts
            .iter()
            .map(|mount| if mount.is_empty() { "/" } else { mount })
            .collect();
        let config = serde_json::json!({ "mounts": mounts }).to_string();
        // Inside a <script> element, `</` could end it early.
        let config = config.replace("</", "<\\/");
        Self {
            path: path.into(),
            page: Bytes::from(PAGE.replacen("/*CONFIG*/", &config, 1)),
        }
    }

    /// Whether a `GET` of `path` asks for the page.
    pub(crate) fn serves(&self, path: &str) -> bool {
        *self.path == *path.trim_end_matches('/')
    }

    /// The page (in the service's body type, without depending on it).
    pub(crate) fn response(&self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(self.page.clone()));
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(
            "content-security-policy",
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_names_its_mounts_and_fetches_nothing_from_elsewhere() {
        let explorer = Explorer::new("/explorer", &["", "/api</script>"]);
        let page = std::str::from_utf8(&explorer.page).unwrap();
        assert!(page.contains(r#"{"mounts":["/","/api<\/script>"]}"#));
        assert!(!page.contains("/*CONFIG*/"));
        for external in ["http://", "https://", "//cdn", "@import", "url("] {
            assert!(!page.contains(external), "the page refers to {external}");
        }
        assert!(explorer.serves("/explorer") && explorer.serves("/explorer/"));
        assert!(!explorer.serves("/"));
    }
}
