//! aiohttp-json-rpc's demo, ported: the `ping` server and its client.
//! Calls itself and exits; `-- --serve PORT` keeps serving
//! (ws://127.0.0.1:PORT/ and /rpc) for aiohttp-json-rpc's own Python client.
//!
//! Run with: `cargo run -p examples --example ping`

#![deny(warnings)]

use examples::seeds::ping::{self, PingClient};
use rpc_http::WsClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve = std::env::args().skip_while(|arg| arg != "--serve").nth(1);
    let server = ping::start(&format!("127.0.0.1:{}", serve.as_deref().unwrap_or("0"))).await?;
    let addr = server.local_addr().expect("a TCP address");
    if serve.is_some() {
        println!("ping at ws://{addr}/ and ws://{addr}/rpc; Ctrl-C stops");
        tokio::signal::ctrl_c().await?;
        server.shutdown();
        server.stopped().await;
        return Ok(());
    }

    // Connect to ws://…/rpc, call ping() and disconnect.
    let client = PingClient::new(WsClient::connect(&format!("ws://{addr}/rpc")).await?);
    println!("{}", client.ping().await?);
    println!("get_methods: {:?}", client.get_methods().await?);
    client.client().transport().close().await;

    server.shutdown();
    server.stopped().await;
    Ok(())
}
