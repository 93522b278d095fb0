//! Introspection: `rpc.discover` and its OpenRPC document, validated
//! against the official meta-schema; the seeds' listing methods, each in
//! the shape its clients expect; the introspection methods kept in step
//! with the router.

mod discover;
mod meta_schema;
mod seeds;
mod support;
