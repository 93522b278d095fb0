//! The reading half of a WebSocket: frames parsed from the socket (RFC 6455,
//! 5.2) into messages: one JSON-RPC message (or batch) per text frame,
//! binary frames read the same way, fragments joined up to the message size
//! limit, pings handed over to be answered.
//!
//! Parsed here rather than by fastwebsockets (which still does the
//! handshake) for the read buffer: fastwebsockets gives every connection a
//! fixed 8 KiB one from the start, which dominates what an idle connection
//! costs. Here a connection that has sent nothing holds no buffer, and one
//! that has holds what its messages needed, let go past 64 KiB.

use bytes::{Buf, Bytes, BytesMut};
use rpc_core::connection::{Inbound, MessageStream, StreamError};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::vocabulary::{Control, OpCode};

/// Room a read asks of the buffer at first; doubled (up to
/// [`KEPT_CAPACITY`]) each time a read fills all there was, so that
/// pipelined bursts come in few reads while a quiet connection holds little.
const FIRST_READ_CHUNK: usize = 1024;

/// The largest buffer kept once it has been emptied.
const KEPT_CAPACITY: usize = 64 * 1024;

/// The reading half of a WebSocket.
pub(crate) struct WsStream<R> {
    io: R,
    buffer: BytesMut,
    /// Whether the peer's frames are masked: a client's are, a server's are not.
    masked: bool,
    max_message_size: usize,
    max_frame_size: usize,
    /// A fragmented message being joined: its kind and what came so far.
    partial: Option<(OpCode, Vec<u8>)>,
    /// Room a read asks for (see [`FIRST_READ_CHUNK`]).
    read_chunk: usize,
}

/// A frame's head, parsed.
#[derive(Debug, PartialEq, Eq)]
struct Head {
    fin: bool,
    opcode: OpCode,
    mask: Option<[u8; 4]>,
    /// Bytes of the head itself.
    len: usize,
    payload_len: usize,
}

/// Parses the head at the start of `bytes`; `None` while it is incomplete.
fn parse_head(
    bytes: &[u8],
    masked: bool,
    max_frame_size: usize,
) -> Result<Option<Head>, StreamError> {
    let [first, second, ..] = *bytes else {
        return Ok(None);
    };
    if first & 0x70 != 0 {
        return Err(StreamError::protocol(
            "reserved bits set, and no extension was agreed",
        ));
    }
    let opcode = OpCode::of(first & 0x0F)
        .ok_or_else(|| StreamError::protocol(format!("unknown opcode {:#x}", first & 0x0F)))?;
    let fin = first & 0x80 != 0;
    if (second & 0x80 != 0) != masked {
        return Err(StreamError::protocol(if masked {
            "a frame from a client is not masked"
        } else {
            "a frame from a server is masked"
        }));
    }
    let (length_bytes, short) = match second & 0x7F {
        126 => (2, None),
        127 => (8, None),
        short => (0, Some(usize::from(short))),
    };
    let len = 2 + length_bytes + if masked { 4 } else { 0 };
    if bytes.len() < len {
        return Ok(None);
    }
    let payload_len = match short {
        Some(short) => short,
        None => {
            let mut raw = [0; 8];
            raw[8 - length_bytes..].copy_from_slice(&bytes[2..2 + length_bytes]);
            let long = u64::from_be_bytes(raw);
            if long >> 63 != 0 {
                return Err(StreamError::protocol("a frame length with its top bit set"));
            }
            usize::try_from(long).unwrap_or(usize::MAX)
        }
    };
    if opcode.is_control() && (!fin || payload_len > 125) {
        return Err(StreamError::protocol(
            "a control frame fragmented or longer than 125 bytes",
        ));
    }
    if payload_len > max_frame_size {
        return Err(StreamError::too_large(format!(
            "a frame is larger than the limit of {max_frame_size} bytes"
        )));
    }
    let mask = masked.then(|| {
        let at = 2 + length_bytes;
        [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]
    });
    Ok(Some(Head {
        fin,
        opcode,
        mask,
        len,
        payload_len,
    }))
}

/// XORs `payload` with the repeated 4-byte `key`, eight bytes at a time.
fn unmask(payload: &mut [u8], key: [u8; 4]) {
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let mut chunks = payload.chunks_exact_mut(8);
    for chunk in &mut chunks {
        let bytes: [u8; 8] = (&*chunk).try_into().expect("chunks of eight");
        chunk.copy_from_slice(&(u64::from_ne_bytes(bytes) ^ word).to_ne_bytes());
    }
    // The remainder starts at a multiple of eight, so at the key's first byte.
    for (byte, key) in chunks.into_remainder().iter_mut().zip(key.iter().cycle()) {
        *byte ^= key;
    }
}

/// A frame read, owning its payload.
struct Frame {
    opcode: OpCode,
    fin: bool,
    payload: BytesMut,
}

impl<R: AsyncRead + Unpin> WsStream<R> {
    /// Reads frames from `io`; `masked` says whether they must be masked
    /// (on a server) or must not be (on a client).
    pub(crate) fn new(io: R, masked: bool, max_message_size: usize, max_frame_size: usize) -> Self {
        Self {
            io,
            buffer: BytesMut::new(),
            masked,
            max_message_size,
            max_frame_size,
            partial: None,
            read_chunk: FIRST_READ_CHUNK,
        }
    }

    /// The next frame; `Ok(None)` once the peer is gone.
    async fn frame(&mut self) -> Result<Option<Frame>, StreamError> {
        loop {
            let head = parse_head(&self.buffer, self.masked, self.max_frame_size)?;
            let wanted = match &head {
                Some(head) => head.len + head.payload_len,
                None => 14,
            };
            if let (Some(head), true) = (head, self.buffer.len() >= wanted) {
                self.buffer.advance(head.len);
                let mut payload = self.buffer.split_to(head.payload_len);
                if let Some(key) = head.mask {
                    unmask(&mut payload, key);
                }
                if self.buffer.is_empty() && self.buffer.capacity() > KEPT_CAPACITY {
                    self.buffer = BytesMut::new();
                }
                return Ok(Some(Frame {
                    opcode: head.opcode,
                    fin: head.fin,
                    payload,
                }));
            }
            if self.buffer.is_empty() {
                // Back to the start of the allocation once no message holds
                // it: every message reuses the same memory, warm in the cache,
                // instead of walking through it. (A request for more than the
                // room left reclaims without allocating, or does nothing.)
                let _ = self.buffer.try_reclaim(self.buffer.capacity() + 1);
            }
            let missing = wanted - self.buffer.len();
            if self.buffer.capacity() - self.buffer.len() < missing {
                self.buffer.reserve(missing.max(self.read_chunk));
            }
            let room = self.buffer.capacity() - self.buffer.len();
            match self.io.read_buf(&mut self.buffer).await {
                Ok(0) => return Ok(None),
                // More may have been waiting: the next reads ask for more room.
                Ok(read)
                    if read == room
                        && room >= self.read_chunk
                        && self.read_chunk < KEPT_CAPACITY =>
                {
                    self.read_chunk *= 2;
                }
                Ok(_) => {}
                Err(err) => return Err(StreamError::io(err)),
            }
        }
    }

    /// The message a data frame completes, if it does.
    fn join(&mut self, frame: Frame) -> Result<Option<Bytes>, StreamError> {
        let too_large = || {
            StreamError::too_large(format!(
                "a message is larger than the limit of {} bytes",
                self.max_message_size
            ))
        };
        if frame.payload.len() > self.max_message_size {
            return Err(too_large());
        }
        match (frame.opcode, &mut self.partial) {
            (OpCode::Text | OpCode::Binary, None) if frame.fin => {
                if frame.opcode == OpCode::Text {
                    check_utf8(&frame.payload)?;
                }
                Ok(Some(frame.payload.freeze()))
            }
            (OpCode::Text | OpCode::Binary, None) => {
                self.partial = Some((frame.opcode, frame.payload.to_vec()));
                Ok(None)
            }
            (OpCode::Continuation, Some((_, joined))) => {
                if joined.len() + frame.payload.len() > self.max_message_size {
                    return Err(too_large());
                }
                joined.extend_from_slice(&frame.payload);
                if !frame.fin {
                    return Ok(None);
                }
                let (opcode, joined) = self.partial.take().expect("matched above");
                if opcode == OpCode::Text {
                    check_utf8(&joined)?;
                }
                Ok(Some(Bytes::from(joined)))
            }
            (OpCode::Continuation, None) => Err(StreamError::protocol(
                "a continuation frame with no message to continue",
            )),
            _ => Err(StreamError::protocol(
                "a new message began before the last one ended",
            )),
        }
    }
}

fn check_utf8(text: &[u8]) -> Result<(), StreamError> {
    std::str::from_utf8(text)
        .map(drop)
        .map_err(|_| StreamError::invalid_data("a text message is not valid UTF-8"))
}

impl<R: AsyncRead + Unpin + Send + 'static> MessageStream for WsStream<R> {
    type Control = Control;

    async fn next(&mut self) -> Option<Result<Inbound<Control>, StreamError>> {
        loop {
            let frame = match self.frame().await {
                Ok(Some(frame)) => frame,
                Ok(None) => return None,
                Err(err) => return Some(Err(err)),
            };
            match frame.opcode {
                OpCode::Close => return None,
                OpCode::Ping => return Some(Ok(Inbound::Control(Control::Pong(frame.payload)))),
                OpCode::Pong => return Some(Ok(Inbound::Control(Control::Heard))),
                OpCode::Text | OpCode::Binary | OpCode::Continuation => match self.join(frame) {
                    Ok(Some(message)) => return Some(Ok(Inbound::Message(message))),
                    Ok(None) => {}
                    Err(err) => return Some(Err(err)),
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_head, unmask, Head, OpCode};

    #[test]
    fn heads_parse_with_every_length_encoding_and_refuse_what_breaks_the_rules() {
        let key = [1, 2, 3, 4];
        let head = |bytes: &[u8]| parse_head(bytes, true, 1 << 20).unwrap();
        assert_eq!(head(&[0x81, 0x85]), None, "incomplete: the mask is missing");
        assert_eq!(
            head(&[0x81, 0x85, 1, 2, 3, 4]),
            Some(Head {
                fin: true,
                opcode: OpCode::Text,
                mask: Some(key),
                len: 6,
                payload_len: 5
            })
        );
        let medium = head(&[0x02, 0xFE, 0x01, 0x00, 1, 2, 3, 4]).unwrap();
        assert_eq!(
            (medium.fin, medium.opcode, medium.len, medium.payload_len),
            (false, OpCode::Binary, 8, 256)
        );
        let long = head(&[0x80, 0xFF, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4]).unwrap();
        assert_eq!(
            (long.opcode, long.len, long.payload_len),
            (OpCode::Continuation, 14, 65_536)
        );

        let refused =
            |bytes: &[u8], masked: bool| parse_head(bytes, masked, 1000).unwrap_err().to_string();
        assert!(refused(&[0x81, 0x05], true).contains("not masked"));
        assert!(refused(&[0x81, 0x85], false).contains("is masked"));
        assert!(refused(&[0xC1, 0x80], true).contains("reserved bits"));
        assert!(refused(&[0x83, 0x80], true).contains("unknown opcode"));
        assert!(refused(&[0x09, 0x80, 1, 2, 3, 4], true).contains("control frame"));
        assert!(refused(&[0x89, 0xFE, 0, 126, 1, 2, 3, 4], true).contains("control frame"));
        assert!(refused(&[0x81, 0xFE, 0x03, 0xE9, 1, 2, 3, 4], true).contains("limit of 1000"));
        assert!(
            refused(&[0x81, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], true).contains("top bit")
        );
    }

    #[test]
    fn unmasking_matches_the_byte_by_byte_rule() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        for len in [0, 1, 7, 8, 9, 15, 16, 17, 100] {
            let original: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            let mut fast = original.clone();
            unmask(&mut fast, key);
            let slow: Vec<u8> = original
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 4])
                .collect();
            assert_eq!(fast, slow, "length {len}");
        }
        // The specification's own example (RFC 6455, 5.7): a masked "Hello".
        let mut hello = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        unmask(&mut hello, [0x37, 0xfa, 0x21, 0x3d]);
        assert_eq!(&hello, b"Hello");
    }
}
