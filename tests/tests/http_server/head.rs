//! HTTP/1 request heads that RFC 9112 makes the server refuse and hyper
//! leaves to it: no `Host`, two of them, an invalid one (section 3.2: `400`),
//! and a transfer coding other than `chunked` (section 6.1: `501`, never
//! the coded bytes parsed as JSON).

use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{header_values, read_response, start, test_router};
use rpc_http::Server;

const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;

/// Sends `head` (up to its blank line) with the ping body; the answer.
async fn send_head(head: &str) -> (u16, String, String) {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!("{head}Content-Length: {}\r\n\r\n{PING}", PING.len());
    stream.write_all(request.as_bytes()).await.unwrap();
    read_response(&mut stream).await
}

fn refusal_data(body: &str) -> String {
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error"]["code"], -32600, "{body}");
    body["error"]["data"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn an_http_1_1_request_without_host_gets_400() {
    let (status, head, body) = send_head("POST / HTTP/1.1\r\n").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(header_values(&head, "connection"), ["close"]);
    assert!(refusal_data(&body).contains("needs a Host"), "{body}");
}

#[tokio::test]
async fn a_request_with_two_host_headers_gets_400() {
    let (status, _, body) = send_head("POST / HTTP/1.1\r\nHost: a\r\nHost: b\r\n").await;
    assert_eq!(status, 400, "{body}");
    assert!(refusal_data(&body).contains("only one Host"), "{body}");
}

#[tokio::test]
async fn an_invalid_host_gets_400() {
    for host in [
        "bad host",
        "a/b",
        "user@example.com",
        "example.com:80x",
        "[::1",
    ] {
        let (status, _, body) = send_head(&format!("POST / HTTP/1.1\r\nHost: {host}\r\n")).await;
        assert_eq!(status, 400, "Host: {host}: {body}");
        assert!(refusal_data(&body).contains("not a valid"), "{body}");
    }
}

#[tokio::test]
async fn valid_hosts_and_http_1_0_without_host_are_served() {
    for head in [
        "POST / HTTP/1.1\r\nHost: localhost\r\n",
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n",
        "POST / HTTP/1.1\r\nHost: [::1]:8080\r\n",
        "POST / HTTP/1.1\r\nHost: xn--bcher-kva.example\r\n",
        "POST / HTTP/1.1\r\nHost: \r\n",
        "POST / HTTP/1.0\r\n",
    ] {
        let (status, _, body) = send_head(head).await;
        assert_eq!(status, 200, "{head:?}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["result"], "pong", "{head:?}");
    }
}

#[tokio::test]
async fn a_transfer_coding_other_than_chunked_gets_501_and_is_never_parsed() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    for coding in [
        "gzip, chunked",
        "deflate, chunked",
        "chunked, chunked, gzip",
    ] {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // What the body would be: gzip bytes, chunked.
        let request = format!(
            "POST / HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: {coding}\r\n\r\n4\r\n\x1f\u{8b}\x08\x00\r\n0\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.unwrap();
        let (status, head, body) = read_response(&mut stream).await;
        if coding.ends_with("chunked") {
            assert_eq!(status, 501, "{coding}: {body}");
            assert_eq!(header_values(&head, "connection"), ["close"]);
            assert!(refusal_data(&body).contains("Transfer-Encoding"), "{body}");
        } else {
            // hyper refuses a coding list that does not end in chunked itself.
            assert_eq!(status, 400, "{coding}: {body}");
        }
        assert!(!body.contains("-32700"), "{body}");
    }
}

#[tokio::test]
async fn a_chunked_body_is_still_read() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{PING}\r\n0\r\n\r\n",
        PING.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await;
    assert_eq!(status, 200, "{body}");
}
