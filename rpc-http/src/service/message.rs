//! One JSON-RPC message read from a request, with everything running it needs.

use std::sync::Arc;

use bytes::Bytes;
use rpc_core::Router;

use super::context::MessageContext;
use super::shared::Shared;
use crate::stats::InFlight;

/// A message and what running it needs: built once its body is in, and kept
/// whole wherever it goes (answered at once, parked after its answer, run in
/// the background, or awaited).
pub(super) struct Message {
    pub(super) shared: Arc<Shared>,
    /// Index of its router in `shared.routes`: no reference count to take.
    pub(super) route: usize,
    pub(super) bytes: Bytes,
    pub(super) ctx: MessageContext,
    /// Counts it in the statistics while it runs.
    _in_flight: Option<InFlight>,
}

impl Message {
    /// A message read from a request to the router at `route`.
    pub(super) fn new(
        shared: Arc<Shared>,
        route: usize,
        bytes: Bytes,
        ctx: MessageContext,
    ) -> Self {
        let in_flight = shared
            .stats
            .as_ref()
            .map(crate::stats::Stats::request_started);
        Message {
            shared,
            route,
            bytes,
            ctx,
            _in_flight: in_flight,
        }
    }

    /// The router that answers it.
    #[inline]
    pub(super) fn router(&self) -> &Router {
        &self.shared.routes[self.route].router
    }
}
