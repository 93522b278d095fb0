//! Mounting a JSON-RPC router inside an existing axum application, on the
//! same address and port as its other routes.
//!
//! Run with: `cargo run -p examples --example embed_axum`

#![deny(warnings)]

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request};
use axum::routing::get;
use rpc_core::{rpc, Context};
use rpc_http::{HttpClient, PeerAddr, RpcService};

/// The API served at `/rpc`.
#[derive(Debug)]
pub struct Api;

#[rpc]
impl Api {
    /// Who is calling.
    fn whoami(&self, ctx: &Context) -> String {
        format!("{:?}", ctx.peer_addr())
    }
}

/// Copies axum's connection info to where the RPC service looks for the peer address.
async fn peer_to_context(mut request: Request) -> Request {
    if let Some(ConnectInfo(addr)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        request.extensions_mut().insert(PeerAddr(addr));
    }
    request
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let app = axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service("/rpc", RpcService::new(Api.into_router()))
        .layer(axum::middleware::map_request(peer_to_context));

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let serve = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    );
    let server = tokio::spawn(async move { serve.await });
    println!("axum app on http://{addr}: /health and /rpc");

    let client = ApiClient::new(HttpClient::new(&format!("http://{addr}/rpc"))?);
    println!("whoami() -> {}", client.whoami().await?);

    server.abort();
    Ok(())
}
