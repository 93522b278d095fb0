//! Hostile and slow clients against `rpc_http::Server` over real loopback
//! sockets, at scale: what a JSON-RPC endpoint on the internet meets. Each
//! test states its bound, keeps every wait bounded, and prints the figures
//! it measured (run with `--nocapture` to see them; docs/RELIABILITY.md
//! quotes them).
//!
//! - `support`: starting servers, raw HTTP/1.1, a prober that times a
//!   well-behaved client, RSS and open descriptors, the descriptor limit.
//! - `slowloris`: 5,000 connections dribbling a request head.
//! - `flood`: connections far past `max_connections`.
//! - `slow_readers`: clients that read their answer a byte at a time, or never.
//! - `bodies`: bodies that claim more than they send, or never end; HTTP/2
//!   streams opened and reset in a loop.
//! - `idle`: keep-alive connections holding every slot idle.
//! - `observer`: a statistics hook that panics.
//! - `shutdown`: a graceful shutdown under load loses nothing.

mod support;

mod bodies;
mod flood;
mod idle;
mod observer;
mod shutdown;
mod slow_readers;
mod slowloris;
