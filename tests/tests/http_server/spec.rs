//! The examples of section 7 of the JSON-RPC 2.0 specification, over HTTP.

use std::sync::atomic::Ordering;

use http::StatusCode;
use rpc_http::Server;
use serde_json::Value;
use tests::{spec_examples, spec_router, without_error_data};

use crate::support::{call, eventually, start};

/// Batch answers may come in any order (section 6): compare them as sets.
fn normalized(answer: Value) -> Value {
    match without_error_data(answer) {
        Value::Array(mut items) => {
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        other => other,
    }
}

#[tokio::test]
async fn specification_examples_over_http() {
    let (router, updates) = spec_router();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let examples = spec_examples();
    for (input, expected) in examples {
        let reply = call(addr, "/", input).await;
        assert_eq!(reply.status, StatusCode::OK, "{input}");
        match expected {
            Some(expected) => {
                assert_eq!(reply.header("content-type"), Some("application/json"));
                assert_eq!(
                    normalized(reply.json()),
                    normalized(expected),
                    "answer to {input}"
                );
            }
            None => assert!(
                reply.body.is_empty(),
                "a notification-only message gets an empty body, not {:?}",
                reply.text()
            ),
        }
    }
    eventually("the `update` notification ran", || {
        updates.load(Ordering::SeqCst) == 1
    })
    .await;
}
