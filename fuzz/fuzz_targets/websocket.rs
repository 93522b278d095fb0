//! The WebSocket frame path: a connection upgraded by the server's own
//! connection code over an in-memory duplex, then any bytes as the
//! client's frames. Raw, or (odd first byte)
//! built into masked frames from a compact description, so that most inputs
//! get past the framing to the messages. The server never panics, ends the
//! connection within a bound, and its answers before the frames are HTTP.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "served.rs"]
mod served;

const UPGRADE: &[u8] = b"GET / HTTP/1.1\r\n\
Host: fuzz\r\n\
Upgrade: websocket\r\n\
Connection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";

const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// Frames from a description: per frame, a byte of FIN/RSV/opcode, a byte
/// of payload length (past what is left: all of it), then the payload;
/// each written as a client writes it, masked.
fn frames(mut description: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(description.len() * 2);
    while let [head, len, rest @ ..] = description {
        let len = usize::from(*len).min(rest.len());
        let (payload, after) = rest.split_at(len);
        out.push(*head);
        match len {
            0..=125 => out.push(0x80 | len as u8),
            _ => {
                out.push(0x80 | 126);
                out.extend_from_slice(&(len as u16).to_be_bytes());
            }
        }
        out.extend_from_slice(&MASK);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ MASK[i % 4]));
        description = after;
    }
    out
}

fuzz_target!(|data: &[u8]| {
    served::allow_fuzzed_panics();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut bytes = UPGRADE.to_vec();
    if mode & 1 == 1 {
        bytes.extend_from_slice(&frames(rest));
    } else {
        bytes.extend_from_slice(rest);
    }
    let answer = served::served().exchange(&bytes);
    assert!(
        answer.starts_with(b"HTTP/1.1 101 "),
        "the upgrade was not accepted: {:?}",
        String::from_utf8_lossy(&answer[..answer.len().min(200)])
    );
});
