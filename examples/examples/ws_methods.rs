//! The reference server for WebSocket conformance tools: HTTP `POST /` and
//! WebSocket on `ws://127.0.0.1:<port>/`, until Ctrl-C or SIGTERM.
//!
//! Run with: `cargo run --release -p examples --example ws_methods -- 3000`
//!
//! Methods (params positional or named):
//!
//! - the specification's examples, as `spec_methods`: `subtract`, `sum`,
//!   `update`, `get_update_count`, `get_data`, `notify_hello`, `notify_sum`;
//! - `get_methods`: the names of every method served (aiohttp-json-rpc's listing);
//! - topics in aiohttp-json-rpc's protocol: `get_topics`, `subscribe`,
//!   `unsubscribe`, `get_subscriptions` (topics `news`, open to all, and
//!   `private`, login required; a bare topic name as params is accepted for
//!   `subscribe` and `unsubscribe`, as aiohttp-json-rpc's client sends it),
//!   and `publish(topic, data)` (the number of connections it was queued for);
//! - calls to the caller: `call_client(method, params)` (its answer, or its
//!   error unchanged; no answer within 5 s is a `-32000`), `notify_client(method, params)`;
//! - per-connection state and guards: `login(user, password)` (`alice`/`wonderland`,
//!   `root`/`toor` with permission `admin`), `whoami`, `admin_only`,
//!   `admin_bump`, `get_admin_bumps`, `logout`;
//! - a typed subscription: `subscribe_ticks(count, interval_ms)` then
//!   `ticks` notifications `{"subscription": id, "result": n}`, and `unsubscribe_ticks(id)`;
//! - `get_stats`: `{"connections": open WebSocket connections, "subscriptions": all live ones}`;
//! - `flood(n, size)`: `n` notifications `flood` `[i, "xxx…"]` to the caller, as fast as it reads.

#![deny(warnings)]

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "3000".to_owned());
    let server = examples::ws_methods::start(&format!("127.0.0.1:{port}")).await?;
    println!(
        "JSON-RPC 2.0 over HTTP and WebSocket at 127.0.0.1:{} (path /)",
        server.local_addr().expect("a TCP address").port()
    );
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => server.shutdown(),
        _ = terminate.recv() => server.shutdown(),
        _ = server.stopped() => {}
    }
    server.stopped().await;
    Ok(())
}
