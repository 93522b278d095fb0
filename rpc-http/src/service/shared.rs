//! What every request of one [`RpcService`](super::RpcService) shares: the
//! mounted routers, the options, and the pools that bound the work in flight.
//! Plain data; what the service does with it lives in the modules that do it.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rpc_core::Router;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::routing::MountPath;
use crate::config::HttpConfig;
use crate::explorer::Explorer;
use crate::stats::Stats;

pub(super) struct Shared {
    pub(super) routes: Vec<Route>,
    /// Set by [`RpcService::new`](super::RpcService::new): one router, answering on any path.
    pub(super) any_path: bool,
    pub(super) config: HttpConfig,
    /// Slots for messages that wait (asynchronous or blocking methods).
    pub(super) requests: Semaphore,
    /// Slots for notification-only messages running in the background.
    pub(super) notifications: Arc<Semaphore>,
    pub(super) background: TaskTracker,
    /// Ends the background notifications still running when a shutdown's grace period is over.
    pub(super) cancel_background: CancellationToken,
    pub(super) stats: Option<Stats>,
    /// WebSocket connections being served.
    #[cfg(feature = "ws")]
    pub(super) websockets: TaskTracker,
    /// Asks WebSocket connections to finish gracefully (the server shutting down).
    pub(super) closing: CancellationToken,
    /// The server's connection slots, which WebSocket connections share with
    /// HTTP ones; unset when the service is embedded elsewhere.
    pub(super) connection_slots: OnceLock<Arc<Semaphore>>,
    /// The method explorer page, when asked for.
    pub(super) explorer: Option<Explorer>,
}

/// A router mounted at a path.
pub(super) struct Route {
    pub(super) path: MountPath,
    pub(super) router: Arc<Router>,
    /// Whether any of its methods reads the context; if none does, none is built.
    pub(super) reads_context: bool,
}

impl Shared {
    /// Mounts `routes` (path, router), reporting their calls to `stats`.
    pub(super) fn new(
        routes: Vec<(String, Router)>,
        any_path: bool,
        config: HttpConfig,
        stats: Option<Stats>,
        explorer: Option<Explorer>,
    ) -> Self {
        let routes = routes
            .into_iter()
            .map(|(path, mut router)| {
                if let Some(stats) = &stats {
                    stats.watch(&mut router);
                }
                Route {
                    path: MountPath::new(path),
                    reads_context: router.reads_context(),
                    router: Arc::new(router),
                }
            })
            .collect();
        Shared {
            routes,
            any_path,
            requests: Semaphore::new(config.max_concurrent_requests),
            notifications: Arc::new(Semaphore::new(config.notification_concurrency)),
            background: TaskTracker::new(),
            cancel_background: CancellationToken::new(),
            config,
            stats,
            #[cfg(feature = "ws")]
            websockets: TaskTracker::new(),
            closing: CancellationToken::new(),
            connection_slots: OnceLock::new(),
            explorer,
        }
    }

    /// One of the server's connection slots, waiting up to `wait` for one;
    /// `Ok(None)` when the service has no server's slots to share.
    #[cfg_attr(not(feature = "ws"), allow(dead_code, reason = "used by WebSocket"))]
    pub(super) async fn connection_slot(
        &self,
        wait: Duration,
    ) -> Result<Option<OwnedSemaphorePermit>, ()> {
        let Some(slots) = self.connection_slots.get() else {
            return Ok(None);
        };
        match tokio::time::timeout(wait, Arc::clone(slots).acquire_owned()).await {
            Ok(Ok(slot)) => Ok(Some(slot)),
            _ => Err(()),
        }
    }
}
