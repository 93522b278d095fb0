//! Graceful shutdown and its timeout.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::StatusCode;
use rpc_core::{Context, Error, Params, Router};
use rpc_http::Server;
use serde_json::json;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::timeout;

use crate::support::{
    call, closes_within, eventually, post_raw, read_response, request_json, start, test_router,
    WAIT,
};

#[tokio::test]
async fn graceful_shutdown_finishes_requests_and_background_notifications() {
    let started = Arc::new(Notify::new());
    let background_done = Arc::new(AtomicBool::new(false));
    let mut router = test_router();
    {
        let started = Arc::clone(&started);
        router
            .async_method("slow", move |_: Params<'_>, _: &Context| {
                let started = Arc::clone(&started);
                Box::pin(async move {
                    started.notify_one();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok::<_, Error>("done")
                })
            })
            .unwrap();
        let background_done = Arc::clone(&background_done);
        router
            .async_method("background", move |_: Params<'_>, _: &Context| {
                let background_done = Arc::clone(&background_done);
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(400)).await;
                    background_done.store(true, Ordering::SeqCst);
                    Ok::<_, Error>(())
                })
            })
            .unwrap();
    }
    let (server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;

    let reply = call(addr, "/", r#"{"jsonrpc":"2.0","method":"background"}"#).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());

    let in_flight = tokio::spawn(call(
        addr,
        "/",
        r#"{"jsonrpc":"2.0","method":"slow","id":1}"#,
    ));
    timeout(WAIT, started.notified())
        .await
        .expect("the slow method started");
    server.shutdown();
    assert!(!server.is_stopped());

    let reply = timeout(WAIT, in_flight)
        .await
        .expect("the in-flight request is answered")
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "result": "done", "id": 1})
    );

    timeout(WAIT, server.stopped())
        .await
        .expect("the server stops");
    assert!(server.is_stopped());
    assert!(
        background_done.load(Ordering::SeqCst),
        "the background notification ran to its end before the server stopped"
    );
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "a stopped server refuses connections"
    );
}

#[tokio::test]
async fn shutdown_refuses_new_connections_at_once() {
    let (server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    // An idle keep-alive connection must not hold the shutdown up.
    let mut idle = post_raw(addr, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
    assert_eq!(read_response(&mut idle).await.0, 200);

    server.shutdown();
    eventually("connections are refused", || {
        std::net::TcpStream::connect(addr).is_err()
    })
    .await;
    timeout(WAIT, server.stopped())
        .await
        .expect("the server stops");
    assert!(closes_within(&mut idle, WAIT).await);
}

#[tokio::test]
async fn the_shutdown_timeout_bounds_a_request_that_runs_too_long() {
    let (server, addr) = start(
        Server::bind("127.0.0.1:0")
            .shutdown_timeout(Duration::from_millis(200))
            .mount("/", test_router()),
    )
    .await;
    let mut stream = post_raw(addr, &request_json("sleep", json!([30_000]), 1)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    server.shutdown();
    timeout(Duration::from_secs(3), server.stopped())
        .await
        .expect("the server stops after its shutdown timeout");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert!(closes_within(&mut stream, WAIT).await);
}

#[tokio::test]
async fn the_shutdown_timeout_also_ends_background_notifications() {
    let finished = Arc::new(AtomicBool::new(false));
    let mut router = Router::new();
    {
        let finished = Arc::clone(&finished);
        router
            .async_method("linger", move |_: Params<'_>, _: &Context| {
                let finished = Arc::clone(&finished);
                Box::pin(async move {
                    tokio::time::sleep(Duration::from_millis(2_000)).await;
                    finished.store(true, Ordering::SeqCst);
                    Ok::<_, Error>(())
                })
            })
            .unwrap();
    }
    let (server, addr) = start(
        Server::bind("127.0.0.1:0")
            .shutdown_timeout(Duration::from_millis(200))
            .mount("/", router),
    )
    .await;
    let sent = Instant::now();
    let reply = call(addr, "/", r#"{"jsonrpc":"2.0","method":"linger"}"#).await;
    assert!(reply.body.is_empty());
    server.shutdown();
    timeout(Duration::from_millis(1_500), server.stopped())
        .await
        .expect("the server stops after its shutdown timeout");
    // Past the moment the notification would have finished, had it been left running.
    tokio::time::sleep_until((sent + Duration::from_millis(2_500)).into()).await;
    assert!(
        !finished.load(Ordering::SeqCst),
        "a notification still ran after the server had stopped"
    );
}
