//! HTTP/2 with prior knowledge.

use std::time::{Duration, Instant};

use http::{StatusCode, Version};
use rpc_http::Server;
use serde_json::json;

use crate::support::{
    full, http2_client, post, request_json, send, start, test_router, TestClient,
};

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client: TestClient = http2_client();
    let reply = send(
        &client,
        post(addr, "/")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.version, Version::HTTP_2);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "result": "pong", "id": 1})
    );
    // Several streams share the connection and run at once.
    let calls = (0..20).map(|id| {
        send(
            &client,
            post(addr, "/")
                .body(full(request_json("sleep", json!([100]), id)))
                .unwrap(),
        )
    });
    let started = Instant::now();
    for reply in futures_util::future::join_all(calls).await {
        assert_eq!(reply.json()["result"], 100);
    }
    // One after another they would take 2 s.
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1_500),
        "not concurrent: {elapsed:?}"
    );
    let reply = send(
        &client,
        post(addr, "/")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping"}"#))
            .unwrap(),
    )
    .await;
    // A notification over HTTP/2 gets an empty 200 too.
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
}
