//! The HTTP transport of rpc-core: a hyper 1.x server (HTTP/1.1 and HTTP/2 on
//! one port, TCP or Unix socket, optional TLS), a tower [`RpcService`] to
//! mount a router inside an existing axum or hyper application, and an
//! [`HttpClient`] that carries rpc-core's typed clients.
//!
//! ```no_run
//! use rpc_core::rpc;
//! use rpc_http::{HttpClient, Server};
//!
//! struct Calculator;
//!
//! #[rpc(namespace = "math")]
//! impl Calculator {
//!     fn add(&self, a: i64, b: i64) -> i64 {
//!         a + b
//!     }
//! }
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let server = Server::bind("127.0.0.1:0").mount("/", Calculator.into_router()).start().await?;
//! let url = format!("http://{}/", server.local_addr().unwrap());
//!
//! let client = CalculatorClient::new(HttpClient::new(&url)?);
//! assert_eq!(client.add(1, 2).await?, 3);
//!
//! server.shutdown();
//! server.stopped().await;
//! # Ok(())
//! # }
//! ```
//!
//! Limits and their defaults are listed on [`Server`] and [`HttpConfig`].
//!
//! # Features
//!
//! | feature | default | adds |
//! |---|---|---|
//! | `ws` | on | WebSocket on every mount, and `WsClient` |
//! | `gzip` | on | gzip for answers and requests ([`Compression`]) |
//! | `br` | off | brotli, as gzip (about 1.1 MB of code) |
//! | `zstd` | off | zstd, as gzip (about 0.6 MB of code, and a C library to build) |
//! | `tls` | off | HTTPS and `wss://` for the server and the clients, with rustls |

mod client;
mod config;
mod error;
mod handoff;
mod server;
mod service;
mod stats;
#[cfg(feature = "ws")]
mod ws;

pub use client::{HttpClient, HttpClientBuilder};
pub use config::HttpConfig;
pub use error::Error;
pub use handoff::PeerAddr;
#[cfg(feature = "tls")]
pub use server::TlsConfig;
pub use server::{Compression, Server, ServerHandle};

/// Hooks for the fuzz targets in `fuzz/` (built with `--cfg fuzzing`). Not public API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::server::FuzzServer;
}
pub use service::{InfallibleFuture, ResponseBody, ResponseFuture, RpcService, RpcServiceBuilder};
pub use stats::{MethodSnapshot, Snapshot, Stats};
#[cfg(feature = "ws")]
pub use ws::{WsClient, WsClientBuilder, WsConfig};

/// Re-exported so CORS policies can be built without naming tower-http in your manifest.
pub use tower_http::cors;

/// Keeps this call's answer uncompressed (for data that is compressed
/// already, or must not be, such as secrets next to attacker-chosen text).
///
/// ```
/// use rpc_core::Context;
///
/// let ctx = Context::new();
/// rpc_http::skip_compression(&ctx);
/// assert!(!ctx.take_response_effects().is_empty());
/// ```
pub fn skip_compression(ctx: &rpc_core::Context) {
    ctx.set_response_extension(handoff::SkipCompression);
}

/// The README's programs, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeExamples;
