//! aiohttp-json-rpc's demo server: `ping` answers `"pong"`, over WebSocket.
//!
//! The README mounts it at `/` and its Python client connects to `/rpc`:
//! this one answers on both. `get_methods` lists what is served, as
//! aiohttp-json-rpc's built-in does.

use rpc_core::introspection::Listing;
use rpc_core::{rpc, Router};
use rpc_http::{Server, ServerHandle};

/// The service of aiohttp-json-rpc's README.
#[derive(Debug, Default)]
pub struct Ping;

#[rpc]
impl Ping {
    /// `"pong"`.
    fn ping(&self) -> &'static str {
        "pong"
    }
}

/// The router, with aiohttp-json-rpc's `get_methods` listing every name.
pub fn router() -> Router {
    let mut router = Ping.into_router();
    router
        .serve_listing(Listing::aiohttp())
        .expect("`get_methods` is not taken");
    router
}

/// Starts the server on `addr` (port 0 for any), at `/` and `/rpc`.
pub async fn start(addr: &str) -> Result<ServerHandle, Box<dyn std::error::Error>> {
    Ok(Server::bind(addr)
        .mount("/", router())
        .mount("/rpc", router())
        .start()
        .await?)
}
