//! WebSocket frames as rpc-core's connection reads and writes messages:
//! one JSON-RPC message (or batch) per text frame, binary frames read the
//! same way, fragments joined up to the message size limit, pings answered.

use std::convert::Infallible;
use std::io;

use bytes::{Bytes, BytesMut};
use fastwebsockets::{Frame, OpCode, Payload, WebSocketError, WebSocketRead, WebSocketWrite};
use rpc_core::connection::{Close, Inbound, MessageSink, MessageStream, StreamError};
use tokio::io::{AsyncRead, AsyncWrite, BufWriter};

/// What the reading half hands the writing half.
#[derive(Debug)]
pub(crate) enum Control {
    /// A ping to answer with this payload.
    Pong(BytesMut),
    /// A pong: the peer is there; nothing to write.
    Heard,
}

/// The reading half of a WebSocket.
pub(crate) struct WsStream<R> {
    read: WebSocketRead<R>,
    max_message_size: usize,
    /// A fragmented message being joined: its kind and what came so far.
    partial: Option<(OpCode, Vec<u8>)>,
}

impl<R: AsyncRead + Unpin> WsStream<R> {
    pub(crate) fn new(
        mut read: WebSocketRead<R>,
        max_message_size: usize,
        max_frame_size: usize,
    ) -> Self {
        // Pings and closes are the connection's to answer, in order with what it writes.
        read.set_auto_pong(false);
        read.set_auto_close(false);
        // fastwebsockets refuses a frame of this many bytes or more.
        read.set_max_message_size(max_frame_size.saturating_add(1));
        Self {
            read,
            max_message_size,
            partial: None,
        }
    }

    /// The message a data frame completes, if it does.
    fn join(&mut self, frame: DataFrame) -> Result<Option<Bytes>, StreamError> {
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
            (OpCode::Text | OpCode::Binary, None) if frame.fin => Ok(Some(frame.payload.freeze())),
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
                if opcode == OpCode::Text && std::str::from_utf8(&joined).is_err() {
                    return Err(StreamError::invalid_data(
                        "a text message is not valid UTF-8",
                    ));
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

/// A frame read, owning its payload.
struct DataFrame {
    opcode: OpCode,
    fin: bool,
    payload: BytesMut,
}

impl DataFrame {
    fn of(frame: Frame<'_>) -> Self {
        Self {
            opcode: frame.opcode,
            fin: frame.fin,
            // Read frames own their bytes already: no copy.
            payload: match frame.payload {
                Payload::Bytes(bytes) => bytes,
                other => BytesMut::from(&*other),
            },
        }
    }
}

impl<R: AsyncRead + Unpin + Send + 'static> MessageStream for WsStream<R> {
    type Control = Control;

    async fn next(&mut self) -> Option<Result<Inbound<Control>, StreamError>> {
        loop {
            let frame = match self
                .read
                .read_frame(&mut |_| async { Ok::<(), Infallible>(()) })
                .await
            {
                Ok(frame) => DataFrame::of(frame),
                Err(err) => return read_error(err),
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

/// What a failed read means for the connection: `None` when the peer is
/// simply gone.
fn read_error(err: WebSocketError) -> Option<Result<Inbound<Control>, StreamError>> {
    Some(Err(match err {
        WebSocketError::UnexpectedEOF | WebSocketError::ConnectionClosed => return None,
        WebSocketError::IoError(err) => StreamError::io(err),
        WebSocketError::FrameTooLarge => StreamError::too_large("a frame is larger than the limit"),
        WebSocketError::InvalidUTF8 => {
            StreamError::invalid_data("a text message is not valid UTF-8")
        }
        other => StreamError::protocol(other.to_string()),
    }))
}

/// The writing half of a WebSocket: messages go out as text frames through a
/// buffer, so that those ready together leave in one write.
pub(crate) struct WsSink<W: AsyncWrite> {
    write: WebSocketWrite<BufWriter<W>>,
}

impl<W: AsyncWrite + Unpin> WsSink<W> {
    pub(crate) fn new(write: WebSocketWrite<BufWriter<W>>) -> Self {
        Self { write }
    }
}

fn io_error(err: WebSocketError) -> io::Error {
    match err {
        WebSocketError::IoError(err) => err,
        other => io::Error::other(other.to_string()),
    }
}

impl<W: AsyncWrite + Unpin + Send + 'static> MessageSink for WsSink<W> {
    type Control = Control;

    async fn write(&mut self, message: &[u8]) -> io::Result<()> {
        self.write
            .write_frame(Frame::text(Payload::Borrowed(message)))
            .await
            .map_err(io_error)
    }

    async fn flush(&mut self) -> io::Result<()> {
        self.write.flush().await.map_err(io_error)
    }

    async fn control(&mut self, control: Control) -> io::Result<()> {
        match control {
            Control::Pong(payload) => self
                .write
                .write_frame(Frame::pong(Payload::Bytes(payload)))
                .await
                .map_err(io_error),
            Control::Heard => Ok(()),
        }
    }

    async fn keepalive(&mut self) -> io::Result<()> {
        self.write
            .write_frame(Frame::new(true, OpCode::Ping, None, Payload::Borrowed(&[])))
            .await
            .map_err(io_error)
    }

    async fn close(&mut self, reason: Close) -> io::Result<()> {
        let (code, text) = close_code(reason);
        self.write
            .write_frame(Frame::close(code, text.as_bytes()))
            .await
            .map_err(io_error)?;
        self.write.flush().await.map_err(io_error)
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
