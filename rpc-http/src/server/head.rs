//! What RFC 9112 asks a server to check in an HTTP/1 request head and
//! hyper leaves to the application: exactly one valid `Host` (section 3.2),
//! and no transfer coding but `chunked`, the one hyper removes (section 6.1).
//! The server's walk over the headers (`layers.rs`) gathers what these read.

use http::header::{HeaderValue, TRANSFER_ENCODING};
use http::{HeaderMap, StatusCode, Version};

/// What a request head showed of its `Host` and `Transfer-Encoding`.
#[derive(Clone, Copy)]
pub(super) struct Head {
    /// `Host` fields seen (counting stops at 2).
    pub(super) hosts: u8,
    /// Every `Host` seen holds a valid value.
    pub(super) host_valid: bool,
    /// A `Transfer-Encoding` names a coding other than `chunked`.
    pub(super) unknown_coding: bool,
}

impl Head {
    pub(super) const EMPTY: Head = Head {
        hosts: 0,
        host_valid: true,
        unknown_coding: false,
    };

    #[inline]
    pub(super) fn host(&mut self, value: &HeaderValue) {
        self.hosts = self.hosts.saturating_add(1).min(2);
        self.host_valid &= valid_host(value.as_bytes());
    }

    #[inline]
    pub(super) fn transfer_encoding(&mut self, value: &HeaderValue) {
        self.unknown_coding |= !only_chunked(value.as_bytes());
    }

    /// The same, from a lookup of each header (for requests with many).
    pub(super) fn looked_up(headers: &HeaderMap) -> Self {
        let mut head = Head::EMPTY;
        for value in headers.get_all(http::header::HOST) {
            head.host(value);
        }
        for value in headers.get_all(TRANSFER_ENCODING) {
            head.transfer_encoding(value);
        }
        head
    }

    /// Whether the request must be refused before it is read, and how.
    /// HTTP/2 carries the authority in a pseudo-header and has no transfer
    /// codings (h2 refuses the header): nothing to check there.
    #[inline]
    pub(super) fn refusal(self, version: Version) -> Option<StatusCode> {
        if version >= Version::HTTP_2 {
            return None;
        }
        let host_missing = self.hosts == 0 && version == Version::HTTP_11;
        if host_missing || self.hosts > 1 || !self.host_valid {
            Some(StatusCode::BAD_REQUEST)
        } else if self.unknown_coding {
            Some(StatusCode::NOT_IMPLEMENTED)
        } else {
            None
        }
    }
}

/// Why a request was refused with `status` by [`Head::refusal`]; cold.
#[cold]
pub(super) fn refusal_reason(status: StatusCode, headers: &HeaderMap) -> String {
    if status == StatusCode::NOT_IMPLEMENTED {
        let codings: Vec<&str> = headers
            .get_all(TRANSFER_ENCODING)
            .iter()
            .map(|value| value.to_str().unwrap_or("(not text)"))
            .collect();
        return format!(
            "Transfer-Encoding `{}` is not implemented: only chunked is (send a compressed body with Content-Encoding)",
            codings.join(", ")
        );
    }
    match headers.get_all(http::header::HOST).iter().count() {
        0 => "an HTTP/1.1 request needs a Host header".to_owned(),
        1 => "the Host header is not a valid host[:port]".to_owned(),
        _ => "a request may carry only one Host header".to_owned(),
    }
}

/// The bytes of a host name or an IPv4 address: RFC 3986's unreserved
/// characters and sub-delims (`%`-escapes are left to the slow path).
const NAME_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = matches!(byte as u8,
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9'
            | b'-' | b'.' | b'_' | b'~'
            | b'!' | b'$' | b'&' | b'\'' | b'(' | b')' | b'*' | b'+' | b',' | b';' | b'=');
        byte += 1;
    }
    table
};

/// `uri-host [ ":" port ]` (RFC 9110, section 7.2; RFC 3986, section 3.2.2),
/// or empty (a target without an authority). Every request pays for it:
/// the usual shape (a name or IPv4 address, then perhaps a port) is read
/// with one table lookup a byte; IP literals and escapes take the slow path.
#[inline]
fn valid_host(host: &[u8]) -> bool {
    let name = host
        .iter()
        .position(|&byte| !NAME_BYTES[usize::from(byte)])
        .unwrap_or(host.len());
    match host.get(name) {
        None => true,
        Some(b':') => valid_port(&host[name + 1..]),
        Some(_) => valid_host_slowly(host),
    }
}

#[inline]
fn valid_port(port: &[u8]) -> bool {
    port.iter().all(u8::is_ascii_digit)
}

/// [`valid_host`] for IP literals and `%`-escaped names.
#[cold]
fn valid_host_slowly(host: &[u8]) -> bool {
    let rest = if let Some(literal) = host.strip_prefix(b"[") {
        // An IP literal: IPv6 (or IPvFuture) between brackets.
        let Some(end) = literal.iter().position(|&byte| byte == b']') else {
            return false;
        };
        let inside = &literal[..end];
        if inside.is_empty()
            || !inside
                .iter()
                .all(|&byte| byte.is_ascii_hexdigit() || matches!(byte, b':' | b'.' | b'v' | b'V'))
        {
            return false;
        }
        &literal[end + 1..]
    } else {
        let end = host
            .iter()
            .position(|&byte| byte == b':')
            .unwrap_or(host.len());
        let mut name = &host[..end];
        while let Some((&byte, after)) = name.split_first() {
            name = match byte {
                b'%' => match after {
                    [a, b, after @ ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit() => after,
                    _ => return false,
                },
                _ if NAME_BYTES[usize::from(byte)] => after,
                _ => return false,
            };
        }
        &host[end..]
    };
    match rest.split_first() {
        None => true,
        Some((b':', port)) => valid_port(port),
        Some(_) => false,
    }
}

/// Whether a `Transfer-Encoding` value lists only `chunked`.
fn only_chunked(value: &[u8]) -> bool {
    value
        .split(|&byte| byte == b',')
        .all(|coding| coding.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts() {
        for good in [
            "",
            "example.com",
            "example.com:8080",
            "127.0.0.1",
            "127.0.0.1:39700",
            "[::1]",
            "[::1]:80",
            "[2001:db8::7]:",
            "xn--bcher-kva.example",
            "a%20b",
            "localhost:",
        ] {
            assert!(valid_host(good.as_bytes()), "{good:?}");
        }
        for bad in [
            "bad host",
            "a/b",
            "user@example.com",
            "example.com:80x",
            "example.com:80:81",
            "[::1",
            "[]",
            "[::1]x",
            "a%2",
            "a%zz",
            "tab\there",
            "exa\"mple",
        ] {
            assert!(!valid_host(bad.as_bytes()), "{bad:?}");
        }
    }

    #[test]
    fn transfer_codings() {
        assert!(only_chunked(b"chunked"));
        assert!(only_chunked(b"Chunked"));
        assert!(only_chunked(b" chunked , chunked"));
        assert!(!only_chunked(b"gzip, chunked"));
        assert!(!only_chunked(b"gzip"));
        assert!(!only_chunked(b"identity"));
        assert!(!only_chunked(b""));
    }

    #[test]
    fn what_is_refused_and_how() {
        let head = |hosts, host_valid, unknown_coding| Head {
            hosts,
            host_valid,
            unknown_coding,
        };
        let v11 = Version::HTTP_11;
        assert_eq!(head(1, true, false).refusal(v11), None);
        assert_eq!(
            head(0, true, false).refusal(v11),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(head(0, true, false).refusal(Version::HTTP_10), None);
        assert_eq!(
            head(2, true, false).refusal(Version::HTTP_10),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            head(1, false, false).refusal(v11),
            Some(StatusCode::BAD_REQUEST)
        );
        assert_eq!(
            head(1, true, true).refusal(v11),
            Some(StatusCode::NOT_IMPLEMENTED)
        );
        assert_eq!(head(0, true, true).refusal(Version::HTTP_2), None);
    }
}
