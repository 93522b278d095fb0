//! What the two halves of a WebSocket share: the frame opcodes (RFC 6455,
//! 5.2) and what the reading half hands the writing half.

use bytes::BytesMut;

/// A frame's opcode (RFC 6455, 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpCode {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
}

impl OpCode {
    pub(crate) fn of(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xA => Self::Pong,
            _ => return None,
        })
    }

    pub(crate) fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// What the reading half hands the writing half.
#[derive(Debug)]
pub(crate) enum Control {
    /// A ping to answer with this payload.
    Pong(BytesMut),
    /// A pong: the peer is there; nothing to write.
    Heard,
}
