//! The accept loop: a connection slot first, then a connection, until the
//! server is asked to stop; then the graceful drain within the shutdown
//! timeout.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Semaphore};
use tokio::task::JoinSet;

use super::connection::{Connection, ConnectionOptions};
use super::listener::{self, Listener};
use super::signal::stop_requested;
use crate::service::RpcService;

pub(super) struct AcceptLoop {
    pub(super) listener: Listener,
    pub(super) rpc: RpcService,
    pub(super) options: Arc<ConnectionOptions>,
    pub(super) max_connections: usize,
    pub(super) shutdown_timeout: Duration,
    pub(super) shutdown: watch::Receiver<bool>,
}

impl AcceptLoop {
    /// Accepts until the server is asked to stop, then drains.
    pub(super) async fn run(mut self) {
        let mut connections = JoinSet::new();
        self.accept(&mut connections).await;
        let AcceptLoop {
            listener,
            rpc,
            shutdown_timeout,
            ..
        } = self;
        // No new connections from here on.
        drop(listener);
        drain(&rpc, shutdown_timeout, connections).await;
    }

    /// Serves every connection it accepts, one slot each, until shutdown.
    async fn accept(&mut self, connections: &mut JoinSet<()>) {
        let slots = Arc::new(Semaphore::new(self.max_connections));
        #[cfg(feature = "ws")]
        self.rpc.share_connection_slots(Arc::clone(&slots));
        let mut next_id = 0u64;
        loop {
            // A free slot first, so that past the limit new connections wait in the backlog.
            let slot = tokio::select! {
                slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
                _ = stop_requested(&mut self.shutdown) => return,
                Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            };
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                _ = stop_requested(&mut self.shutdown) => return,
            };
            let accepted = match accepted {
                Ok(accepted) => accepted,
                Err(err) => {
                    // Out of file descriptors and the like: wait a little and go on.
                    tracing::warn!(error = %err, "accepting a connection failed; retrying");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            // Finished connections stay in the set until joined: reap them here,
            // or a long-running server would keep one entry per connection ever served.
            while connections.try_join_next().is_some() {}
            next_id += 1;
            let connection = Connection {
                id: next_id,
                rpc: self.rpc.clone(),
                options: Arc::clone(&self.options),
                shutdown: self.shutdown.clone(),
                _slot: slot,
            };
            match accepted {
                listener::Accepted::Tcp(stream, peer) => {
                    let _ = stream.set_nodelay(true);
                    connections.spawn(connection.serve_tcp(stream, peer));
                }
                #[cfg(unix)]
                listener::Accepted::Unix(stream) => {
                    connections.spawn(connection.serve(stream, None));
                }
            }
        }
    }
}

/// Lets open connections and background notifications finish within the
/// shutdown timeout, then closes what is left.
async fn drain(rpc: &RpcService, shutdown_timeout: Duration, mut connections: JoinSet<()>) {
    let background = rpc.background().clone();
    background.close();
    #[cfg(feature = "ws")]
    let websockets = {
        rpc.close_websockets();
        let websockets = rpc.websockets().clone();
        websockets.close();
        websockets
    };
    let drain = async {
        while connections.join_next().await.is_some() {}
        background.wait().await;
        #[cfg(feature = "ws")]
        websockets.wait().await;
    };
    if tokio::time::timeout(shutdown_timeout, drain).await.is_err() {
        tracing::warn!(
            timeout = ?shutdown_timeout,
            "shutdown grace period over; closing the connections still open"
        );
        connections.abort_all();
        rpc.cancel_background();
    }
}
