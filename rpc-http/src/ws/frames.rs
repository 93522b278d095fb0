//! The writing half of a WebSocket: messages framed as text frames into a
//! buffer; pings, pongs and closes with their codes.

use std::io;

use fastwebsockets::{Frame, Payload};
use rpc_core::connection::{Close, MessageSink};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::vocabulary::{Control, OpCode};

/// The writing half of a WebSocket: messages are framed as text frames into
/// one buffer, which a flush writes at once, so that those ready together
/// leave in one write. The buffer is allocated on first use (an idle
/// connection holds none) and let go after a flush once it has grown past
/// [`KEPT_CAPACITY`].
pub(crate) struct WsSink<W> {
    io: W,
    buffer: Vec<u8>,
    /// Whether frames are masked: a client's are, a server's are not (RFC 6455, 5.1).
    masked: bool,
}

/// The largest buffer kept between flushes.
const KEPT_CAPACITY: usize = 64 * 1024;

impl<W: AsyncWrite + Unpin> WsSink<W> {
    /// The server's end: frames unmasked.
    pub(crate) fn server(io: W) -> Self {
        Self {
            io,
            buffer: Vec::new(),
            masked: false,
        }
    }

    /// The client's end: frames masked with a fresh random key each.
    pub(crate) fn client(io: W) -> Self {
        Self {
            io,
            buffer: Vec::new(),
            masked: true,
        }
    }

    fn frame(&mut self, opcode: OpCode, payload: &[u8]) {
        if self.masked {
            let opcode = match opcode {
                OpCode::Continuation => fastwebsockets::OpCode::Continuation,
                OpCode::Text => fastwebsockets::OpCode::Text,
                OpCode::Binary => fastwebsockets::OpCode::Binary,
                OpCode::Close => fastwebsockets::OpCode::Close,
                OpCode::Ping => fastwebsockets::OpCode::Ping,
                OpCode::Pong => fastwebsockets::OpCode::Pong,
            };
            // fastwebsockets draws the random key (RFC 6455, 10.3).
            let mut frame = Frame::new(true, opcode, None, Payload::Borrowed(payload));
            frame.mask();
            let mut head = [0; 14];
            let len = frame.fmt_head(&mut head);
            self.buffer.extend_from_slice(&head[..len]);
            self.buffer.extend_from_slice(&frame.payload);
        } else {
            put_head(&mut self.buffer, opcode, payload.len());
            self.buffer.extend_from_slice(payload);
        }
    }
}

/// A final, unmasked frame's head (RFC 6455, 5.2): FIN and the opcode, then
/// the payload length in 7, 7+16 or 7+64 bits.
fn put_head(buffer: &mut Vec<u8>, opcode: OpCode, len: usize) {
    buffer.push(0x80 | opcode as u8);
    match len {
        0..=125 => buffer.push(len as u8),
        126..=0xFFFF => {
            buffer.push(126);
            buffer.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            buffer.push(127);
            buffer.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> MessageSink for WsSink<W> {
    type Control = Control;

    fn write(&mut self, message: &[u8]) {
        self.frame(OpCode::Text, message);
    }

    fn control(&mut self, control: Control) {
        match control {
            Control::Pong(payload) => self.frame(OpCode::Pong, &payload),
            Control::Heard => {}
        }
    }

    fn keepalive(&mut self) {
        self.frame(OpCode::Ping, &[]);
    }

    fn close(&mut self, reason: Close) {
        let (code, text) = close_code(reason);
        let mut payload = Vec::with_capacity(2 + text.len());
        payload.extend_from_slice(&code.to_be_bytes());
        payload.extend_from_slice(text.as_bytes());
        self.frame(OpCode::Close, &payload);
    }

    fn buffered(&self) -> usize {
        self.buffer.len()
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.io.write_all(&self.buffer).await?;
        if self.buffer.capacity() > KEPT_CAPACITY {
            self.buffer = Vec::new();
        } else {
            self.buffer.clear();
        }
        self.io.flush().await
    }
}

/// The WebSocket close code and reason for a connection's close (RFC 6455, 7.4.1).
pub(crate) fn close_code(reason: Close) -> (u16, &'static str) {
    match reason {
        Close::GoingAway => (1001, "server shutting down"),
        Close::Protocol => (1002, "protocol error"),
        Close::InvalidData => (1007, "text that is not UTF-8"),
        Close::TooSlow => (1008, "too slow to keep up with the messages sent"),
        Close::TooLarge => (1009, "message too large"),
        Close::Idle => (1001, "idle for too long"),
        Close::TryAgainLater => (1013, "no room for the connection; try again later"),
        _ => (1000, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::{put_head, OpCode};

    #[test]
    fn frame_heads_use_the_shortest_length_encoding() {
        let head = |opcode, len| {
            let mut buffer = Vec::new();
            put_head(&mut buffer, opcode, len);
            buffer
        };
        assert_eq!(head(OpCode::Text, 0), [0x81, 0]);
        assert_eq!(head(OpCode::Text, 125), [0x81, 125]);
        assert_eq!(head(OpCode::Text, 126), [0x81, 126, 0, 126]);
        assert_eq!(head(OpCode::Pong, 65_535), [0x8A, 126, 0xFF, 0xFF]);
        assert_eq!(
            head(OpCode::Close, 65_536),
            [0x88, 127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
        assert_eq!(head(OpCode::Ping, 0), [0x89, 0]);
    }
}
