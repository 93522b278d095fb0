//! End-to-end tests of `rpc_http::Server` over real sockets on 127.0.0.1,
//! with third-party clients (hyper-util's client and raw TCP writes), so
//! that what is checked is the bytes on the wire.
//!
//! Every wait is bounded: a broken feature fails its test instead of hanging it.
//!
//! One test binary, one file per feature:
//!
//! - `support`: what the others share: starting servers, the hyper-util
//!   clients and a response read whole, raw HTTP/1.1 over TCP, the router
//!   most tests call, bounded waits.
//! - `spec`: the examples of section 7 of the JSON-RPC 2.0 specification.
//! - `notifications`: acknowledged before they run, run once each and in
//!   order over every path, run though their client goes away.
//! - `content_type`: which `Content-Type`s are accepted.
//! - `routing`: HTTP methods and paths (405 with `Allow`, 404), several routers.
//! - `limits`: body size, connections, concurrent requests, the notification pool.
//! - `context`: peer, headers and cookies in and out; no context where none is read.
//! - `cors`: the default policy, none, a custom one.
//! - `compression`: compressed answers, compressed request bodies, 415.
//! - `get_jsonp`: the GET fallback and JSONP.
//! - `timeouts`: the request timeout; header and body read timeouts against
//!   stalled, silent, idle and slow clients.
//! - `shutdown`: graceful shutdown and its timeout.
//! - `stats`: statistics.
//! - `http2`: HTTP/2 with prior knowledge.
//! - `listeners`: a listener bound by the caller, a Unix socket.
//! - `head`: request heads RFC 9112 makes the server refuse (`Host`,
//!   transfer codings).

mod support;

mod compression;
mod content_type;
mod context;
mod cors;
mod get_jsonp;
mod head;
mod http2;
mod limits;
mod listeners;
mod notifications;
mod routing;
mod shutdown;
mod spec;
mod stats;
mod timeouts;
