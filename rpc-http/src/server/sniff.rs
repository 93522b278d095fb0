//! Telling HTTP/1 from HTTP/2 by a connection's first bytes, without
//! consuming them.

use tokio::net::TcpStream;

/// What a connection speaks, when that is known before hyper reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Protocol {
    Http1,
    Http2,
    /// Left to hyper-util's auto-detecting connection.
    Unknown,
}

/// The HTTP/2 connection preface (RFC 9113, section 3.4).
const HTTP2_PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Tells the protocol from what a client sent first, without consuming it.
pub(super) async fn sniff(stream: &TcpStream) -> std::io::Result<Option<Protocol>> {
    let mut first = [0; HTTP2_PREFACE.len()];
    let read = stream.peek(&mut first).await?;
    Ok(protocol_of(&first[..read]))
}

/// The protocol that a connection's first bytes show: anything that is not
/// a prefix of the HTTP/2 preface is HTTP/1, and a prefix too short to tell
/// is left to the auto-detecting connection. `None` for no bytes (closed).
pub(super) fn protocol_of(first: &[u8]) -> Option<Protocol> {
    if first.is_empty() {
        None
    } else if !HTTP2_PREFACE.starts_with(first) {
        Some(Protocol::Http1)
    } else if first.len() == HTTP2_PREFACE.len() {
        Some(Protocol::Http2)
    } else {
        Some(Protocol::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_bytes_tell_the_protocol() {
        assert_eq!(protocol_of(b""), None);
        assert_eq!(protocol_of(b"POST / HTTP/1.1\r\n"), Some(Protocol::Http1));
        assert_eq!(protocol_of(b"G"), Some(Protocol::Http1));
        assert_eq!(protocol_of(b"PO"), Some(Protocol::Http1));
        assert_eq!(protocol_of(b"P"), Some(Protocol::Unknown));
        assert_eq!(protocol_of(b"PRI * HTTP/2.0"), Some(Protocol::Unknown));
        assert_eq!(protocol_of(HTTP2_PREFACE), Some(Protocol::Http2));
    }
}
