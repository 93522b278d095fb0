//! The shutdown signal: a watch channel that the
//! [`ServerHandle`](super::ServerHandle) sets and everything that serves reads.

use tokio::sync::watch;

/// Resolves once shutdown is asked for (or its sender is gone).
pub(super) async fn stop_requested(shutdown: &mut watch::Receiver<bool>) {
    // Not `wait_for`: its guard would be held across the select's other awaits.
    loop {
        if *shutdown.borrow_and_update() {
            return;
        }
        if shutdown.changed().await.is_err() {
            return;
        }
    }
}
