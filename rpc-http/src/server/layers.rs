//! The tower layers a request may go through (CORS, compression,
//! decompression), and the headers that decide whether it needs them.

use std::time::Duration;

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, HOST, ORIGIN, TRANSFER_ENCODING,
};
use http::Request;
use hyper::body::Incoming;
use tower_http::cors::{Any, CorsLayer};
#[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
use tower_http::decompression::RequestDecompressionLayer;

use super::compression::Compression;
use super::head::Head;
use crate::handoff::check_content_type;
use crate::service::RpcService;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The permissive CORS policy the Python servers had: any origin may call.
pub(super) fn default_cors() -> CorsLayer {
    CorsLayer::new()
        .allow_origin(Any)
        .allow_methods([http::Method::POST, http::Method::GET, http::Method::OPTIONS])
        .allow_headers(Any)
        .max_age(Duration::from_secs(24 * 60 * 60))
}

/// The service stack for requests that need the layers: CORS (when the
/// server has a policy), compression of answers, decompression of requests.
#[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
pub(super) fn stack(
    rpc: RpcService,
    cors: Option<CorsLayer>,
    compression: Compression,
) -> impl Layered {
    tower::ServiceBuilder::new()
        .option_layer(cors)
        .layer(compression.layer())
        .layer(RequestDecompressionLayer::new())
        .service(rpc)
}

/// The service stack for requests that need the layers: CORS (when the
/// server has a policy); no encoding is compiled in.
#[cfg(not(any(feature = "gzip", feature = "br", feature = "zstd")))]
pub(super) fn stack(
    rpc: RpcService,
    cors: Option<CorsLayer>,
    _compression: Compression,
) -> impl Layered {
    tower::ServiceBuilder::new().option_layer(cors).service(rpc)
}

/// The service stack a connection's layered requests go through.
pub(super) trait Layered:
    tower::Service<
        Request<Incoming>,
        Response = http::Response<Self::Body>,
        Error = Self::LayerError,
        Future = Self::LayerFuture,
    > + Clone
    + Send
    + 'static
{
    type Body: http_body::Body<Data = Bytes, Error = Self::BodyError> + Send + 'static;
    type BodyError: Into<BoxError>;
    type LayerError: Into<BoxError>;
    type LayerFuture: Send;
}

impl<S, B> Layered for S
where
    S: tower::Service<Request<Incoming>, Response = http::Response<B>> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Body = B;
    type BodyError = B::Error;
    type LayerError = S::Error;
    type LayerFuture = S::Future;
}

/// What one walk over a request's headers finds: whether the headers that
/// call for the server's layers are there, and what the checks of the head
/// (`head.rs`) read.
pub(super) struct LayerHeaders {
    pub(super) content_encoding: bool,
    pub(super) origin: bool,
    pub(super) accept_encoding: bool,
    /// No `Content-Type`, or a first one the service accepts.
    pub(super) content_type_accepted: bool,
    /// `Host` and `Transfer-Encoding`, for the checks hyper leaves to us.
    pub(super) head: Head,
}

impl LayerHeaders {
    /// Up to this many header values, one walk over them is cheaper than
    /// three hashed lookups; programmatic clients send about this few.
    const WALK_UP_TO: usize = 8;

    #[inline]
    pub(super) fn of(headers: &http::HeaderMap) -> Self {
        if headers.len() > Self::WALK_UP_TO {
            return Self {
                content_encoding: headers.contains_key(CONTENT_ENCODING),
                origin: headers.contains_key(ORIGIN),
                accept_encoding: headers.contains_key(ACCEPT_ENCODING),
                // The service looks it up itself.
                content_type_accepted: false,
                head: Head::looked_up(headers),
            };
        }
        let mut seen = Self {
            content_encoding: false,
            origin: false,
            accept_encoding: false,
            content_type_accepted: true,
            head: Head::EMPTY,
        };
        let mut content_type_seen = false;
        for (name, value) in headers {
            if *name == HOST {
                seen.head.host(value);
            } else if *name == CONTENT_TYPE {
                // The service reads the first one.
                if !std::mem::replace(&mut content_type_seen, true) {
                    seen.content_type_accepted = check_content_type(value).is_ok();
                }
            } else if *name == CONTENT_ENCODING {
                seen.content_encoding = true;
            } else if *name == ORIGIN {
                seen.origin = true;
            } else if *name == ACCEPT_ENCODING {
                seen.accept_encoding = true;
            } else if *name == TRANSFER_ENCODING {
                seen.head.transfer_encoding(value);
            }
        }
        seen
    }
}

#[cfg(test)]
mod tests {
    use http::header::{HeaderName, HeaderValue};

    use super::*;

    #[test]
    fn layer_headers_are_found_among_few_and_many() {
        for padding in [0, 2, 20] {
            let mut headers = http::HeaderMap::new();
            for i in 0..padding {
                let name = HeaderName::try_from(format!("x-pad-{i}")).unwrap();
                headers.insert(name, HeaderValue::from_static("1"));
            }
            let none = LayerHeaders::of(&headers);
            assert!(!none.content_encoding && !none.origin && !none.accept_encoding);
            headers.append(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            headers.append(CONTENT_ENCODING, HeaderValue::from_static("br"));
            headers.insert(ORIGIN, HeaderValue::from_static("https://a.example"));
            headers.insert(ACCEPT_ENCODING, HeaderValue::from_static("zstd"));
            let all = LayerHeaders::of(&headers);
            assert!(
                all.content_encoding && all.origin && all.accept_encoding,
                "{padding} others"
            );
        }
    }
}
