//! The examples users copy compute with checked arithmetic: an integer
//! result that does not fit an `i64` is an error that says so, never a
//! wrapped number (as a release build would answer) nor a debug build's
//! panic answered with -32603.

use examples::spec_methods::SpecMethods;
use rpc_core::{Context, Router};
use serde_json::{json, Value};

fn answer(router: &Router, request: Value) -> Value {
    let answer = tests::block_on(router.handle(request.to_string().as_bytes(), &Context::new()))
        .expect("a call is answered");
    serde_json::from_slice(&answer).unwrap()
}

fn overflow_error(id: i64) -> Value {
    json!({
        "jsonrpc": "2.0",
        "error": {
            "code": 1,
            "message": "integer overflow",
            "data": "the sum does not fit in a 64-bit signed integer"
        },
        "id": id
    })
}

fn routers() -> Vec<(&'static str, Router)> {
    let stats = rpc_http::Stats::new();
    vec![
        ("spec_methods", SpecMethods::default().into_router()),
        (
            "ws_methods",
            examples::ws_methods::router(&stats).expect("the ws_methods router builds"),
        ),
    ]
}

#[test]
fn sum_past_i64_max_is_an_overflow_error() {
    for (name, router) in routers() {
        let call = json!({"jsonrpc": "2.0", "method": "sum", "params": [9223372036854775807i64, 2], "id": 1});
        assert_eq!(answer(&router, call), overflow_error(1), "{name}");
        let fits = json!({"jsonrpc": "2.0", "method": "sum", "params": [9223372036854775807i64, -2], "id": 2});
        assert_eq!(
            answer(&router, fits)["result"],
            9223372036854775805i64,
            "{name}"
        );
    }
}

#[test]
fn subtract_past_i64_min_is_an_overflow_error() {
    for (name, router) in routers() {
        let call =
            json!({"jsonrpc": "2.0", "method": "subtract", "params": [i64::MIN, 1], "id": 3});
        let refused = answer(&router, call);
        assert_eq!(refused["error"]["code"], 1, "{name}: {refused}");
        assert_eq!(
            refused["error"]["data"], "the difference does not fit in a 64-bit signed integer",
            "{name}"
        );
        let call = json!({"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4});
        assert_eq!(answer(&router, call)["result"], 19, "{name}");
    }
}
