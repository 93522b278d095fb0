//! Compression: answers compressed as the client accepts, and request bodies
//! decompressed (and limited after decompression) or refused with 415.

use std::io::{Read, Write};
use std::net::SocketAddr;

use http::StatusCode;
use rpc_http::{Compression, HttpConfig, Server};
use serde_json::{json, Value};

use crate::support::{
    call, client, full, padded_call, post, request_json, send, start, test_router, Reply,
};

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("a gzip body");
    out
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(body).unwrap();
    encoder.finish().unwrap()
}

async fn call_accepting(addr: SocketAddr, body: &str, accept_encoding: &str) -> Reply {
    send(
        &client(),
        post(addr, "/")
            .header("accept-encoding", accept_encoding)
            .body(full(body.to_owned()))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn large_answers_are_compressed_as_the_client_accepts() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let big = request_json("text", json!([10_000]), 1);
    let expected = json!({"jsonrpc": "2.0", "result": "x".repeat(10_000), "id": 1});

    let reply = call_accepting(addr, &big, "gzip").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert!(reply.body.len() < 1_000, "compressed: {}", reply.body.len());
    let plain: Value = serde_json::from_slice(&gunzip(&reply.body)).unwrap();
    assert_eq!(plain, expected);

    for encoding in ["br", "zstd"] {
        let reply = call_accepting(addr, &big, encoding).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.header("content-encoding"), Some(encoding));
        assert!(
            reply.body.len() < 1_000,
            "{encoding}: {} bytes",
            reply.body.len()
        );
    }

    // Not asked for: not compressed.
    let reply = call(addr, "/", &big).await;
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.json(), expected);

    // Small answers are not worth it.
    let reply = call_accepting(addr, &request_json("ping", json!([]), 2), "gzip").await;
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.json()["result"], "pong");
}

#[tokio::test]
async fn answers_of_exactly_the_minimum_size_are_compressed_and_smaller_ones_not() {
    // The default minimum is 1 KiB: "answers of 1 KiB or more".
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let overhead = call(addr, "/", &request_json("text", json!([0]), 1))
        .await
        .body
        .len();
    let sized = |total: usize| request_json("text", json!([total - overhead]), 1);

    let reply = call_accepting(addr, &sized(1023), "gzip").await;
    assert_eq!(reply.header("content-encoding"), None);
    assert_eq!(reply.body.len(), 1023);

    let reply = call_accepting(addr, &sized(1024), "gzip").await;
    assert_eq!(reply.header("content-encoding"), Some("gzip"));
    assert_eq!(gunzip(&reply.body).len(), 1024);
}

#[tokio::test]
async fn compression_off_never_compresses() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .compression(Compression::off())
            .mount("/", test_router()),
    )
    .await;
    let big = request_json("text", json!([10_000]), 1);
    for encoding in ["gzip", "br", "zstd", "gzip, br, zstd", "*"] {
        let reply = call_accepting(addr, &big, encoding).await;
        assert_eq!(reply.status, StatusCode::OK, "{encoding}");
        assert_eq!(reply.header("content-encoding"), None, "{encoding}");
        assert_eq!(reply.json()["result"].as_str().map(str::len), Some(10_000));
    }
}

#[tokio::test]
async fn skip_compression_keeps_an_answer_uncompressed() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let reply = call_accepting(
        addr,
        &request_json("uncompressed_text", json!([10_000]), 1),
        "gzip, br, zstd",
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Not compressed, and no `Content-Encoding: identity` on the wire either.
    assert_eq!(
        reply.header("content-encoding"),
        None,
        "{:?}",
        reply.headers
    );
    assert_eq!(reply.body.len(), reply.json().to_string().len());
    assert_eq!(reply.json()["result"].as_str().map(str::len), Some(10_000));
}

#[tokio::test]
async fn gzip_request_bodies_are_accepted_and_limited_after_decompression() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_max_body_size(1_000))
            .mount("/", test_router()),
    )
    .await;
    let client = client();
    let body = request_json("echo", json!({"a": 1, "b": "x"}), 1);
    // Codings are case-insensitive, `x-gzip` is gzip and `identity` adds nothing.
    for coding in ["gzip", "GZIP", "x-gzip", "identity, gzip"] {
        let reply = send(
            &client,
            post(addr, "/")
                .header("content-encoding", coding)
                .body(full(gzip(body.as_bytes())))
                .unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{coding}: {}", reply.text());
        assert_eq!(
            reply.json()["result"],
            json!({"a": 1, "b": "x"}),
            "{coding}"
        );
    }
    // Two codings on top of each other are refused, saying why.
    let reply = send(
        &client,
        post(addr, "/")
            .header("content-encoding", "gzip, br")
            .body(full(gzip(body.as_bytes())))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(reply.json()["error"]["data"]
        .as_str()
        .unwrap()
        .contains("gzip, br"));

    // Small on the wire, over the limit once inflated.
    let bomb = gzip(padded_call(5_000).as_bytes());
    assert!(bomb.len() < 1_000);
    let reply = send(
        &client,
        post(addr, "/")
            .header("content-encoding", "gzip")
            .body(full(bomb))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn an_unsupported_request_encoding_is_refused_with_415() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let reply = send(
        &client(),
        post(addr, "/")
            .header("content-encoding", "compress")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // Saying what is accepted (RFC 9110, 15.5.16), and why, as every refusal does.
    let accepted = reply.header("accept-encoding").unwrap_or_default();
    assert!(accepted.contains("gzip"), "{:?}", reply.headers);
    assert_eq!(reply.json()["error"]["code"], -32600);
    assert!(reply.json()["error"]["data"]
        .as_str()
        .unwrap()
        .contains("compress"));

    // Refused inside the CORS layer: a browser on another origin can read why.
    let reply = send(
        &client(),
        post(addr, "/")
            .header("origin", "https://app.example")
            .header("content-encoding", "compress")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(reply.json()["error"]["data"]
        .as_str()
        .unwrap()
        .contains("compress"));
}
