//! The expansion compiles under the strictest lints a user may have, with the
//! prelude's names shadowed, so generated code must use absolute paths.
#![deny(warnings, missing_docs, unused_qualifications, missing_debug_implementations)]
#![deny(unused_lifetimes, single_use_lifetimes, elided_lifetimes_in_paths)]
#![deny(clippy::all)]

use std::sync::Arc;

/// Shadows `core` to catch expansions that name `core::...` without a leading `::`.
mod core {}
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
struct Err;
#[allow(dead_code)]
struct Option;
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct None;
#[allow(dead_code)]
struct Box;
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct String;

/// A service.
#[derive(Debug)]
pub struct Service;

#[rpc_core::rpc(namespace = "svc")]
impl Service {
    /// Adds.
    pub fn add(&self, a: i64, b: ::std::option::Option<i64>) -> i64 {
        a + b.unwrap_or(0)
    }

    /// Fails.
    pub async fn fail(&self, #[rpc(default)] code: i32) -> ::std::result::Result<(), rpc_core::Error> {
        ::std::result::Result::Err(rpc_core::Error::new(code, "no"))
    }

    /// Blocks.
    #[rpc(blocking, alias = ["spin"])]
    pub fn block(&self, n: u64) -> u64 {
        n
    }

    /// Reads the context.
    #[rpc(notification)]
    pub fn note(&self, text: &str, ctx: &rpc_core::Context) {
        let _ = (text, ctx);
    }

    /// Takes and returns types of the user's own, and a marked context.
    pub fn own(
        &self,
        query: Query,
        #[rpc(context)] ctx: &Ctx,
    ) -> ::std::result::Result<Hits, Failure> {
        let _ = ctx;
        ::std::result::Result::Ok(Hits(query.0))
    }
}

/// A query.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Query(u8);

/// The hits.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct Hits(u8);

/// An error of the user's own.
#[derive(Debug)]
pub struct Failure;

impl From<Failure> for rpc_core::Error {
    fn from(_: Failure) -> Self {
        rpc_core::Error::new(1, "failed")
    }
}

type Ctx = rpc_core::Context;

/// An interface.
#[rpc_core::rpc(params = "named")]
pub trait Interface {
    /// Says hi.
    async fn hi(&self, name: ::std::string::String) -> ::std::string::String;

    /// Has a default body.
    async fn twice(&self, n: u32) -> u32 {
        n * 2
    }
}

fn main() {
    let _router = Service.into_router();
    let _shared = Service::router_from_arc(Arc::new(Service));
    let _ = Service::METHODS;
    let _ = InterfaceClient::METHODS;
}
