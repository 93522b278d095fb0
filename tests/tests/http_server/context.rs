//! The request context: peer, headers and cookies in, headers and cookies
//! out, and none built for routers whose methods all ignore it.

use std::sync::Arc;

use http::{Method, StatusCode};
use rpc_core::{Context, Cookie, Error, Params, Router, SameSite};
use rpc_http::{HttpConfig, Server};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{
    call, client, eventually, full, header_values, raw_request, read_response, request,
    request_json, send, start,
};

#[tokio::test]
async fn methods_see_peer_headers_and_cookies_and_set_headers_and_cookies() {
    let mut router = Router::new();
    router
        .method("whoami", |_: Params<'_>, ctx: &Context| {
            ctx.set_header("x-served-by", "node-1");
            ctx.set_cookie(
                Cookie::new("seen", "1")
                    .path("/")
                    .max_age(60)
                    .http_only(true)
                    .same_site(SameSite::Lax),
            );
            ctx.set_cookie(Cookie::new("theme", "dark"));
            Ok::<_, Error>(json!({
                "peer": ctx.peer_addr().map(|addr| addr.to_string()),
                // Header names are case-insensitive.
                "client": ctx.header("X-CLIENT"),
                "session": ctx.cookie("session"),
                "connection": ctx.connection_id(),
            }))
        })
        .unwrap();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;

    let mut stream = TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream
        .write_all(&raw_request(
            "POST",
            "/",
            &[
                ("Content-Type", "application/json"),
                ("X-Client", "tester"),
                ("Cookie", "other=1; session=abc"),
            ],
            r#"{"jsonrpc":"2.0","method":"whoami","id":1}"#,
        ))
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    let result = &body["result"];
    assert_eq!(result["peer"], local.to_string(), "{body}");
    assert!(local.ip().is_loopback());
    assert_eq!(result["client"], "tester");
    assert_eq!(result["session"], "abc");
    assert!(result["connection"].is_u64(), "{body}");
    assert_eq!(header_values(&head, "x-served-by"), ["node-1"]);
    assert_eq!(
        header_values(&head, "set-cookie"),
        [
            "seen=1; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
            "theme=dark"
        ]
    );
}

#[tokio::test]
async fn a_router_whose_methods_all_ignore_the_context_builds_none() {
    // Declared to ignore its context, yet it reads and writes it: what it
    // sees shows whether the server built one.
    let peek = || {
        rpc_core::Method::sync(|_: Params<'_>, ctx: &Context| {
            ctx.set_header("x-leaked", "1");
            Ok::<_, Error>(ctx.peer_addr().map(|addr| addr.to_string()))
        })
        .ignores_context()
    };
    let mut context_free = Router::new();
    context_free.add("peek", peek()).unwrap();
    assert!(!context_free.reads_context());
    let mut mixed = Router::new();
    mixed.add("peek", peek()).unwrap();
    mixed
        .method("peer", |_: Params<'_>, ctx: &Context| {
            Ok::<_, Error>(ctx.peer_addr().map(|addr| addr.to_string()))
        })
        .unwrap();
    assert!(mixed.reads_context());
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_get_fallback(true))
            .mount("/free", context_free)
            .mount("/mixed", mixed),
    )
    .await;

    // The GET fallback too.
    for (path, sees_peer) in [("/free/peek", false), ("/mixed/peek", true)] {
        let reply = send(
            &client(),
            request(Method::GET, addr, path).body(full("")).unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["result"].is_string(), sees_peer, "{path}");
        assert_eq!(reply.headers.contains_key("x-leaked"), sees_peer, "{path}");
    }
    let peek = request_json("peek", json!([]), 1);
    for round in 0..2 {
        // No context built: the shared empty one, which drops what is set on it.
        let reply = call(addr, "/free", &peek).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["result"], Value::Null, "round {round}");
        assert!(!reply.headers.contains_key("x-leaked"), "round {round}");
        // A router with one method that reads it builds it for every message.
        let reply = call(addr, "/mixed", &peek).await;
        assert!(
            reply.json()["result"].is_string(),
            "round {round}: {:?}",
            reply.json()
        );
        assert_eq!(reply.headers["x-leaked"], "1");
    }
    // Nothing set on the shared empty context piles up.
    assert!(Context::empty().take_response_effects().is_empty());
}

#[tokio::test]
async fn notifications_of_a_context_free_router_run_with_the_empty_context() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut router = Router::new();
    let record = Arc::clone(&seen);
    router
        .add(
            "note",
            rpc_core::Method::sync(move |_: Params<'_>, ctx: &Context| {
                record.lock().unwrap().push(ctx.peer_addr());
                Ok::<_, Error>(())
            })
            .ignores_context(),
        )
        .unwrap();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    for _ in 0..3 {
        let reply = call(addr, "/", r#"{"jsonrpc":"2.0","method":"note"}"#).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.is_empty());
    }
    eventually("the notifications ran", || seen.lock().unwrap().len() == 3).await;
    assert_eq!(*seen.lock().unwrap(), [None, None, None]);
}
