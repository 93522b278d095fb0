//! A reference server for conformance tools: the methods of the examples
//! section of the JSON-RPC 2.0 specification, at `http://127.0.0.1:<port>/`,
//! until stopped with Ctrl-C.
//!
//! Run with: `cargo run -p examples --example spec_methods -- 3000`
//!
//! Methods: `subtract` (positional `[minuend, subtrahend]` or named),
//! `sum` (any number of values), `update` (counts its calls),
//! `get_update_count`, `get_data`, `notify_hello`, `notify_sum`.

#![deny(warnings)]

use std::sync::atomic::{AtomicU64, Ordering};

use rpc_core::rpc;
use rpc_http::Server;

/// The specification's example methods.
#[derive(Debug, Default)]
pub struct SpecMethods {
    updates: AtomicU64,
}

#[rpc]
impl SpecMethods {
    /// `minuend - subtrahend`.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> i64 {
        minuend - subtrahend
    }

    /// The sum of all params.
    fn sum(&self, #[rpc(flatten)] values: Vec<i64>) -> i64 {
        values.iter().sum()
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
    fn notify_sum(&self, #[rpc(flatten)] values: Vec<i64>) -> i64 {
        values.iter().sum()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "3000".to_owned());
    let server = Server::bind(format!("127.0.0.1:{port}"))
        .mount("/", SpecMethods::default().into_router())
        .start()
        .await?;
    println!(
        "JSON-RPC 2.0 specification methods at http://{}/",
        server.local_addr().expect("a TCP address")
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => server.shutdown(),
        _ = server.stopped() => {}
    }
    server.stopped().await;
    Ok(())
}
