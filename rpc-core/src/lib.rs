//! A JSON-RPC 2.0 engine: wire types, a method table, dispatch from request
//! bytes to response bytes, request context, and the client core.
//!
//! This crate knows no transport. A transport (such as `rpc-http`) reads a
//! message, builds a [`Context`] (or, when no method of the router reads one,
//! hands out [`Context::empty`]) and calls [`Router::handle`]; the answer is
//! bytes to send back, or nothing for notifications.
//!
//! # Serving
//!
//! ```
//! use rpc_core::{Context, Error, ErrorCode, Params, Router};
//!
//! # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
//! let mut router = Router::new();
//! router
//!     .method("subtract", |params: Params<'_>, _: &Context| {
//!         // Positional `[42, 23]` or named `{"minuend": 42, "subtrahend": 23}`.
//!         let (minuend, subtrahend): (i64, i64) = params.decode(&["minuend", "subtrahend"])?;
//!         Ok::<_, Error>(minuend - subtrahend)
//!     })?
//!     .method("divide", |params: Params<'_>, _: &Context| {
//!         let (a, b): (f64, f64) = params.decode(&["a", "b"])?;
//!         if b == 0.0 {
//!             return Err(Error::new(ErrorCode::new(1), "division by zero"));
//!         }
//!         Ok(a / b)
//!     })?;
//!
//! let ctx = Context::new();
//! let answer = router
//!     .handle(br#"{"jsonrpc":"2.0","method":"subtract","params":{"subtrahend":23,"minuend":42},"id":3}"#, &ctx)
//!     .await;
//! assert_eq!(answer.unwrap(), br#"{"jsonrpc":"2.0","result":19,"id":3}"#);
//!
//! // Notifications run but are not answered.
//! assert!(router.handle(br#"{"jsonrpc":"2.0","method":"subtract","params":[1,2]}"#, &ctx).await.is_none());
//! # Ok::<(), rpc_core::RouterError>(())
//! # }).unwrap();
//! ```
//!
//! # Calling
//!
//! A [`client::Client`] encodes calls and matches answers over any
//! [`client::Transport`]; [`client::InProcess`] calls a router directly.
//!
//! # Protocol choices where the specification is silent
//!
//! - Ids are echoed byte for byte: `1.0`, `1e3` and 30-digit integers come back as sent.
//! - An invalid request whose `id` is readable is answered with that id; otherwise with `null`.
//! - Members other than `jsonrpc`, `method`, `params` and `id` are ignored; a member given twice makes the request invalid.
//! - The standard codes carry the specification's exact messages; details go in `data`
//!   (`-32602` messages also name the parameter).
//! - A method panic is answered with `-32603` and logged; the panic text is not sent.
//! - Batch answers keep the order of the requests.

#![cfg_attr(docsrs, feature(doc_auto_cfg))]

/// Calls `$m!(len; index Type ...)` for every tuple length the crate
/// supports (0 to 16), for impls over tuples of params.
macro_rules! for_each_tuple {
    ($m:ident) => {
        $m!(0;);
        $m!(1; 0 T0);
        $m!(2; 0 T0 1 T1);
        $m!(3; 0 T0 1 T1 2 T2);
        $m!(4; 0 T0 1 T1 2 T2 3 T3);
        $m!(5; 0 T0 1 T1 2 T2 3 T3 4 T4);
        $m!(6; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5);
        $m!(7; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6);
        $m!(8; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7);
        $m!(9; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8);
        $m!(10; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9);
        $m!(11; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10);
        $m!(12; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11);
        $m!(13; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12);
        $m!(14; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12 13 T13);
        $m!(15; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12 13 T13 14 T14);
        $m!(16; 0 T0 1 T1 2 T2 3 T3 4 T4 5 T5 6 T6 7 T7 8 T8 9 T9 10 T10 11 T11 12 T12 13 T13 14 T14 15 T15);
    };
}

pub mod client;
pub mod connection;
mod context;
mod dispatch;
mod error;
pub mod guard;
mod handler;
pub mod introspection;
mod limits;
mod listing;
mod observer;
mod params;
mod protocol;
mod router;
mod session;
pub mod subscription;
mod topics;
mod type_schema;

#[doc(hidden)]
pub mod __private;

/// Hooks for the fuzz targets in `fuzz/` (built with `--cfg fuzzing`). Not public API.
#[cfg(fuzzing)]
#[doc(hidden)]
pub mod __fuzz {
    pub use crate::protocol::scanner_and_full_parse;

    /// The router's answer with every `params` checked as the message is
    /// read, as [`Router::parse`](crate::Router::parse) would without
    /// leaving them to the methods that decode them: the answer must be
    /// the same. `None` when a method has to be waited for.
    pub fn answer_with_params_checked(
        router: &crate::Router,
        input: &[u8],
        ctx: &crate::Context,
    ) -> Option<Option<Vec<u8>>> {
        router.parse_with(input, false).run_now(ctx).ok()
    }
}

#[doc = include_str!("rpc.md")]
pub use rpc_macros::rpc;

pub use context::{Context, Cookie, Extensions, HeaderLookup, ResponseEffects, SameSite};
pub use dispatch::Call;
pub use error::{Error, ErrorCode};
pub use handler::{BoxFuture, Method, ResultSink};
pub use limits::Limits;
pub use listing::{ErrorInfo, MethodInfo, ParamInfo, SubscriptionInfo};
pub use observer::Observer;
pub use params::{ParamList, ParamNames, Params};
pub use protocol::{error_response, Id, Request};
pub use router::{Router, RouterError, NAMESPACE_SEPARATOR, RESERVED_PREFIX};
pub use session::{Identity, Session};
pub use subscription::Subscription;
pub use topics::{Broker, LocalTopics, TopicFeed, TopicMethods, Topics};
#[cfg(feature = "schemars")]
pub use type_schema::MakeSchema;
pub use type_schema::TypeSchema;

/// `schemars`, whose `JsonSchema` the listing's schemas come from (with the
/// `schemars` feature); derive it with `schemars`' own `derive` feature.
#[cfg(feature = "schemars")]
pub use schemars;
