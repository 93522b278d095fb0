//! Shared helpers for the workspace's integration tests and benchmarks.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpc_core::{Context, Error, Params, Router};
use serde_json::{json, Value};

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

/// Every example of section 7 of the JSON-RPC 2.0 specification: the exact
/// request text, and the answer the specification shows (`None` when nothing
/// is sent back). Batch answers are in request order; the specification lets
/// them come in any order, and ours keep it.
pub fn spec_examples() -> Vec<(&'static str, Option<Value>)> {
    vec![
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#,
            Some(json!({"jsonrpc": "2.0", "result": 19, "id": 1})),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#,
            Some(json!({"jsonrpc": "2.0", "result": -19, "id": 2})),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#,
            Some(json!({"jsonrpc": "2.0", "result": 19, "id": 3})),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#,
            Some(json!({"jsonrpc": "2.0", "result": 19, "id": 4})),
        ),
        (r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#, None),
        (r#"{"jsonrpc": "2.0", "method": "foobar"}"#, None),
        (
            r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#,
            Some(json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"})),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#,
            Some(json!({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})),
        ),
        (
            r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#,
            Some(json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})),
        ),
        (
            "[\n  {\"jsonrpc\": \"2.0\", \"method\": \"sum\", \"params\": [1,2,4], \"id\": \"1\"},\n  {\"jsonrpc\": \"2.0\", \"method\"\n]",
            Some(json!({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})),
        ),
        (
            "[]",
            Some(json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})),
        ),
        (
            "[1]",
            Some(json!([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])),
        ),
        (
            "[1,2,3]",
            Some(json!([
                {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}
            ])),
        ),
        (
            r#"[
                {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
                {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]"#,
            Some(json!([
                {"jsonrpc": "2.0", "result": 7, "id": "1"},
                {"jsonrpc": "2.0", "result": 19, "id": "2"},
                {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
                {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
                {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
            ])),
        ),
        (
            r#"[
                {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
            ]"#,
            None,
        ),
    ]
}
