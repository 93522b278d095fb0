//! Every example of section 7 of the JSON-RPC 2.0 specification, as exact
//! bytes in and the specification's JSON out.
//!
//! The specification's error objects carry no `data` member; ours may (it is
//! optional), so answers are compared with `data` removed, and everything
//! else (codes, messages, ids, results) must match exactly.

use std::sync::atomic::Ordering;

use serde_json::{json, Value};
use tests::{call, spec_router, without_error_data};

fn answer(input: &str) -> Option<Value> {
    call(&spec_router().0, input).map(without_error_data)
}

/// Batch answers may come in any order (section 6); compare them as sets.
fn sorted(value: Value) -> Vec<String> {
    let mut items: Vec<String> = value
        .as_array()
        .expect("a batch answer is an array")
        .iter()
        .map(Value::to_string)
        .collect();
    items.sort();
    items
}

#[test]
fn positional_parameters() {
    assert_eq!(
        answer(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#),
        Some(json!({"jsonrpc": "2.0", "result": 19, "id": 1}))
    );
    assert_eq!(
        answer(r#"{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}"#),
        Some(json!({"jsonrpc": "2.0", "result": -19, "id": 2}))
    );
}

#[test]
fn named_parameters() {
    assert_eq!(
        answer(
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#
        ),
        Some(json!({"jsonrpc": "2.0", "result": 19, "id": 3}))
    );
    assert_eq!(
        answer(
            r#"{"jsonrpc": "2.0", "method": "subtract", "params": {"minuend": 42, "subtrahend": 23}, "id": 4}"#
        ),
        Some(json!({"jsonrpc": "2.0", "result": 19, "id": 4}))
    );
}

#[test]
fn notifications() {
    let (router, updates) = spec_router();
    assert_eq!(
        call(
            &router,
            r#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#
        ),
        None
    );
    assert_eq!(updates.load(Ordering::SeqCst), 1, "the notification ran");
    assert_eq!(
        call(&router, r#"{"jsonrpc": "2.0", "method": "foobar"}"#),
        None
    );
}

#[test]
fn non_existent_method() {
    assert_eq!(
        answer(r#"{"jsonrpc": "2.0", "method": "foobar", "id": "1"}"#),
        Some(
            json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "1"})
        )
    );
}

#[test]
fn invalid_json() {
    assert_eq!(
        answer(r#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#),
        Some(
            json!({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})
        )
    );
}

#[test]
fn invalid_request_object() {
    assert_eq!(
        answer(r#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#),
        Some(
            json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})
        )
    );
}

#[test]
fn batch_invalid_json() {
    let input = r#"[
  {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
  {"jsonrpc": "2.0", "method"
]"#;
    assert_eq!(
        answer(input),
        Some(
            json!({"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null})
        )
    );
}

#[test]
fn empty_array() {
    assert_eq!(
        answer("[]"),
        Some(
            json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null})
        )
    );
}

#[test]
fn invalid_batch_but_not_empty() {
    assert_eq!(
        answer("[1]"),
        Some(
            json!([{"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null}])
        )
    );
}

#[test]
fn invalid_batch() {
    let one = json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null});
    assert_eq!(answer("[1,2,3]"), Some(json!([one, one, one])));
}

#[test]
fn batch() {
    let input = r#"[
        {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
        {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
        {"foo": "boo"},
        {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
        {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]"#;
    let expected = json!([
        {"jsonrpc": "2.0", "result": 7, "id": "1"},
        {"jsonrpc": "2.0", "result": 19, "id": "2"},
        {"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request"}, "id": null},
        {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"},
        {"jsonrpc": "2.0", "result": ["hello", 5], "id": "9"}
    ]);
    let got = answer(input).expect("a batch with requests is answered");
    assert_eq!(sorted(got.clone()), sorted(expected.clone()));
    // Stronger than the specification asks: our answers keep the request order.
    assert_eq!(got, expected);
}

#[test]
fn batch_all_notifications() {
    let (router, _) = spec_router();
    let input = r#"[
        {"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},
        {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}
    ]"#;
    assert_eq!(call(&router, input), None);
}
