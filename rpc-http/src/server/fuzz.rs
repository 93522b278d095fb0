//! A hook for the fuzz targets in `fuzz/` (built with `--cfg fuzzing`):
//! one connection over any byte stream (an in-memory duplex), served as the
//! accept loop serves an accepted TCP connection, without a socket. Not
//! public API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{watch, Semaphore};

use super::connection::{Connection, ConnectionOptions};
use super::sniff::protocol_of;
use super::Server;
use crate::service::RpcService;

/// A server's connections without its listener.
pub struct FuzzServer {
    rpc: RpcService,
    options: Arc<ConnectionOptions>,
    slots: Arc<Semaphore>,
    shutdown: watch::Receiver<bool>,
    _shutdown: watch::Sender<bool>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for FuzzServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FuzzServer")
            .field("rpc", &self.rpc)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// The server's connections, to be fed by hand.
    pub fn into_fuzz(self) -> FuzzServer {
        let (shutdown_tx, shutdown) = watch::channel(false);
        let rpc = self.service.build();
        let slots = Arc::new(Semaphore::new(self.max_connections));
        #[cfg(feature = "ws")]
        rpc.share_connection_slots(Arc::clone(&slots));
        FuzzServer {
            rpc,
            options: Arc::new(ConnectionOptions {
                header_read_timeout: self.header_read_timeout,
                stats: self.stats,
                cors: self.cors,
                compression: self.compression,
                #[cfg(feature = "tls")]
                tls: None,
            }),
            slots,
            shutdown,
            _shutdown: shutdown_tx,
            next_id: AtomicU64::new(1),
        }
    }
}

impl FuzzServer {
    /// Serves `io` until the connection ends; `first` are the bytes the
    /// client sends first, which tell HTTP/1 from HTTP/2 as a TCP
    /// connection's peeked bytes do (nothing: no connection).
    pub async fn serve<I>(&self, io: I, first: &[u8])
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let Some(protocol) = protocol_of(&first[..first.len().min(24)]) else {
            return;
        };
        let slot = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        let connection = Connection {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            rpc: self.rpc.clone(),
            options: Arc::clone(&self.options),
            shutdown: self.shutdown.clone(),
            _slot: slot,
        };
        connection
            .serve_http(io, None, protocol, Instant::now())
            .await;
    }
}
