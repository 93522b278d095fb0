//! Compression: answers compressed by `Accept-Encoding`, and the
//! `Content-Encoding` of requests read as the decompression layer expects.

use http::header::{HeaderValue, CONTENT_ENCODING};
#[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
use tower_http::compression::{
    predicate::{Predicate, SizeAbove},
    CompressionLayer,
};

#[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
use crate::handoff::SkipCompression;

/// Which encodings the server compresses answers with, and from what size.
///
/// An encoding is offered when it is both on here and compiled in: gzip
/// with the `gzip` feature (on by default), brotli with `br`, zstd with
/// `zstd`. Requests compressed with a compiled-in encoding are read; others
/// are refused with `415`.
///
/// ```
/// use rpc_http::Compression;
///
/// let compression = Compression::default().min_size(4096).zstd(false);
/// # let _ = compression;
/// ```
///
/// A method can keep its answer uncompressed (already compressed data, say)
/// with [`skip_compression`](crate::skip_compression).
#[derive(Debug, Clone, Copy)]
pub struct Compression {
    gzip: bool,
    br: bool,
    zstd: bool,
    min_size: u16,
}

impl Default for Compression {
    fn default() -> Self {
        Self {
            gzip: true,
            br: true,
            zstd: true,
            min_size: 1024,
        }
    }
}

impl Compression {
    /// No compression at all.
    pub fn off() -> Self {
        Self {
            gzip: false,
            br: false,
            zstd: false,
            min_size: u16::MAX,
        }
    }

    /// Whether to offer gzip (with the `gzip` feature).
    #[must_use]
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Whether to offer brotli (with the `br` feature).
    #[must_use]
    pub fn br(mut self, on: bool) -> Self {
        self.br = on;
        self
    }

    /// Whether to offer zstd (with the `zstd` feature).
    #[must_use]
    pub fn zstd(mut self, on: bool) -> Self {
        self.zstd = on;
        self
    }

    /// Whether some encoding is both on and compiled in.
    pub(super) fn is_on(self) -> bool {
        (self.gzip && cfg!(feature = "gzip"))
            || (self.br && cfg!(feature = "br"))
            || (self.zstd && cfg!(feature = "zstd"))
    }

    /// The smallest answer, in bytes, worth compressing.
    #[must_use]
    pub fn min_size(mut self, bytes: u16) -> Self {
        self.min_size = bytes;
        self
    }

    #[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
    pub(super) fn layer(self) -> CompressionLayer<impl Predicate> {
        let mut layer = CompressionLayer::new().no_deflate();
        if !self.gzip {
            layer = layer.no_gzip();
        }
        if !self.br {
            layer = layer.no_br();
        }
        if !self.zstd {
            layer = layer.no_zstd();
        }
        // `SizeAbove(n)` compresses bodies of `n` bytes or more.
        layer.compress_when(SizeAbove::new(u64::from(self.min_size)).and(NotSkipped))
    }
}

/// Leaves alone the answers of methods that called [`skip_compression`](crate::skip_compression).
#[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
#[derive(Debug, Clone, Copy)]
struct NotSkipped;

#[cfg(any(feature = "gzip", feature = "br", feature = "zstd"))]
impl Predicate for NotSkipped {
    fn should_compress<B>(&self, response: &http::Response<B>) -> bool
    where
        B: http_body::Body,
    {
        response.extensions().get::<SkipCompression>().is_none()
    }
}

/// A content coding the server can undo.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Coding {
    Identity,
    Gzip,
    Br,
    Zstd,
}

impl Coding {
    /// One token of a `Content-Encoding` list. Codings are case-insensitive
    /// and `x-gzip` is `gzip` (RFC 9110, 8.4.1); `None` for one the server
    /// cannot undo (unknown, or not compiled in).
    fn from_token(token: &str) -> Option<Self> {
        let known = |name: &str| token.eq_ignore_ascii_case(name);
        if known("identity") {
            Some(Coding::Identity)
        } else if cfg!(feature = "gzip") && (known("gzip") || known("x-gzip")) {
            Some(Coding::Gzip)
        } else if cfg!(feature = "br") && known("br") {
            Some(Coding::Br)
        } else if cfg!(feature = "zstd") && known("zstd") {
            Some(Coding::Zstd)
        } else {
            None
        }
    }

    /// The one coding a request's `Content-Encoding` headers amount to;
    /// `None` when the server cannot undo it. `identity` may stand anywhere;
    /// two real codings on top of each other are refused.
    pub(super) fn of_request(headers: &http::HeaderMap) -> Option<Self> {
        let mut coding = Coding::Identity;
        for value in headers.get_all(CONTENT_ENCODING) {
            for token in value.to_str().ok()?.split(',').map(str::trim) {
                match Coding::from_token(token)? {
                    Coding::Identity => {}
                    _ if coding != Coding::Identity => return None,
                    real => coding = real,
                }
            }
        }
        Some(coding)
    }

    /// The header value in the one spelling the decompression layer reads;
    /// `None` for `identity`, which it wants no header for.
    pub(super) fn header_value(self) -> Option<HeaderValue> {
        Some(HeaderValue::from_static(match self {
            Coding::Identity => return None,
            Coding::Gzip => "gzip",
            Coding::Br => "br",
            Coding::Zstd => "zstd",
        }))
    }
}

/// Every `Content-Encoding` value of a request, joined as one list.
pub(super) fn content_encodings(headers: &http::HeaderMap) -> String {
    let values: Vec<_> = headers
        .get_all(CONTENT_ENCODING)
        .iter()
        .map(|value| String::from_utf8_lossy(value.as_bytes()))
        .collect();
    values.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coding(values: &[&'static str]) -> Option<Coding> {
        let mut headers = http::HeaderMap::new();
        for value in values {
            headers.append(CONTENT_ENCODING, HeaderValue::from_static(value));
        }
        Coding::of_request(&headers)
    }

    /// `coding` when its feature is compiled in; `None` otherwise.
    fn compiled(coding: Coding, feature_on: bool) -> Option<Coding> {
        feature_on.then_some(coding)
    }

    #[test]
    fn a_request_coding_is_read_in_any_spelling_and_refused_when_stacked() {
        let gzip = compiled(Coding::Gzip, cfg!(feature = "gzip"));
        assert_eq!(coding(&[]), Some(Coding::Identity));
        assert_eq!(coding(&["identity", "IDENTITY"]), Some(Coding::Identity));
        assert_eq!(coding(&["GZip"]), gzip);
        assert_eq!(coding(&["x-gzip"]), gzip);
        assert_eq!(
            coding(&["identity, br", "identity"]),
            compiled(Coding::Br, cfg!(feature = "br"))
        );
        assert_eq!(
            coding(&["ZSTD"]),
            compiled(Coding::Zstd, cfg!(feature = "zstd"))
        );
        assert_eq!(coding(&["gzip, br"]), None);
        assert_eq!(coding(&["gzip", "gzip"]), None);
        assert_eq!(coding(&["deflate"]), None);
        assert_eq!(Coding::Identity.header_value(), None);
        assert_eq!(Coding::Gzip.header_value().unwrap(), "gzip");
    }
}
