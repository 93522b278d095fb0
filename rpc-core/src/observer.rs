//! The hook through which statistics and tracing see every call.

use std::time::Duration;

use crate::error::ErrorCode;

/// Sees every method call a router makes; for statistics and tracing.
///
/// Set with [`Router::set_observer`](crate::Router::set_observer). Without
/// one, dispatch reads no clock. A panic in [`on_call`](Self::on_call) is
/// caught and logged: the call is answered all the same.
pub trait Observer: Send + Sync + 'static {
    /// Called when a method (found in the table) has finished: how long it
    /// took, and the error code it answered with (`None` on success). Calls
    /// sent as notifications are reported too.
    fn on_call(&self, method: &str, elapsed: Duration, error: Option<ErrorCode>);
}
