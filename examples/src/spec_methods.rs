//! The service of the `spec_methods` example: the methods of the examples
//! section of the JSON-RPC 2.0 specification (also served in-process by the
//! tests). See `examples/spec_methods.rs` for the server.

use std::sync::atomic::{AtomicU64, Ordering};

use rpc_core::{rpc, Error};

use crate::arithmetic;

/// The specification's example methods.
#[derive(Debug, Default)]
pub struct SpecMethods {
    updates: AtomicU64,
}

#[rpc]
impl SpecMethods {
    /// `minuend - subtrahend`; an error (code 1) when it overflows.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, Error> {
        arithmetic::subtract(minuend, subtrahend)
    }

    /// The sum of all params; an error (code 1) when it overflows.
    fn sum(&self, #[rpc(flatten)] values: Vec<i64>) -> Result<i64, Error> {
        arithmetic::sum(&values)
    }

    /// Counts its calls (sent as a notification in the specification).
    fn update(&self, #[rpc(flatten)] _values: Vec<serde_json::Value>) {
        self.updates.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times `update` has run, so a tool can see notifications are executed.
    fn get_update_count(&self) -> u64 {
        self.updates.load(Ordering::SeqCst)
    }

    /// `["hello", 5]`.
    fn get_data(&self) -> (&'static str, i64) {
        ("hello", 5)
    }

    /// Does nothing (a notification target).
    fn notify_hello(&self, #[rpc(flatten)] _values: Vec<serde_json::Value>) {}

    /// The sum of all params (a notification target).
    fn notify_sum(&self, #[rpc(flatten)] values: Vec<i64>) -> Result<i64, Error> {
        arithmetic::sum(&values)
    }
}
