//! The HTTP server: binding, the accept loop, connections and graceful shutdown.
//!
//! | file | job |
//! |---|---|
//! | `mod.rs` | [`Server`], its options, [`start`](Server::start) and [`ServerHandle`] |
//! | `listener.rs` | TCP and Unix listeners behind one type |
//! | `accept.rs` | the accept loop and the graceful drain |
//! | `connection.rs` | one connection: sniffing or the TLS handshake, then its driver |
//! | `sniff.rs` | HTTP/1 or HTTP/2, told from the first bytes |
//! | `driver.rs` | hyper's connection under the idle watchdog and the shutdown signal |
//! | `activity.rs` | what the watchdog reads: requests started and finished, writes |
//! | `connection_service.rs` | each request of a connection, direct or through the layers |
//! | `layers.rs` | CORS, compression and decompression, and when a request needs them |
//! | `head.rs` | the checks of an HTTP/1 request head that hyper leaves to us (`Host`, transfer codings) |
//! | `compression.rs` | [`Compression`] and request content codings |
//! | `signal.rs` | the shutdown signal |
//! | `tls.rs` | [`TlsConfig`] (with the `tls` feature) |

mod accept;
mod activity;
mod compression;
mod connection;
mod connection_service;
mod driver;
#[cfg(fuzzing)]
mod fuzz;
mod head;
mod layers;
mod listener;
mod signal;
mod sniff;
#[cfg(feature = "tls")]
mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rpc_core::Router;
use tokio::sync::watch;
use tower_http::cors::CorsLayer;

use crate::config::HttpConfig;
use crate::error::Error;
use crate::service::{RpcService, RpcServiceBuilder};
use crate::stats::Stats;
use accept::AcceptLoop;
use connection::ConnectionOptions;
use layers::default_cors;
use listener::{Listener, Target};

pub use compression::Compression;
#[cfg(fuzzing)]
#[doc(hidden)]
pub use fuzz::FuzzServer;
#[cfg(feature = "tls")]
pub use tls::TlsConfig;

/// Serves routers over HTTP/1.1 and HTTP/2 (cleartext, or TLS with the
/// `tls` feature) on TCP or a Unix socket.
///
/// ```no_run
/// use rpc_core::Router;
/// use rpc_http::Server;
///
/// # async fn run(router: Router) -> Result<(), rpc_http::Error> {
/// Server::bind("127.0.0.1:3000").serve(router).await
/// # }
/// ```
///
/// Defaults, each with a setter:
///
/// | option | default |
/// |---|---|
/// | [`max_connections`](Self::max_connections) | 10 000 (more wait in the kernel's backlog) |
/// | [`header_read_timeout`](Self::header_read_timeout) | 30 s (a connection with no request in flight that delivers no request head for this long is closed: slow, silent and idle clients alike) |
/// | [`shutdown_timeout`](Self::shutdown_timeout) | 30 s (then remaining connections are closed) |
/// | [`cors`](Self::cors) | any origin, `POST`/`GET`/`OPTIONS`, any header, preflight cached 1 day |
/// | [`compression`](Self::compression) | the compiled-in encodings (gzip by default; brotli and zstd with the `br` and `zstd` features) for answers of 1 KiB or more, by `Accept-Encoding`; requests compressed with them accepted |
///
/// plus the per-request options of [`HttpConfig`].
///
/// A message the server has read is run even if its client goes away (or
/// half-closes its connection) before the answer: a client that sends a
/// notification and closes at once still has it run. The price is that a
/// call whose client has gone runs on, bounded by
/// [`HttpConfig::request_timeout`].
#[derive(Debug)]
pub struct Server {
    target: Target,
    service: RpcServiceBuilder,
    cors: Option<CorsLayer>,
    compression: Compression,
    max_connections: usize,
    header_read_timeout: Duration,
    shutdown_timeout: Duration,
    stats: Option<Stats>,
    #[cfg(feature = "tls")]
    tls: Option<TlsConfig>,
}

impl Server {
    /// A server that will listen on `addr` (`"127.0.0.1:3000"`, `"[::1]:0"`,
    /// `"localhost:8080"`); the address is resolved and bound by
    /// [`start`](Self::start) or [`serve`](Self::serve).
    pub fn bind(addr: impl Into<String>) -> Self {
        Self::with_target(Target::Tcp(addr.into()))
    }

    /// A server on a TCP listener you bound yourself.
    pub fn from_listener(listener: std::net::TcpListener) -> Self {
        Self::with_target(Target::Listener(listener))
    }

    /// A server on a Unix domain socket at `path`. A socket file left behind
    /// by a server that is gone is replaced; one that a live server answers
    /// on, or any other kind of file, is an error.
    pub fn bind_unix(path: impl Into<PathBuf>) -> Self {
        Self::with_target(Target::Unix(path.into()))
    }

    fn with_target(target: Target) -> Self {
        Self {
            target,
            service: RpcService::builder(),
            cors: Some(default_cors()),
            compression: Compression::default(),
            max_connections: 10_000,
            header_read_timeout: Duration::from_secs(30),
            shutdown_timeout: Duration::from_secs(30),
            stats: None,
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Serves `router` at `path` (`"/api"`); several routers can be mounted.
    #[must_use]
    pub fn mount(mut self, path: &str, router: Router) -> Self {
        self.service = self.service.mount(path, router);
        self
    }

    /// Replaces the per-request options.
    #[must_use]
    pub fn config(mut self, config: HttpConfig) -> Self {
        self.service = self.service.config(config);
        self
    }

    /// Replaces the CORS policy (a tower-http `CorsLayer`).
    #[must_use]
    pub fn cors(mut self, cors: CorsLayer) -> Self {
        self.cors = Some(cors);
        self
    }

    /// Sends no CORS headers; browsers then allow same-origin callers only.
    #[must_use]
    pub fn without_cors(mut self) -> Self {
        self.cors = None;
        self
    }

    /// Replaces the compression settings.
    #[must_use]
    pub fn compression(mut self, compression: Compression) -> Self {
        self.compression = compression;
        self
    }

    /// The most connections open at once.
    #[must_use]
    pub fn max_connections(mut self, count: usize) -> Self {
        self.max_connections = count.max(1);
        self
    }

    /// How long a connection may go without a request: from when it opens,
    /// or from its last answer (on HTTP/1, the last bytes of it written; on
    /// HTTP/2, the moment all but about 128 KiB of it has been handed over
    /// for sending, as the client reads), to the end of the next request's
    /// head. A client that is slower (sending nothing, dribbling its
    /// headers, or idling on a keep-alive connection) is disconnected. A
    /// request in flight is not cut short here: a body too slow to arrive
    /// gets `408` after [`HttpConfig::body_read_timeout`], and a method too
    /// slow to answer is cancelled after [`HttpConfig::request_timeout`].
    ///
    /// The check runs four times per timeout, so a connection is closed
    /// between the timeout and a quarter more.
    #[must_use]
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }

    /// How long a graceful shutdown waits for connections and background
    /// notifications before it closes what is left.
    #[must_use]
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    /// Records connection and call statistics into `stats`.
    #[must_use]
    pub fn stats(mut self, stats: &Stats) -> Self {
        self.service = self.service.stats(stats);
        self.stats = Some(stats.clone());
        self
    }

    /// Serves HTTPS with this configuration (HTTP/2 and HTTP/1.1 by ALPN).
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn tls(mut self, tls: TlsConfig) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Mounts `router` at `/`, starts, and runs until [`ServerHandle::shutdown`]
    /// is called from elsewhere (or forever).
    pub async fn serve(self, router: Router) -> Result<(), Error> {
        let handle = self.mount("/", router).start().await?;
        handle.stopped().await;
        Ok(())
    }

    /// Binds, starts accepting in a background task, and returns a handle.
    pub async fn start(self) -> Result<ServerHandle, Error> {
        let listener = Listener::bind(self.target).await?;
        let local_addr = listener.local_addr();
        let rpc = self.service.build();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let (done_tx, done_rx) = watch::channel(false);
        let options = Arc::new(ConnectionOptions {
            header_read_timeout: self.header_read_timeout,
            stats: self.stats,
            cors: self.cors,
            compression: self.compression,
            #[cfg(feature = "tls")]
            tls: self.tls,
        });
        let accept = AcceptLoop {
            listener,
            rpc,
            options,
            max_connections: self.max_connections,
            shutdown_timeout: self.shutdown_timeout,
            shutdown: shutdown_rx,
        };
        tokio::spawn(async move {
            accept.run().await;
            let _ = done_tx.send(true);
        });
        Ok(ServerHandle {
            local_addr,
            shutdown: Arc::new(shutdown_tx),
            done: done_rx,
        })
    }
}

/// Controls a running server.
#[derive(Debug, Clone)]
pub struct ServerHandle {
    local_addr: Option<SocketAddr>,
    shutdown: Arc<watch::Sender<bool>>,
    done: watch::Receiver<bool>,
}

impl ServerHandle {
    /// The bound TCP address (`None` on a Unix socket); useful after binding port 0.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.local_addr
    }

    /// Starts a graceful shutdown: stop accepting, let open connections
    /// finish their requests and background notifications run out, within
    /// the shutdown timeout. Returns at once; await [`stopped`](Self::stopped).
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Resolves when the server has stopped.
    pub async fn stopped(&self) {
        let mut done = self.done.clone();
        let _ = done.wait_for(|done| *done).await;
    }

    /// Whether the server has stopped.
    pub fn is_stopped(&self) -> bool {
        *self.done.borrow()
    }
}
