//! One accepted connection, from its first bytes (or TLS handshake) to the
//! boxed driver that serves it.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tower_http::cors::CorsLayer;

use super::activity::{Activity, CountingWrites};
use super::compression::Compression;
use super::connection_service::ConnectionService;
use super::driver::{watchdog_tick, Driven, Served, IDLE_TICKS};
use super::layers::{self, Layered};
use super::signal::stop_requested;
use super::sniff::{sniff, Protocol};
#[cfg(feature = "tls")]
use super::tls::TlsConfig;
use crate::service::RpcService;
use crate::stats::Stats;

/// What every connection of a server is served with.
pub(super) struct ConnectionOptions {
    pub(super) header_read_timeout: Duration,
    pub(super) stats: Option<Stats>,
    pub(super) cors: Option<CorsLayer>,
    pub(super) compression: Compression,
    #[cfg(feature = "tls")]
    pub(super) tls: Option<TlsConfig>,
}

pub(super) struct Connection {
    pub(super) id: u64,
    pub(super) rpc: RpcService,
    pub(super) options: Arc<ConnectionOptions>,
    pub(super) shutdown: watch::Receiver<bool>,
    pub(super) _slot: tokio::sync::OwnedSemaphorePermit,
}

impl Connection {
    /// Serves a TCP connection. Unless it carries TLS, its first bytes are
    /// peeked at to tell HTTP/1 from HTTP/2, so that hyper serves it with
    /// that protocol's own connection rather than the auto-detecting one
    /// (which reads through a rewind buffer for the connection's whole life).
    pub(super) async fn serve_tcp(mut self, stream: TcpStream, peer: SocketAddr) {
        // What runs before the driver is boxed too, so that the task itself
        // stays a few pointers (see `serve_http`).
        #[cfg(feature = "tls")]
        if self.options.tls.is_some() {
            return Box::pin(self.serve(stream, Some(peer))).await;
        }
        let opened = Instant::now();
        let _open = self.options.stats.as_ref().map(Stats::connection_opened);
        let limit = watchdog_tick(self.options.header_read_timeout) * IDLE_TICKS;
        let id = self.id;
        let shutdown = &mut self.shutdown;
        let sniffed = Box::pin(async {
            tokio::select! {
                // First: bytes already there win over a timeout that is also due.
                biased;
                sniffed = sniff(&stream) => Some(sniffed),
                () = tokio::time::sleep(limit) => {
                    tracing::debug!(connection = id, "nothing received within the header read timeout; closing");
                    None
                }
                () = stop_requested(shutdown) => None,
            }
        })
        .await;
        let Some(sniffed) = sniffed else {
            return;
        };
        match sniffed {
            Ok(Some(protocol)) => self.serve_http(stream, Some(peer), protocol, opened).await,
            Ok(None) => {}
            Err(err) => {
                tracing::debug!(error = %err, connection = self.id, "reading a connection's first bytes failed")
            }
        }
    }

    pub(super) async fn serve<I>(self, io: I, peer: Option<SocketAddr>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let opened = Instant::now();
        let _open = self.options.stats.as_ref().map(Stats::connection_opened);
        #[cfg(feature = "tls")]
        if let Some(tls) = &self.options.tls {
            let handshake = Box::pin(tokio::time::timeout(
                self.options.header_read_timeout,
                tls.acceptor().accept(io),
            ));
            // The driver is built before it is awaited: the TLS stream's
            // result is not kept in the task for the connection's life.
            let driven = match handshake.await {
                Ok(Ok(stream)) => {
                    // The protocol agreed on by ALPN, if the client offered any.
                    let protocol = match stream.get_ref().1.alpn_protocol() {
                        Some(b"h2") => Protocol::Http2,
                        Some(b"http/1.1") => Protocol::Http1,
                        _ => Protocol::Unknown,
                    };
                    self.serve_http(stream, peer, protocol, opened)
                }
                Ok(Err(err)) => return tracing::debug!(error = %err, "TLS handshake failed"),
                Err(_) => return tracing::debug!("TLS handshake timed out"),
            };
            return driven.await;
        }
        self.serve_http(io, peer, Protocol::Unknown, opened).await;
    }

    /// The connection, served by hyper under its driver; the header read
    /// timeout runs from when it `opened`.
    ///
    /// Boxed, and built outside the connection's task: the driver is over
    /// 2 KiB, and held inline it made tokio's harness reserve stack frames
    /// of the task's size on every poll (it moves whole task states), so
    /// that each request ran some 40 KiB down the stack instead of 15.
    #[inline(never)]
    pub(super) fn serve_http<I>(
        self,
        io: I,
        peer: Option<SocketAddr>,
        protocol: Protocol,
        opened: Instant,
    ) -> Pin<Box<Driven<I, impl Layered>>>
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Connection {
            id,
            rpc,
            options,
            shutdown,
            _slot,
        } = self;
        let stack = layers::stack(rpc.clone(), options.cors.clone(), options.compression);
        let activity = Arc::new(Activity::new());
        let service = ConnectionService {
            rpc,
            layered: stack,
            peer,
            id,
            cors_on: options.cors.is_some(),
            compression_on: options.compression.is_on(),
            activity: Arc::clone(&activity),
        };
        let io = TokioIo::new(CountingWrites::new(io, Arc::clone(&activity)));
        let served = Served::new(protocol, io, service);
        Box::pin(Driven::new(
            served,
            id,
            activity,
            options.header_read_timeout,
            opened,
            shutdown,
            _slot,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use rpc_core::Router;
    use tokio::net::{TcpListener, TcpStream};
    use tokio::sync::{watch, Semaphore};

    use super::{Compression, Connection, ConnectionOptions};
    use crate::RpcService;

    #[tokio::test]
    async fn a_connection_task_holds_its_driver_boxed() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let _client = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (stream, peer) = listener.accept().await.unwrap();
        let connection = Connection {
            id: 1,
            rpc: RpcService::new(Router::new()),
            options: Arc::new(ConnectionOptions {
                header_read_timeout: Duration::from_secs(30),
                stats: None,
                cors: None,
                compression: Compression::off(),
                #[cfg(feature = "tls")]
                tls: None,
            }),
            shutdown: watch::channel(false).1,
            _slot: Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap(),
        };
        let options = Arc::clone(&connection.options);
        let task = connection.serve_tcp(stream, peer);
        // tokio's harness reserves stack frames of a task's size on each poll.
        let size = std::mem::size_of_val(&task);
        assert!(size <= 512, "the TCP connection task takes {size} bytes");

        #[cfg(unix)]
        {
            let (stream, _client) = tokio::net::UnixStream::pair().unwrap();
            let connection = Connection {
                id: 2,
                rpc: RpcService::new(Router::new()),
                options,
                shutdown: watch::channel(false).1,
                _slot: Arc::new(Semaphore::new(1)).acquire_owned().await.unwrap(),
            };
            let task = connection.serve(stream, None);
            let size = std::mem::size_of_val(&task);
            assert!(size <= 512, "the Unix connection task takes {size} bytes");
        }
    }
}
