//! A reference server for conformance tools: the methods of the examples
//! section of the JSON-RPC 2.0 specification, at `http://127.0.0.1:<port>/`,
//! until stopped with Ctrl-C.
//!
//! Run with: `cargo run -p examples --example spec_methods -- 3000`
//!
//! Methods: `subtract` (positional `[minuend, subtrahend]` or named),
//! `sum` (any number of values), `update` (counts its calls),
//! `get_update_count`, `get_data`, `notify_hello`, `notify_sum`. Integer
//! results that overflow an `i64` are an error (code 1), not a wrapped number.

#![deny(warnings)]

use examples::spec_methods::SpecMethods;
use rpc_http::Server;

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
