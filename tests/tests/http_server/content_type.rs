//! Content types: the JSON ones are accepted, others refused with 415.

use http::header::CONTENT_TYPE;
use http::{Method, StatusCode};
use rpc_http::Server;
use serde_json::json;

use crate::support::{client, full, request, send, start, test_router};

#[tokio::test]
async fn json_content_types_are_accepted_and_others_refused() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client = client();
    let ping = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    let with_type = |content_type: Option<&str>| {
        let mut builder = request(Method::POST, addr, "/");
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(full(ping)).unwrap()
    };
    for accepted in [
        Some("application/json"),
        Some("Application/JSON; charset=UTF-8"),
        Some("application/json-rpc"),
        Some("application/jsonrequest"),
        None,
    ] {
        let reply = send(&client, with_type(accepted)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accepted:?}");
        assert_eq!(
            reply.json(),
            json!({"jsonrpc": "2.0", "result": "pong", "id": 1}),
            "{accepted:?}"
        );
    }
    for refused in ["text/plain", "application/json; charset=latin1"] {
        let reply = send(&client, with_type(Some(refused))).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{refused}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body = reply.json();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["error"]["code"], -32600, "{body}");
        assert!(body["error"]["data"].is_string(), "a reason: {body}");
    }
    // The first Content-Type decides, however many headers come with it (the
    // server reads a few headers in one walk, many by lookup).
    for extra in [0, 12] {
        for (types, status) in [
            (
                ["text/plain", "application/json"],
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (["application/json", "text/plain"], StatusCode::OK),
        ] {
            let mut builder = request(Method::POST, addr, "/");
            for n in 0..extra {
                builder = builder.header(format!("x-extra-{n}"), "1");
            }
            for content_type in types {
                builder = builder.header(CONTENT_TYPE, content_type);
            }
            let reply = send(&client, builder.body(full(ping)).unwrap()).await;
            assert_eq!(reply.status, status, "{types:?} with {extra} more headers");
        }
    }
}
