//! The GET fallback (named params from the query) and JSONP.

use http::StatusCode;
use rpc_core::{Context, Error, Params, Router};
use rpc_http::{HttpConfig, Server};
use serde_json::{json, Value};

use crate::support::{get, start, test_router};

#[tokio::test]
async fn get_calls_the_method_with_named_params_from_the_query() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/", test_router())
            .mount("/api", test_router()),
    )
    .await;
    for path in ["/echo?a=1&b=x", "/api/echo?a=1&b=x"] {
        let reply = get(addr, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.json(),
            json!({"jsonrpc": "2.0", "result": {"a": 1, "b": "x"}, "id": null}),
            "{path}"
        );
    }
    let reply = get(addr, "/echo?list=%5B1%2C2%5D&flag=true&quoted=%221%22").await;
    assert_eq!(
        reply.json()["result"],
        json!({"list": [1, 2], "flag": true, "quoted": "1"})
    );
    let reply = get(addr, "/subtract?minuend=42&subtrahend=23").await;
    assert_eq!(reply.json()["result"], 19);
    let reply = get(addr, "/nothing-here?a=1").await;
    assert_eq!(reply.json()["error"]["code"], -32601);
    // With the fallback on, the callback parameter is still not JSONP.
    let reply = get(addr, "/echo?a=1&callback=cb").await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn get_picks_the_most_specific_mount() {
    let named = |name: &'static str| {
        let mut router = Router::new();
        router
            .method("who", move |_: Params<'_>, _: &Context| {
                Ok::<_, Error>(name)
            })
            .unwrap();
        router
    };
    // The root is mounted first, so a first-match search would send
    // `/api/who` to it as the method `api/who`.
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/", named("root"))
            .mount("/api", named("api")),
    )
    .await;
    assert_eq!(get(addr, "/who").await.json()["result"], "root");
    assert_eq!(get(addr, "/api/who").await.json()["result"], "api");
}

#[tokio::test]
async fn the_callback_parameter_is_ignored_when_jsonp_is_off() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/", test_router()),
    )
    .await;
    for query in ["callback=cb", "jsonp=cb"] {
        let reply = get(addr, &format!("/subtract?minuend=42&subtrahend=23&{query}")).await;
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.json(),
            json!({"jsonrpc": "2.0", "result": 19, "id": null}),
            "{query}"
        );
    }
}

#[tokio::test]
async fn jsonp_wraps_the_answer_in_the_callback() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true).with_jsonp(true))
            .mount("/api", test_router()),
    )
    .await;
    let reply = get(addr, "/api/echo?a=1&b=x&callback=cb").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/javascript")),
        "{:?}",
        reply.headers
    );
    let text = reply.text();
    let inner = text
        .strip_prefix("cb(")
        .and_then(|rest| rest.strip_suffix(");"))
        .unwrap_or_else(|| panic!("not JSONP: {text:?}"));
    assert_eq!(
        serde_json::from_str::<Value>(inner).unwrap(),
        json!({"jsonrpc": "2.0", "result": {"a": 1, "b": "x"}, "id": null})
    );

    let reply = get(addr, "/api/echo?a=1&jsonp=app.handlers.done").await;
    assert!(
        reply.text().starts_with("app.handlers.done({"),
        "{}",
        reply.text()
    );

    for bad in ["alert(1)", "a%20b", "1cb", "a..b"] {
        let reply = get(addr, &format!("/api/echo?a=1&callback={bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json()["error"]["code"], -32600);
    }
}
