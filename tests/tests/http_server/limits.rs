//! Limits: the body size, the number of connections, concurrent requests and
//! the notification pool.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use rpc_core::{Context, Error, Params, Router};
use rpc_http::{HttpConfig, Server};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::timeout;

use crate::support::{
    call, client, eventually, full, padded_call, post, raw_request, read_response, request_json,
    send, start, test_router, Body, WAIT,
};

// ---------------------------------------------------------------------------
// Body size limit.

fn chunked(body: &str) -> Body {
    let frames: Vec<Result<Frame<Bytes>, Infallible>> = body
        .as_bytes()
        .chunks(16)
        .map(|chunk| Ok(Frame::data(Bytes::copy_from_slice(chunk))))
        .collect();
    StreamBody::new(futures_util::stream::iter(frames)).boxed()
}

#[tokio::test]
async fn bodies_over_the_limit_get_413() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_max_body_size(100))
            .mount("/", test_router()),
    )
    .await;
    let client = client();
    let small = padded_call(100);
    let large = padded_call(200);
    assert_eq!(small.len(), 100);

    // With Content-Length.
    let reply = send(&client, post(addr, "/").body(full(small.clone())).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    assert_eq!(reply.json()["id"], 1);
    let reply = send(&client, post(addr, "/").body(full(large.clone())).unwrap()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"]["code"], -32600);

    // Chunked: no length is declared, the limit bites while reading.
    let reply = send(&client, post(addr, "/").body(chunked(&small)).unwrap()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let reply = send(&client, post(addr, "/").body(chunked(&large)).unwrap()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json()["error"]["code"], -32600);

    // The same over raw TCP, to be sure of the framing on the wire.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut raw = b"POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    for chunk in large.as_bytes().chunks(50) {
        raw.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        raw.extend_from_slice(chunk);
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&raw).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 413, "{body}");
}

// ---------------------------------------------------------------------------
// Connection limit.

#[tokio::test]
async fn past_max_connections_a_new_connection_waits_for_a_free_slot() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .max_connections(1)
            .mount("/", test_router()),
    )
    .await;
    let ping = raw_request(
        "POST",
        "/",
        &[("Content-Type", "application/json")],
        r#"{"jsonrpc":"2.0","method":"ping","id":1}"#,
    );

    let mut first = TcpStream::connect(addr).await.unwrap();
    first.write_all(&ping).await.unwrap();
    let (status, _, _) = read_response(&mut first).await;
    assert_eq!(status, 200);

    // The kernel accepts the second connection into the backlog, but the
    // server does not take it while the first (keep-alive) one is open.
    let mut second = TcpStream::connect(addr).await.unwrap();
    second.write_all(&ping).await.unwrap();
    let mut byte = [0u8; 1];
    assert!(
        timeout(Duration::from_millis(500), second.read(&mut byte))
            .await
            .is_err(),
        "the second connection was answered while the first was open"
    );

    // The first stays usable.
    first.write_all(&ping).await.unwrap();
    let (status, _, _) = read_response(&mut first).await;
    assert_eq!(status, 200);

    drop(first);
    let (status, _, body) = read_response(&mut second).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()["result"],
        "pong"
    );
}

// ---------------------------------------------------------------------------
// Concurrent requests and notifications.

#[tokio::test]
async fn past_max_concurrent_requests_calls_wait_their_turn() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_max_concurrent_requests(1))
            .mount("/", test_router()),
    )
    .await;
    let (one, two) = (
        request_json("sleep", json!([300]), 1),
        request_json("sleep", json!([300]), 2),
    );
    let started = Instant::now();
    let (first, second) = tokio::join!(call(addr, "/", &one), call(addr, "/", &two));
    let elapsed = started.elapsed();
    // Back-pressure, not refusal: both are answered, one after the other.
    assert_eq!(first.json()["result"], 300);
    assert_eq!(second.json()["result"], 300);
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
}

#[tokio::test]
async fn past_the_notification_pool_acknowledgements_wait_for_a_slot() {
    let release = Arc::new(Notify::new());
    let (_server, addr) = one_notification_slot(waiting_until(&release)).await;
    let notification = r#"{"jsonrpc":"2.0","method":"wait"}"#;
    let reply = call(addr, "/", notification).await;
    assert_eq!(reply.status, StatusCode::OK);

    let mut second = tokio::spawn(call(addr, "/", notification));
    assert!(
        timeout(Duration::from_millis(300), &mut second)
            .await
            .is_err(),
        "acknowledged while the only slot was taken"
    );
    release.notify_one();
    let reply = timeout(WAIT, second)
        .await
        .expect("acknowledged once the slot is free")
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    release.notify_one();
}

/// A synchronous notification on an HTTP/1 connection runs on that
/// connection after its answer, not in the notification pool: with the
/// pool's only slot held, it is still acknowledged and run at once.
#[tokio::test]
async fn synchronous_notifications_on_http1_need_no_slot_of_the_notification_pool() {
    let release = Arc::new(Notify::new());
    let ran = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut router = waiting_until(&release);
    {
        let ran = Arc::clone(&ran);
        router
            .method("tick", move |_: Params<'_>, _: &Context| {
                ran.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                Ok::<_, Error>(())
            })
            .unwrap();
    }
    let (_server, addr) = one_notification_slot(router).await;
    // The asynchronous one takes the pool's only slot until released.
    let reply = call(addr, "/", r#"{"jsonrpc":"2.0","method":"wait"}"#).await;
    assert_eq!(reply.status, StatusCode::OK);

    let reply = timeout(
        Duration::from_secs(2),
        call(addr, "/", r#"{"jsonrpc":"2.0","method":"tick"}"#),
    )
    .await
    .expect("acknowledged without waiting for the pool");
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
    eventually("the synchronous notification ran", || {
        ran.load(std::sync::atomic::Ordering::SeqCst) == 1
    })
    .await;
    release.notify_one();
}

/// A router whose asynchronous `wait` returns once `release` is notified.
fn waiting_until(release: &Arc<Notify>) -> Router {
    let release = Arc::clone(release);
    let mut router = Router::new();
    router
        .async_method("wait", move |_: Params<'_>, _: &Context| {
            let release = Arc::clone(&release);
            Box::pin(async move {
                release.notified().await;
                Ok::<_, Error>(())
            })
        })
        .unwrap();
    router
}

/// `router` served with a notification pool of one slot.
async fn one_notification_slot(router: Router) -> (rpc_http::ServerHandle, std::net::SocketAddr) {
    start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_notification_concurrency(1))
            .mount("/", router),
    )
    .await
}
