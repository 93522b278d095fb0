//! A transport straight into a [`Router`] in the same process.

use std::convert::Infallible;
use std::sync::Arc;

use super::Transport;
use crate::context::Context;
use crate::router::Router;

/// Calls a [`Router`] directly, with no network and no copying beyond the
/// message itself; for tests, and for services that call each other inside
/// one program.
///
/// Each message gets a fresh [`Context`] from the context factory (empty by
/// default). Notifications run on a spawned task when a Tokio runtime is
/// present, so the caller never waits for them, as over a network.
#[derive(Clone)]
pub struct InProcess {
    router: Arc<Router>,
    context: Arc<dyn Fn() -> Context + Send + Sync>,
}

impl InProcess {
    /// A transport into `router`.
    pub fn new(router: impl Into<Arc<Router>>) -> Self {
        Self {
            router: router.into(),
            context: Arc::new(Context::new),
        }
    }

    /// Uses `make` to build the context of every message, to stand in for
    /// what a real transport would put there (peer address, headers, ...).
    #[must_use]
    pub fn with_context(mut self, make: impl Fn() -> Context + Send + Sync + 'static) -> Self {
        self.context = Arc::new(make);
        self
    }

    /// The router behind the transport.
    pub fn router(&self) -> &Arc<Router> {
        &self.router
    }
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess")
            .field("router", &self.router)
            .finish_non_exhaustive()
    }
}

impl Transport for InProcess {
    type Error = Infallible;

    async fn send(&self, message: Vec<u8>) -> Result<Vec<u8>, Infallible> {
        let ctx = (self.context)();
        Ok(self.router.handle(&message, &ctx).await.unwrap_or_default())
    }

    async fn notify(&self, message: Vec<u8>) -> Result<(), Infallible> {
        let router = Arc::clone(&self.router);
        let ctx = (self.context)();
        let run = async move {
            router.handle(&message, &ctx).await;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => drop(runtime.spawn(run)),
            Err(_) => run.await,
        }
        Ok(())
    }
}
