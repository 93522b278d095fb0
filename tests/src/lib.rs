//! Shared helpers for the workspace's integration tests and benchmarks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpc_core::{Context, Error, Params, Router};
use serde_json::Value;

/// Runs a future to completion on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds")
        .block_on(future)
}

/// Dispatches `input` on `router` with an empty context.
pub fn call(router: &Router, input: &str) -> Option<Value> {
    let answer = block_on(router.handle(input.as_bytes(), &Context::new()))?;
    Some(serde_json::from_slice(&answer).expect("the router always answers with JSON"))
}

/// Removes the optional `data` member of every error in an answer, so it can
/// be compared with the specification's examples, which show none.
pub fn without_error_data(mut answer: Value) -> Value {
    fn strip(response: &mut Value) {
        if let Some(error) = response.get_mut("error").and_then(Value::as_object_mut) {
            error.remove("data");
        }
    }
    match &mut answer {
        Value::Array(responses) => responses.iter_mut().for_each(strip),
        response => strip(response),
    }
    answer
}

/// The methods of the JSON-RPC 2.0 specification's examples (section 7),
/// written by hand against the router API, with a counter of `update` calls.
pub fn spec_router() -> (Router, Arc<AtomicUsize>) {
    let updates = Arc::new(AtomicUsize::new(0));
    let mut router = Router::new();
    let counter = Arc::clone(&updates);
    router
        .method("subtract", |params: Params<'_>, _: &Context| {
            let (minuend, subtrahend): (i64, i64) = params.decode(&["minuend", "subtrahend"])?;
            Ok::<_, Error>(minuend - subtrahend)
        })
        .and_then(|r| {
            r.method("sum", |params: Params<'_>, _: &Context| {
                Ok::<_, Error>(params.parse::<Vec<i64>>()?.iter().sum::<i64>())
            })
        })
        .and_then(|r| {
            r.method("update", move |params: Params<'_>, _: &Context| {
                params.parse::<Vec<i64>>()?;
                counter.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(())
            })
        })
        .and_then(|r| {
            r.method("notify_hello", |params: Params<'_>, _: &Context| {
                let (_n,): (i64,) = params.decode(&["n"])?;
                Ok::<_, Error>(())
            })
        })
        .and_then(|r| {
            r.method("notify_sum", |params: Params<'_>, _: &Context| {
                Ok::<_, Error>(params.parse::<Vec<i64>>()?.iter().sum::<i64>())
            })
        })
        .and_then(|r| {
            r.method("get_data", |_: Params<'_>, _: &Context| {
                Ok::<_, Error>(("hello", 5))
            })
        })
        .expect("the spec methods have distinct names");
    (router, updates)
}
