//! Notifications: acknowledged before they run, run once each and in order
//! over every path (HTTP/1.1, pipelined, CORS, HTTP/2), and run though their
//! client goes away.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use http::{StatusCode, Version};
use rpc_core::{Context, Error, Params, Router};
use rpc_http::Server;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::timeout;

use crate::support::{
    call, client, closes_within, eventually, full, http2_client, post, raw_request, read_response,
    request_json, send, start, test_router, TestClient, WAIT,
};

#[tokio::test]
async fn a_notification_is_acknowledged_while_its_method_still_runs() {
    let release = Arc::new(Notify::new());
    let started = Arc::new(AtomicBool::new(false));
    let finished = Arc::new(AtomicBool::new(false));
    let mut router = Router::new();
    {
        let (release, started, finished) = (
            Arc::clone(&release),
            Arc::clone(&started),
            Arc::clone(&finished),
        );
        router
            .async_method("wait", move |_: Params<'_>, _: &Context| {
                let (release, started, finished) = (
                    Arc::clone(&release),
                    Arc::clone(&started),
                    Arc::clone(&finished),
                );
                Box::pin(async move {
                    started.store(true, Ordering::SeqCst);
                    release.notified().await;
                    finished.store(true, Ordering::SeqCst);
                    Ok::<_, Error>(())
                })
            })
            .unwrap();
    }
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;

    let reply = timeout(
        Duration::from_secs(2),
        call(addr, "/", r#"{"jsonrpc":"2.0","method":"wait"}"#),
    )
    .await
    .expect("the notification is acknowledged without waiting for its method");
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty(), "{:?}", reply.text());

    eventually("the method started", || started.load(Ordering::SeqCst)).await;
    assert!(
        !finished.load(Ordering::SeqCst),
        "the method is still blocked"
    );
    release.notify_one();
    eventually("the method ran to its end", || {
        finished.load(Ordering::SeqCst)
    })
    .await;
}

/// A router whose `record` method notes its one number (and returns it), and
/// the numbers noted, in the order the calls ran.
fn recorder() -> (Router, Arc<std::sync::Mutex<Vec<i64>>>) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut router = Router::new();
    let noted = Arc::clone(&seen);
    router
        .method("record", move |params: Params<'_>, _: &Context| {
            let (n,): (i64,) = params.decode(&["n"])?;
            noted.lock().unwrap().push(n);
            Ok::<_, Error>(n)
        })
        .unwrap();
    (router, seen)
}

#[tokio::test]
async fn synchronous_notifications_run_once_each_in_order_over_every_path() {
    let (router, seen) = recorder();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let notification = |n: i64| format!(r#"{{"jsonrpc":"2.0","method":"record","params":[{n}]}}"#);

    // HTTP/1.1 on one raw connection: single notifications and a batch of them.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for body in [
        notification(1),
        notification(2),
        format!("[{},{}]", notification(3), notification(4)),
        // `"id"` in the text, though not a member: the message takes the long way.
        r#"{"jsonrpc":"2.0","method":"record","params":[5],"note":"id"}"#.to_owned(),
    ] {
        stream
            .write_all(&raw_request("POST", "/", &[], &body))
            .await
            .unwrap();
        let (status, _, answer) = read_response(&mut stream).await;
        assert_eq!((status, answer.as_str()), (200, ""));
    }
    eventually("the HTTP/1.1 notifications ran", || {
        seen.lock().unwrap().len() == 5
    })
    .await;
    assert_eq!(*seen.lock().unwrap(), [1, 2, 3, 4, 5]);

    // Through the CORS layer (an Origin header) and over HTTP/2.
    let reply = send(
        &client(),
        post(addr, "/")
            .header("origin", "https://app.example")
            .body(full(notification(6)))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    let http2: TestClient = http2_client();
    let reply = send(&http2, post(addr, "/").body(full(notification(7))).unwrap()).await;
    assert_eq!(reply.version, Version::HTTP_2);
    assert!(reply.body.is_empty());
    eventually("every notification ran", || seen.lock().unwrap().len() == 7).await;
    let mut all = seen.lock().unwrap().clone();
    all.sort_unstable();
    assert_eq!(all, [1, 2, 3, 4, 5, 6, 7], "each ran exactly once");
}

#[tokio::test]
async fn an_id_member_written_with_escapes_is_still_answered() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let reply = call(
        addr,
        "/",
        r#"{"jsonrpc":"2.0","method":"ping","\u0069d":5}"#,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "result": "pong", "id": 5})
    );
}

#[tokio::test]
async fn pipelined_requests_behind_a_notification_are_answered_and_it_runs_before_shutdown_ends() {
    let (router, seen) = recorder();
    let (server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // Three messages in one write: a notification, a call, a notification.
    let mut pipelined = raw_request(
        "POST",
        "/",
        &[],
        r#"{"jsonrpc":"2.0","method":"record","params":[1]}"#,
    );
    pipelined.extend(raw_request(
        "POST",
        "/",
        &[],
        &request_json("record", json!([2]), 7),
    ));
    pipelined.extend(raw_request(
        "POST",
        "/",
        &[],
        r#"{"jsonrpc":"2.0","method":"record","params":[3]}"#,
    ));
    stream.write_all(&pipelined).await.unwrap();
    // The three answers, in order: empty, the call's, empty.
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    let text = loop {
        let text = String::from_utf8_lossy(&received).into_owned();
        if text.matches("HTTP/1.1 ").count() == 3 && text.ends_with("\r\n\r\n") {
            break text;
        }
        let n = timeout(WAIT, stream.read(&mut chunk))
            .await
            .expect("the answers in time")
            .unwrap();
        assert!(n > 0, "the connection closed after {text:?}");
        received.extend_from_slice(&chunk[..n]);
    };
    let answers: Vec<&str> = text.split("HTTP/1.1 ").skip(1).collect();
    assert!(answers[0].starts_with("200") && answers[0].contains("content-length: 0"));
    assert!(answers[1].starts_with("200"));
    assert!(
        answers[1].ends_with(r#"{"jsonrpc":"2.0","result":2,"id":7}"#),
        "{}",
        answers[1]
    );
    assert!(answers[2].starts_with("200") && answers[2].contains("content-length: 0"));
    server.shutdown();
    timeout(WAIT, server.stopped())
        .await
        .expect("the server stops");
    let mut all = seen.lock().unwrap().clone();
    all.sort_unstable();
    assert_eq!(
        all,
        [1, 2, 3],
        "every message ran once, before the server stopped"
    );
}

#[tokio::test]
async fn a_notification_runs_though_its_client_closes_right_after_sending_it() {
    let (router, seen) = recorder();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let notification = |n: i64| format!(r#"{{"jsonrpc":"2.0","method":"record","params":[{n}]}}"#);
    let mut sent = 0;
    for _ in 0..10 {
        for (how, headers) in [
            ("close", &[][..]),
            ("half-close", &[][..]),
            ("layered", &[("Origin", "https://a.example")][..]),
        ] {
            sent += 1;
            let mut stream = TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(&raw_request("POST", "/", headers, &notification(sent)))
                .await
                .unwrap();
            if how == "close" {
                drop(stream);
            } else {
                stream.shutdown().await.unwrap();
                let _ = closes_within(&mut stream, WAIT).await;
            }
        }
    }
    eventually("every notification ran", || {
        seen.lock().unwrap().len() == sent as usize
    })
    .await;
}
