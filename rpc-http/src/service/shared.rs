//! What every request of one [`RpcService`](super::RpcService) shares: the
//! mounted routers, the options, and the pools that bound the work in flight.
//! Plain data; what the service does with it lives in the modules that do it.

use std::sync::Arc;

use rpc_core::Router;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::HttpConfig;
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
}

/// A router mounted at a path.
pub(super) struct Route {
    /// Without a trailing slash; the root is `""`.
    pub(super) path: Box<str>,
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
    ) -> Self {
        let routes = routes
            .into_iter()
            .map(|(path, mut router)| {
                if let Some(stats) = &stats {
                    stats.watch(&mut router);
                }
                Route {
                    path: path.into_boxed_str(),
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
        }
    }
}
