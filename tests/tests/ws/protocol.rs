//! The wire over a bare socket: frames in, frames out.

use fastwebsockets::{Frame, OpCode, Payload};
use rpc_http::{HttpConfig, Server, WsConfig};
use serde_json::json;

use crate::support::{close_code, echo, next_json, raw_connect, send_text, start, start_router};

#[tokio::test]
async fn batches_notifications_binary_frames_and_bad_json() {
    let (server, url) = start_router(echo()).await;
    let mut socket = raw_connect(&url).await;
    send_text(
        &mut socket,
        r#"[{"jsonrpc":"2.0","method":"echo","params":["a"],"id":1},{"jsonrpc":"2.0","method":"echo","params":["b"]},{"jsonrpc":"2.0","method":"nope","id":2}]"#,
    )
    .await;
    let answer = next_json(&mut socket).await;
    assert_eq!(answer[0], json!({"jsonrpc":"2.0","result":"a","id":1}));
    assert_eq!(answer[1]["error"]["code"], -32601);
    assert_eq!(
        answer.as_array().unwrap().len(),
        2,
        "the notification is not answered"
    );

    // A notification gets nothing: the next frame answers the next request.
    send_text(
        &mut socket,
        r#"{"jsonrpc":"2.0","method":"echo","params":["quiet"]}"#,
    )
    .await;
    socket
        .write_frame(Frame::binary(Payload::Owned(
            br#"{"jsonrpc":"2.0","method":"echo","params":["binary"],"id":3}"#.to_vec(),
        )))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut socket).await,
        json!({"jsonrpc":"2.0","result":"binary","id":3})
    );

    send_text(&mut socket, "{not json").await;
    let answer = next_json(&mut socket).await;
    assert_eq!(answer["error"]["code"], -32700);
    assert_eq!(answer["id"], json!(null));

    // A message in fragments is joined.
    socket
        .write_frame(Frame::new(
            false,
            OpCode::Text,
            None,
            Payload::Owned(br#"{"jsonrpc":"2.0","method":"echo","#.to_vec()),
        ))
        .await
        .unwrap();
    socket
        .write_frame(Frame::new(
            true,
            OpCode::Continuation,
            None,
            Payload::Owned(br#""params":["joined"],"id":4}"#.to_vec()),
        ))
        .await
        .unwrap();
    assert_eq!(
        next_json(&mut socket).await,
        json!({"jsonrpc":"2.0","result":"joined","id":4})
    );
    server.shutdown();
    crate::support::within(server.stopped()).await;
}

#[tokio::test]
async fn an_oversized_message_closes_with_1009_and_bad_utf8_with_1007() {
    let config = HttpConfig::new().with_websocket(
        WsConfig::new()
            .with_max_message_size(1000)
            .with_max_frame_size(600),
    );
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", echo())
            .config(config),
    )
    .await;

    let mut socket = raw_connect(&url).await;
    let big = format!(
        r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":1}}"#,
        "x".repeat(700)
    );
    send_text(&mut socket, &big).await;
    assert_eq!(
        close_code(&mut socket).await,
        Some(1009),
        "a frame over the frame limit"
    );

    let mut socket = raw_connect(&url).await;
    for part in 0..3 {
        let opcode = if part == 0 {
            OpCode::Text
        } else {
            OpCode::Continuation
        };
        socket
            .write_frame(Frame::new(
                part == 2,
                opcode,
                None,
                Payload::Owned(vec![b' '; 400]),
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        close_code(&mut socket).await,
        Some(1009),
        "fragments joining past the message limit"
    );

    let mut socket = raw_connect(&url).await;
    socket
        .write_frame(Frame::text(Payload::Owned(vec![b'"', 0xff, 0xfe, b'"'])))
        .await
        .unwrap();
    assert_eq!(close_code(&mut socket).await, Some(1007));

    // The server goes on.
    let mut socket = raw_connect(&url).await;
    send_text(
        &mut socket,
        r#"{"jsonrpc":"2.0","method":"echo","params":["still here"],"id":1}"#,
    )
    .await;
    assert_eq!(next_json(&mut socket).await["result"], "still here");
    server.shutdown();
    crate::support::within(server.stopped()).await;
}

#[tokio::test]
async fn post_and_websocket_share_the_mount_and_disabled_websocket_is_refused() {
    let (server, url) = start_router(echo()).await;
    let http = rpc_http::HttpClient::new(&url.replace("ws://", "http://")).unwrap();
    let text: String =
        crate::support::within(rpc_core::client::Client::new(http).request("echo", ("over http",)))
            .await
            .unwrap();
    assert_eq!(text, "over http");
    server.shutdown();
    crate::support::within(server.stopped()).await;

    let off = HttpConfig::new().with_websocket(WsConfig::new().with_enabled(false));
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", echo()).config(off)).await;
    let err = rpc_http::WsClient::connect(&url).await.unwrap_err();
    assert_eq!(
        err.status(),
        Some(http::StatusCode::METHOD_NOT_ALLOWED),
        "{err:?}"
    );
    server.shutdown();
    crate::support::within(server.stopped()).await;
}

#[tokio::test]
async fn answers_of_every_frame_length_arrive_whole_and_in_order() {
    let (server, url) = start_router(echo()).await;
    let mut socket = raw_connect(&url).await;
    // `{"jsonrpc":"2.0","result":"…","id":N}`: 31 bytes and the id around the text,
    // so these cross each length encoding's edge (125, 65535) and the
    // server's write-out point (64 KiB), some written together.
    let sizes = [
        0, 92, 93, 94, 95, 1000, 65_000, 65_502, 65_503, 65_504, 70_000, 300_000, 3,
    ];
    for (id, size) in sizes.iter().enumerate() {
        let request = format!(
            r#"{{"jsonrpc":"2.0","method":"echo","params":["{}"],"id":{id}}}"#,
            "z".repeat(*size)
        );
        send_text(&mut socket, &request).await;
    }
    for (id, size) in sizes.iter().enumerate() {
        let answer = next_json(&mut socket).await;
        assert_eq!(answer["id"], json!(id));
        assert_eq!(answer["result"].as_str().map(str::len), Some(*size));
    }
    server.shutdown();
}
