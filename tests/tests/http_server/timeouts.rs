//! Timeouts: the request timeout, and the header and body read timeouts
//! against stalled, silent, idle and slow clients over HTTP/1.1 and HTTP/2.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use http::{StatusCode, Version};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_http::{HttpConfig, Server, ServerHandle, Stats};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{
    call, closes_within, eventually, full, header_values, http2_client, post, post_raw,
    raw_request, read_response, request_json, send, start, test_router, TestClient, WAIT,
};

/// The test router at `/` behind a 200 ms header read timeout.
async fn start_impatient() -> (ServerHandle, SocketAddr) {
    start(
        Server::bind("127.0.0.1:0")
            .header_read_timeout(Duration::from_millis(200))
            .mount("/", test_router()),
    )
    .await
}

// ---------------------------------------------------------------------------
// Request timeout.

#[tokio::test]
async fn a_call_past_the_request_timeout_is_answered_with_32000() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_request_timeout(Some(Duration::from_millis(100))))
            .mount("/", test_router()),
    )
    .await;
    let started = Instant::now();
    let reply = call(addr, "/", &request_json("sleep", json!([5_000]), 7)).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_secs(2),
        "answered after {elapsed:?}"
    );
    assert!(elapsed >= Duration::from_millis(100), "{elapsed:?}");
    assert_eq!(reply.status, StatusCode::OK);
    let body = reply.json();
    assert_eq!(body["id"], 7, "{body}");
    assert_eq!(body["error"]["code"], -32000, "{body}");
    assert!(
        body["error"]["data"]
            .as_str()
            .is_some_and(|data| data.contains("timed out")),
        "{body}"
    );
    // A quick call on the same server is unaffected.
    let reply = call(addr, "/", &request_json("sleep", json!([1]), 8)).await;
    assert_eq!(reply.json()["result"], 1);
}

// ---------------------------------------------------------------------------
// Header and body read timeouts.

#[tokio::test]
async fn a_client_that_stalls_inside_its_headers_is_disconnected() {
    let (_server, addr) = start_impatient().await;
    let started = Instant::now();
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: loc")
        .await
        .unwrap();
    assert!(
        closes_within(&mut stalled, Duration::from_secs(1)).await,
        "the stalled connection is still open"
    );
    assert!(started.elapsed() >= Duration::from_millis(150));

    // A client that sends its headers in time is served as usual.
    let mut prompt = post_raw(addr, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
    let (status, _, body) = read_response(&mut prompt).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_client_that_stalls_inside_its_body_gets_408_and_frees_its_slot() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .max_connections(1)
            .config(HttpConfig::new().with_body_read_timeout(Some(Duration::from_millis(200))))
            .mount("/", test_router()),
    )
    .await;
    let started = Instant::now();
    let mut stalled = TcpStream::connect(addr).await.unwrap();
    stalled
        .write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{\"jsonrpc\"")
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stalled).await;
    assert_eq!(status, 408, "{body}");
    assert!(started.elapsed() >= Duration::from_millis(150));
    assert_eq!(header_values(&head, "connection"), ["close"]);
    let error: Value = serde_json::from_str(&body).unwrap();
    assert!(
        error["error"]["data"].as_str().unwrap().contains("body"),
        "{body}"
    );
    assert!(closes_within(&mut stalled, Duration::from_secs(1)).await);

    // The only connection slot is free again.
    let mut next = post_raw(addr, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
    let (status, _, body) = read_response(&mut next).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn a_client_that_sends_nothing_or_too_little_to_tell_the_protocol_is_disconnected() {
    let (_server, addr) = start_impatient().await;
    let mut silent = TcpStream::connect(addr).await.unwrap();
    let mut ambiguous = TcpStream::connect(addr).await.unwrap();
    // A prefix of both `POST ...` and the HTTP/2 preface `PRI * HTTP/2.0...`.
    ambiguous.write_all(b"P").await.unwrap();
    assert!(
        closes_within(&mut silent, Duration::from_secs(1)).await,
        "a connection that sends nothing is still open"
    );
    assert!(
        closes_within(&mut ambiguous, Duration::from_secs(1)).await,
        "a connection stalled in the protocol preface is still open"
    );
}

#[tokio::test]
async fn a_request_whose_first_byte_arrives_alone_is_answered() {
    // The server tells HTTP/1 from HTTP/2 by the first bytes; a lone `P`
    // could begin either, so the connection is served the slow way.
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let request = raw_request("POST", "/", &[], &request_json("ping", json!([]), 4));
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(&request[..1]).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    stream.write_all(&request[1..]).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap(),
        json!({"jsonrpc": "2.0", "result": "pong", "id": 4})
    );
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_but_a_long_request_is_not_cut() {
    let (_server, addr) = start_impatient().await;
    // A call that runs for three timeouts is answered: it is in flight, not idle.
    let mut stream = post_raw(addr, &request_json("sleep", json!([600]), 1)).await;
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["result"], 600);
    // The same connection, idle after its answer, is closed after about one timeout.
    let idle_since = Instant::now();
    assert!(
        closes_within(&mut stream, Duration::from_secs(2)).await,
        "an idle keep-alive connection is still open"
    );
    let idle = idle_since.elapsed();
    assert!(idle >= Duration::from_millis(150), "closed after {idle:?}");
}

/// Asks for an answer of `size` characters: far more than the socket
/// buffers hold, so it is still being written long after its request finished.
async fn ask_for_text(addr: SocketAddr, size: usize) -> TcpStream {
    post_raw(addr, &request_json("text", json!([size]), 1)).await
}

/// Reads an answer of a little over `size` bytes in reads of at most `chunk`
/// bytes, pausing `pause` after each and calling `after_read` before that;
/// returns how many bytes came before the answer was in or the connection closed.
async fn read_slowly(
    stream: &mut TcpStream,
    size: usize,
    chunk: usize,
    pause: Duration,
    mut after_read: impl FnMut(),
) -> usize {
    let mut received = 0usize;
    let mut buffer = vec![0u8; chunk];
    loop {
        let n = timeout(WAIT, stream.read(&mut buffer))
            .await
            .expect("data in time")
            .unwrap();
        received += n;
        if n == 0 || received > size {
            return received;
        }
        after_read();
        tokio::time::sleep(pause).await;
    }
}

#[tokio::test]
async fn a_slow_reader_gets_its_whole_answer_past_the_header_read_timeout() {
    let (_server, addr) = start_impatient().await;
    let size = 32 << 20;
    let mut stream = ask_for_text(addr, size).await;
    let started = Instant::now();
    let received = read_slowly(
        &mut stream,
        size,
        512 << 10,
        Duration::from_millis(20),
        || {},
    )
    .await;
    assert!(
        started.elapsed() > Duration::from_millis(500),
        "the reading took several timeouts"
    );
    assert!(received > size, "the answer was cut after {received} bytes");
}

#[tokio::test]
async fn a_slow_reader_keeps_its_answer_through_a_graceful_shutdown() {
    let (server, addr) = start_impatient().await;
    let size = 32 << 20;
    let mut stream = ask_for_text(addr, size).await;
    // Pauses of more than one watchdog tick (50 ms) without progress.
    let received = read_slowly(
        &mut stream,
        size,
        4 << 20,
        Duration::from_millis(120),
        || server.shutdown(),
    )
    .await;
    assert!(received > size, "the answer was cut after {received} bytes");
    timeout(WAIT, server.stopped())
        .await
        .expect("the server stops");
}

#[tokio::test]
async fn a_slow_http2_reader_gets_its_whole_answer_past_the_header_read_timeout() {
    let (_server, addr) = start_impatient().await;
    let client: TestClient = http2_client();
    let size = 16 << 20;
    let request = post(addr, "/")
        .body(full(request_json("text", json!([size]), 1)))
        .unwrap();
    let response = timeout(WAIT, client.request(request))
        .await
        .expect("answered in time")
        .expect("the request is answered");
    assert_eq!(response.version(), Version::HTTP_2);
    let mut body = response.into_body();
    let started = Instant::now();
    let (mut received, mut since_pause) = (0usize, 0usize);
    // Flow control holds the server back while the client pauses: the
    // answer's request stays in flight until nearly all of it is sent.
    while let Some(frame) = timeout(WAIT, body.frame()).await.expect("data in time") {
        let Ok(data) = frame.expect("the answer is not cut").into_data() else {
            continue;
        };
        received += data.len();
        since_pause += data.len();
        if since_pause >= 512 << 10 {
            since_pause = 0;
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    assert!(
        started.elapsed() > Duration::from_millis(500),
        "the reading took several timeouts"
    );
    assert!(received > size, "the answer was cut after {received} bytes");
}

#[tokio::test]
async fn an_idle_http2_connection_is_closed_even_while_its_client_pings() {
    let stats = Stats::new();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .header_read_timeout(Duration::from_millis(200))
            .stats(&stats)
            .mount("/", test_router()),
    )
    .await;
    let client: TestClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .timer(hyper_util::rt::TokioTimer::new())
        .http2_keep_alive_interval(Duration::from_millis(30))
        .http2_keep_alive_while_idle(true)
        .build_http();
    let reply = send(
        &client,
        post(addr, "/")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.version, Version::HTTP_2);
    assert_eq!(stats.snapshot().connections_active, 1);
    eventually("the idle, pinging connection is closed", || {
        stats.snapshot().connections_active == 0
    })
    .await;
}
