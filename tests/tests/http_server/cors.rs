//! CORS: any origin by default, none when turned off, a custom policy.

use http::header::HeaderValue;
use http::{Method, StatusCode};
use rpc_http::cors::CorsLayer;
use rpc_http::Server;

use crate::support::{client, full, post, request, send, start, test_router};

fn has_method(list: Option<&str>, method: &str) -> bool {
    list.is_some_and(|list| {
        list.split(',')
            .any(|m| m.trim().eq_ignore_ascii_case(method))
    })
}

#[tokio::test]
async fn cors_allows_any_origin_by_default() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client = client();
    let preflight = request(Method::OPTIONS, addr, "/")
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(full(""))
        .unwrap();
    let reply = send(&client, preflight).await;
    assert!(reply.status.is_success(), "{:?}", reply.status);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(
        has_method(reply.header("access-control-allow-methods"), "POST"),
        "{:?}",
        reply.headers
    );
    assert!(reply.header("access-control-max-age").is_some());

    let reply = send(
        &client,
        post(addr, "/")
            .header("origin", "http://example.com")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.json()["result"], "pong");
}

#[tokio::test]
async fn without_cors_sends_no_cors_headers() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .without_cors()
            .mount("/", test_router()),
    )
    .await;
    let client = client();
    let reply = send(
        &client,
        post(addr, "/")
            .header("origin", "http://example.com")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), None);

    let preflight = request(Method::OPTIONS, addr, "/")
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .body(full(""))
        .unwrap();
    let reply = send(&client, preflight).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("access-control-allow-methods"), None);
}

#[tokio::test]
async fn a_custom_cors_policy_echoes_only_allowed_origins() {
    let cors = CorsLayer::new()
        .allow_origin([HeaderValue::from_static("https://good.example")])
        .allow_methods([Method::POST]);
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .cors(cors)
            .mount("/", test_router()),
    )
    .await;
    let client = client();
    let ping_from = |origin: &str| {
        post(addr, "/")
            .header("origin", origin)
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap()
    };
    let reply = send(&client, ping_from("https://good.example")).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    let reply = send(&client, ping_from("https://evil.example")).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    // Not the browser's business to stop a server: the call itself is answered.
    assert_eq!(reply.json()["result"], "pong");

    let preflight = |origin: &str| {
        request(Method::OPTIONS, addr, "/")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(full(""))
            .unwrap()
    };
    let reply = send(&client, preflight("https://good.example")).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    let reply = send(&client, preflight("https://evil.example")).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

/// Only an `OPTIONS` with an `Origin` is a CORS preflight: one without is
/// answered with the service's `Allow`, whatever other headers (which would
/// send it through the server's layers) it carries.
#[tokio::test]
async fn an_options_request_without_an_origin_is_not_a_preflight() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client = client();
    for (name, value) in [
        ("x-nothing", "1"),
        ("accept-encoding", "gzip"),
        ("content-encoding", "gzip"),
    ] {
        let options = request(Method::OPTIONS, addr, "/")
            .header(name, value)
            .body(full(""))
            .unwrap();
        let reply = send(&client, options).await;
        assert_eq!(reply.status, StatusCode::NO_CONTENT, "with {name}");
        assert_eq!(reply.header("allow"), Some("POST, OPTIONS"), "with {name}");
        assert_eq!(
            reply.header("access-control-allow-origin"),
            None,
            "with {name}"
        );
    }
}
