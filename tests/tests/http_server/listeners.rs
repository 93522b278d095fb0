//! Listeners other than `Server::bind`: one bound by the caller, a Unix socket.

use rpc_core::{Context, Error, Params};
use rpc_http::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::timeout;

use crate::support::{call, raw_request, start, test_router, WAIT};

#[tokio::test]
async fn a_server_runs_on_a_listener_bound_by_the_caller() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let bound = listener.local_addr().unwrap();
    let (_server, addr) = start(Server::from_listener(listener).mount("/", test_router())).await;
    assert_eq!(addr, bound);
    let reply = call(addr, "/", r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
    assert_eq!(reply.json()["result"], "pong");
}

#[cfg(unix)]
#[tokio::test]
async fn a_server_runs_on_a_unix_socket_and_replaces_only_a_stale_one() {
    use tokio::net::UnixStream;

    let dir = std::env::temp_dir().join(format!("rpc-http-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("rpc.sock");
    let _ = std::fs::remove_file(&path);

    // A socket file left behind by a listener that is gone.
    drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
    assert!(path.exists());

    let mut router = test_router();
    router
        .method("peer", |_: Params<'_>, ctx: &Context| {
            Ok::<_, Error>(ctx.peer_addr().map(|addr| addr.to_string()))
        })
        .unwrap();
    let server = timeout(WAIT, Server::bind_unix(&path).mount("/", router).start())
        .await
        .unwrap()
        .expect("a stale socket file is replaced");
    assert_eq!(server.local_addr(), None);

    let mut stream = UnixStream::connect(&path).await.unwrap();
    stream
        .write_all(&raw_request(
            "POST",
            "/",
            &[],
            r#"{"jsonrpc":"2.0","method":"peer","id":1}"#,
        ))
        .await
        .unwrap();
    let answer = timeout(WAIT, async {
        let mut text = Vec::new();
        let mut chunk = [0u8; 1024];
        while !text.ends_with(b"}") {
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "closed early");
            text.extend_from_slice(&chunk[..n]);
        }
        String::from_utf8(text).unwrap()
    })
    .await
    .expect("an answer over the Unix socket");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.ends_with(r#"{"jsonrpc":"2.0","result":null,"id":1}"#),
        "{answer}"
    );

    // A live socket is not taken over, nor is a file that is not a socket.
    assert!(Server::bind_unix(&path).start().await.is_err());
    let plain = dir.join("not-a-socket");
    std::fs::write(&plain, b"keep me").unwrap();
    assert!(Server::bind_unix(&plain).start().await.is_err());
    assert_eq!(std::fs::read(&plain).unwrap(), b"keep me");

    server.shutdown();
    timeout(WAIT, server.stopped()).await.unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}
