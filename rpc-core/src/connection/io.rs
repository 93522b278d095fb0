//! What a transport provides to carry a connection: a stream of incoming
//! messages and a sink for outgoing ones.

use std::fmt;
use std::future::Future;
use std::io;

use bytes::Bytes;

/// Where a connection's incoming messages come from: WebSocket frames, lines
/// of a TCP stream, a pipe.
///
/// [`next`](Self::next) need not be cancel-safe: the connection keeps the
/// future it returns until it completes, and only then asks for the next.
pub trait MessageStream: Send + 'static {
    /// What the transport hands the sink to answer besides messages (a
    /// WebSocket ping, answered with a pong); `()` when there is nothing.
    type Control: Send + 'static;

    /// The next message; `None` once the peer has closed the connection.
    fn next(
        &mut self,
    ) -> impl Future<Output = Option<Result<Inbound<Self::Control>, StreamError>>> + Send;
}

/// One thing a [`MessageStream`] read.
#[derive(Debug)]
pub enum Inbound<C> {
    /// A JSON-RPC message: a request, a notification, an answer, or a batch.
    Message(Bytes),
    /// Something for the sink to answer at the transport's level.
    Control(C),
}

/// Where a connection's outgoing messages go: the transport frames them
/// into a buffer, and [`flush`](Self::flush) sends what is buffered.
///
/// Framing only buffers, so it does not wait: the connection frames every
/// answer that is ready, then flushes once (or early, once
/// [`buffered`](Self::buffered) passes a limit), so that answers ready
/// together leave in one write.
pub trait MessageSink: Send + 'static {
    /// What the stream hands over to be answered (see [`MessageStream::Control`]).
    type Control: Send + 'static;

    /// Frames one message.
    fn write(&mut self, message: &[u8]);

    /// Frames the answer to something the stream read at the transport's
    /// level (a WebSocket pong).
    fn control(&mut self, control: Self::Control);

    /// Frames a check that the peer is still there (a WebSocket ping);
    /// called every [`ping_interval`](super::ConnectionConfig::ping_interval).
    /// Anything the peer sends back counts as activity.
    fn keepalive(&mut self);

    /// Frames the close, telling the peer why where the transport can; a
    /// [`flush`](Self::flush) follows.
    fn close(&mut self, reason: Close);

    /// How many bytes are framed and not sent yet.
    fn buffered(&self) -> usize;

    /// Sends what is buffered.
    fn flush(&mut self) -> impl Future<Output = io::Result<()>> + Send;
}

/// Why a [`MessageStream`] could not read a message.
#[derive(Debug)]
pub struct StreamError {
    kind: StreamErrorKind,
    detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StreamErrorKind {
    TooLarge,
    InvalidData,
    Protocol,
    Io,
}

impl StreamError {
    /// A message larger than the transport's limit.
    pub fn too_large(detail: impl Into<String>) -> Self {
        Self::new(StreamErrorKind::TooLarge, detail)
    }

    /// A message the transport cannot carry as sent (text that is not UTF-8).
    pub fn invalid_data(detail: impl Into<String>) -> Self {
        Self::new(StreamErrorKind::InvalidData, detail)
    }

    /// The peer broke the transport's protocol.
    pub fn protocol(detail: impl Into<String>) -> Self {
        Self::new(StreamErrorKind::Protocol, detail)
    }

    /// The connection itself failed; nothing more can be sent on it.
    pub fn io(err: io::Error) -> Self {
        Self::new(StreamErrorKind::Io, err.to_string())
    }

    fn new(kind: StreamErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    /// How to close the connection after it, if it can still be closed politely.
    pub(super) fn close_reason(&self) -> Option<Close> {
        match self.kind {
            StreamErrorKind::TooLarge => Some(Close::TooLarge),
            StreamErrorKind::InvalidData => Some(Close::InvalidData),
            StreamErrorKind::Protocol => Some(Close::Protocol),
            StreamErrorKind::Io => None,
        }
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for StreamError {}

/// Why a connection is closed; a transport maps it to its own code (a
/// WebSocket close code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Close {
    /// The work is done (the peer closed, or the owner closed it).
    Normal,
    /// The server is shutting down.
    GoingAway,
    /// The peer broke the transport's protocol.
    Protocol,
    /// A message the transport cannot carry as sent (text that is not UTF-8).
    InvalidData,
    /// The peer did not keep up with what was sent to it (see
    /// [`SlowConsumer`](super::SlowConsumer)).
    TooSlow,
    /// A message over the size limit.
    TooLarge,
    /// Nothing came from the peer for too long.
    Idle,
    /// The server has no room for the connection now.
    TryAgainLater,
}
