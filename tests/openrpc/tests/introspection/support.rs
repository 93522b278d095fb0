//! Calls into a router, in process.

use rpc_core::{Context, Router};
use serde_json::Value;

/// The answer of `router` to `body`, parsed.
pub(crate) fn call(router: &Router, body: &str) -> Value {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let answer = runtime
        .block_on(router.handle(body.as_bytes(), &Context::new()))
        .expect("a request is answered");
    serde_json::from_slice(&answer).expect("the answer is JSON")
}

/// The result of `method` with `params`, failing on an error answer.
pub(crate) fn result(router: &Router, method: &str, params: Value) -> Value {
    let body = serde_json::json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
    let answer = call(router, &body.to_string());
    assert!(answer.get("error").is_none(), "{method} failed: {answer}");
    answer["result"].clone()
}

/// The OpenRPC document `router` serves.
pub(crate) fn discover(router: &Router) -> Value {
    result(router, "rpc.discover", serde_json::json!([]))
}
