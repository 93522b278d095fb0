//! WebSocket: the upgrade served beside `POST` on every mount, and
//! [`WsClient`]. Both ends run rpc-core's [`Connection`]: either side calls,
//! notifies and answers the other on one socket.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`WsConfig`], and serving an upgraded socket |
//! | `read.rs` | frames read as messages: text and binary frames, fragments, pings, limits |
//! | `frames.rs` | messages written as frames into one buffer; pings, pongs, close codes |
//! | `client.rs` | [`WsClient`] |

mod client;
mod frames;
mod read;
mod vocabulary;

use std::future::Future;
use std::time::Duration;

use fastwebsockets::WebSocket;
use rpc_core::connection::{Connection, ConnectionConfig};
use tokio::io::{AsyncRead, AsyncWrite};

pub use client::{WsClient, WsClientBuilder};
pub(crate) use frames::close_code;
use frames::WsSink;
use read::WsStream;

/// How the service treats WebSocket connections.
///
/// | option | default | at the limit |
/// |---|---|---|
/// | [`enabled`](Self::enabled) | on | the upgrade is refused with `405` |
/// | [`max_message_size`](Self::max_message_size) | 10 MiB | the connection is closed with 1009 |
/// | [`max_frame_size`](Self::max_frame_size) | 10 MiB | the connection is closed with 1009 |
/// | [`allowed_origins`](Self::allowed_origins) | any | the upgrade is refused with `403` |
/// | [`connection_slot_wait`](Self::connection_slot_wait) | 5 s | with the server's connections all taken, a socket that waits longer is closed with 1013 |
/// | [`connection`](Self::connection) | see [`ConnectionConfig`] | calls in flight, outgoing queue and slow consumers, timeouts, ping interval, idle timeout, subscriptions |
///
/// A text frame that is not UTF-8 closes the connection with 1007. On a
/// graceful shutdown each connection stops reading, lets its calls in flight
/// finish, and closes with 1001.
///
/// **Security:** browsers do not apply CORS to WebSocket: any page may open
/// one to your server, with the user's cookies. If methods trust cookies,
/// list the origins that may connect.
///
/// ```
/// use std::time::Duration;
/// use rpc_core::connection::ConnectionConfig;
/// use rpc_http::WsConfig;
///
/// let ws = WsConfig::new()
///     .with_max_message_size(1 << 20)
///     .with_allowed_origins(["https://app.example"])
///     .with_connection(ConnectionConfig::new().with_ping_interval(Some(Duration::from_secs(10))));
/// assert_eq!(ws.max_message_size(), 1 << 20);
/// ```
#[derive(Debug, Clone)]
pub struct WsConfig {
    enabled: bool,
    max_message_size: usize,
    max_frame_size: usize,
    allowed_origins: Option<Vec<String>>,
    connection_slot_wait: Duration,
    connection: ConnectionConfig,
}

impl Default for WsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_message_size: 10 * 1024 * 1024,
            max_frame_size: 10 * 1024 * 1024,
            allowed_origins: None,
            connection_slot_wait: Duration::from_secs(5),
            connection: ConnectionConfig::default(),
        }
    }
}

impl WsConfig {
    /// The defaults of the table above.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether mounts answer the WebSocket upgrade.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Sets [`enabled`](Self::enabled).
    #[must_use]
    pub fn with_enabled(mut self, enabled: bool) -> Self {
        self.enabled = enabled;
        self
    }

    /// The largest message, in bytes, once its fragments are joined.
    pub fn max_message_size(&self) -> usize {
        self.max_message_size
    }

    /// Sets [`max_message_size`](Self::max_message_size).
    #[must_use]
    pub fn with_max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes;
        self
    }

    /// The largest single frame, in bytes; refused before it is read.
    pub fn max_frame_size(&self) -> usize {
        self.max_frame_size
    }

    /// Sets [`max_frame_size`](Self::max_frame_size).
    #[must_use]
    pub fn with_max_frame_size(mut self, bytes: usize) -> Self {
        self.max_frame_size = bytes;
        self
    }

    /// The `Origin`s allowed to connect; `None` allows any (and requests
    /// without one, which browsers always send).
    pub fn allowed_origins(&self) -> Option<&[String]> {
        self.allowed_origins.as_deref()
    }

    /// Sets [`allowed_origins`](Self::allowed_origins).
    #[must_use]
    pub fn with_allowed_origins(
        mut self,
        origins: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.allowed_origins = Some(origins.into_iter().map(Into::into).collect());
        self
    }

    /// How long an upgraded socket waits for one of the server's connection
    /// slots (it shares [`Server::max_connections`](crate::Server::max_connections)
    /// with HTTP).
    pub fn connection_slot_wait(&self) -> Duration {
        self.connection_slot_wait
    }

    /// Sets [`connection_slot_wait`](Self::connection_slot_wait).
    #[must_use]
    pub fn with_connection_slot_wait(mut self, wait: Duration) -> Self {
        self.connection_slot_wait = wait;
        self
    }

    /// The limits and timeouts of each connection.
    pub fn connection(&self) -> &ConnectionConfig {
        &self.connection
    }

    /// Sets [`connection`](Self::connection).
    #[must_use]
    pub fn with_connection(mut self, config: ConnectionConfig) -> Self {
        self.connection = config;
        self
    }

    /// Whether a request from `origin` may open a socket.
    pub(crate) fn allows_origin(&self, origin: Option<&str>) -> bool {
        match (&self.allowed_origins, origin) {
            (None, _) | (Some(_), None) => true,
            (Some(allowed), Some(origin)) => allowed.iter().any(|ok| ok == origin),
        }
    }
}

/// Closes a socket at once, with `reason`.
pub(crate) async fn refuse<S>(socket: WebSocket<S>, reason: rpc_core::connection::Close)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut socket = socket;
    let (code, text) = close_code(reason);
    let _ = socket
        .write_frame(fastwebsockets::Frame::close(code, text.as_bytes()))
        .await;
}

/// Which end of the socket this is: the client masks its frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Side {
    Server,
    Client,
}

/// Serves `connection` on a socket until it ends (or `shutdown`).
///
/// Not an `async fn`: the socket is taken apart here, and only the
/// connection's future goes on to the task.
pub(crate) fn serve<S>(
    socket: WebSocket<S>,
    side: Side,
    connection: Connection,
    config: &WsConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> impl Future<Output = ()> + Send
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (read, write) = tokio::io::split(socket.into_inner());
    // A client masks its frames; a server does not.
    let stream = WsStream::new(
        read,
        side == Side::Server,
        config.max_message_size,
        config.max_frame_size,
    );
    let sink = match side {
        Side::Server => WsSink::server(write),
        Side::Client => WsSink::client(write),
    };
    connection.run(stream, sink, shutdown)
}
