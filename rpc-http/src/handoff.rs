//! What the [`Server`](crate::Server) and [`RpcService`](crate::RpcService)
//! hand each other beside the request itself.
//!
//! The server knows the connection a request came on and has already looked
//! at a few of its headers; the service reads that here instead of finding
//! it again. An app that embeds the service supplies what it knows the same
//! way, through [`PeerAddr`] in the request's extensions. Methods hand the
//! server one thing back: [`SkipCompression`], through their context.

use std::net::SocketAddr;

use http::HeaderValue;

/// The remote peer's address. The [`Server`](crate::Server) puts it in each
/// request's extensions; when embedding [`RpcService`](crate::RpcService) elsewhere, insert it
/// yourself (for axum: from `ConnectInfo<SocketAddr>`) and methods see it as
/// `Context::peer_addr`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// A request `Content-Encoding` the server cannot undo (the header's text),
/// set by the [`Server`](crate::Server) for the service to refuse with `415`.
#[derive(Debug, Clone)]
pub(crate) struct UndecodableEncoding(pub(crate) String);

/// The id of the connection a request came on, set by the [`Server`](crate::Server).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectionId(pub(crate) u64);

/// What is known about the connection a request came on. The server hands it
/// over directly; an embedding app puts [`PeerAddr`] in the request's extensions.
#[derive(Clone, Copy, Default)]
pub(crate) struct Meta {
    pub(crate) peer: Option<SocketAddr>,
    pub(crate) connection: Option<u64>,
    /// Set when the server has seen that the request's `Content-Type` (if
    /// any) is one the service accepts: no second lookup.
    pub(crate) content_type_accepted: bool,
}

impl Meta {
    /// What the request's extensions say (put there by the server's layered
    /// path, or by an embedding app); taken out of them.
    pub(crate) fn take_from(extensions: &mut http::Extensions) -> Self {
        Meta {
            peer: extensions.remove::<PeerAddr>().map(|PeerAddr(addr)| addr),
            connection: extensions
                .remove::<ConnectionId>()
                .map(|ConnectionId(id)| id),
            content_type_accepted: false,
        }
    }
}

/// Marks an answer the compression layer must leave alone (see [`skip_compression`](crate::skip_compression)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SkipCompression;

/// `application/json` (and the JSON-RPC variants), any casing, UTF-8 or no charset.
#[inline]
pub(crate) fn check_content_type(value: &HeaderValue) -> Result<(), String> {
    // What nearly every client sends, as they send it: two compares in line;
    // the rest out of the way of every request's code.
    if value.as_bytes() == b"application/json" {
        return Ok(());
    }
    check_other_content_type(value)
}

#[inline(never)]
fn check_other_content_type(value: &HeaderValue) -> Result<(), String> {
    if value.as_bytes().eq_ignore_ascii_case(b"application/json") {
        return Ok(());
    }
    let text = value
        .to_str()
        .map_err(|_| "the Content-Type header is not text".to_owned())?;
    let mut parts = text.split(';');
    let media = parts.next().unwrap_or("").trim();
    let accepted = [
        "application/json",
        "application/json-rpc",
        "application/jsonrequest",
    ];
    if !accepted.iter().any(|ok| media.eq_ignore_ascii_case(ok)) {
        return Err(format!(
            "Content-Type `{media}` is not accepted; send application/json (or application/json-rpc, application/jsonrequest)"
        ));
    }
    for param in parts {
        if let Some((key, value)) = param.split_once('=') {
            let value = value.trim().trim_matches('"');
            if key.trim().eq_ignore_ascii_case("charset")
                && !value.eq_ignore_ascii_case("utf-8")
                && !value.eq_ignore_ascii_case("utf8")
            {
                return Err(format!(
                    "charset `{value}` is not accepted; JSON-RPC bodies are UTF-8"
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        let ok = |text: &'static str| check_content_type(&HeaderValue::from_static(text)).is_ok();
        assert!(ok("application/json"));
        assert!(ok("Application/JSON; charset=UTF-8"));
        assert!(ok("application/json;charset=\"utf-8\""));
        assert!(ok("application/json-rpc"));
        assert!(ok("application/jsonrequest"));
        assert!(!ok("text/plain"));
        assert!(!ok("application/x-www-form-urlencoded"));
        assert!(!ok("application/json; charset=latin1"));
    }
}
