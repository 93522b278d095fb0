//! wsjsonrpc's demo server: `math.sum` over WebSocket at `/wsjsonrpc`.
//!
//! wsjsonrpc expands positional params into arguments and named params into
//! keyword arguments (`sum_positional(protocol, x, y)`,
//! `sum_keyword(protocol, x=0, y=0)`); one `#[rpc]` method takes both forms,
//! and the `protocol` argument (the connection) is the context, taken only
//! by methods that need it.

use rpc_core::{rpc, Error};
use rpc_http::{Server, ServerHandle};

/// The `math` API of wsjsonrpc's README.
#[derive(Debug, Clone, Copy)]
pub struct MathApi;

#[rpc(namespace = "math")]
impl MathApi {
    /// `x + y`; each is 0 when left out of named params. An error (code 1)
    /// when the sum overflows.
    fn sum(&self, #[rpc(default)] x: i64, #[rpc(default)] y: i64) -> Result<i64, Error> {
        crate::arithmetic::sum(&[x, y])
    }
}

/// Where the README's server listens (its factory's URL path).
pub const PATH: &str = "/wsjsonrpc";

/// Starts the server on `addr` (port 0 for any), `math.sum` at [`PATH`].
pub async fn start(addr: &str) -> Result<ServerHandle, Box<dyn std::error::Error>> {
    Ok(Server::bind(addr)
        .mount(PATH, MathApi.into_router())
        .start()
        .await?)
}
