//! aiohttp-json-rpc's demo server: `ping` answers `"pong"`, over WebSocket.
//!
//! The README mounts it at `/` and its Python client connects to `/rpc`:
//! this one answers on both. `get_methods` lists what is served, as
//! aiohttp-json-rpc's built-in does.

use std::sync::{Arc, OnceLock};

use rpc_core::{rpc, Router};
use rpc_http::{Server, ServerHandle};

/// The service of aiohttp-json-rpc's README.
#[derive(Debug, Default)]
pub struct Ping {
    names: OnceLock<Vec<String>>,
}

#[rpc]
impl Ping {
    /// `"pong"`.
    fn ping(&self) -> &'static str {
        "pong"
    }

    /// The names of every method served.
    fn get_methods(&self) -> Vec<String> {
        self.names.get().cloned().unwrap_or_default()
    }
}

/// The router, with `get_methods` knowing every name.
pub fn router() -> Router {
    let service = Arc::new(Ping::default());
    let router = Ping::router_from_arc(Arc::clone(&service));
    let _ = service.names.set(
        router
            .method_names()
            .into_iter()
            .map(str::to_owned)
            .collect(),
    );
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
