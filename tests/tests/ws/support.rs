//! Helpers shared by the WebSocket tests.

use std::future::Future;
use std::time::Duration;

use rpc_core::{Context, Error, Params, Router};
use rpc_http::{Server, ServerHandle, WsClient};

/// Every wait is bounded by this, so a broken feature fails instead of hanging.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("the step finished within the time limit")
}

/// A server on a free port with `router` at `/`; its `ws://` URL.
pub(crate) async fn start(server: Server) -> (ServerHandle, String) {
    let handle = within(server.start()).await.expect("the server starts");
    let url = format!("ws://{}/", handle.local_addr().unwrap());
    (handle, url)
}

pub(crate) async fn start_router(router: Router) -> (ServerHandle, String) {
    start(Server::bind("127.0.0.1:0").mount("/", router)).await
}

pub(crate) async fn connect(url: &str) -> WsClient {
    within(WsClient::connect(url))
        .await
        .expect("the client connects")
}

/// A bare WebSocket to `url`, for tests that write frames by hand.
pub(crate) async fn raw_connect(
    url: &str,
) -> fastwebsockets::WebSocket<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>> {
    let uri: http::Uri = url.parse().unwrap();
    let authority = uri.authority().unwrap().to_string();
    let stream = tokio::net::TcpStream::connect(authority.as_str())
        .await
        .unwrap();
    let request = http::Request::builder()
        .uri(uri.path())
        .header("host", authority)
        .header("upgrade", "websocket")
        .header("connection", "upgrade")
        .header(
            "sec-websocket-key",
            fastwebsockets::handshake::generate_key(),
        )
        .header("sec-websocket-version", "13")
        .body(http_body_util::Empty::<bytes::Bytes>::new())
        .unwrap();
    let (mut socket, _) = within(fastwebsockets::handshake::client(&Spawn, request, stream))
        .await
        .expect("the handshake succeeds");
    socket.set_auto_close(false);
    socket
}

struct Spawn;

impl<F> hyper::rt::Executor<F> for Spawn
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    fn execute(&self, future: F) {
        tokio::spawn(future);
    }
}

/// The next text frame of a bare socket, as JSON.
pub(crate) async fn next_json<S>(socket: &mut fastwebsockets::WebSocket<S>) -> serde_json::Value
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        let frame = within(socket.read_frame()).await.expect("a frame comes");
        match frame.opcode {
            fastwebsockets::OpCode::Text => {
                return serde_json::from_slice(&frame.payload).expect("the server writes JSON")
            }
            fastwebsockets::OpCode::Close => panic!("closed: {:?}", close_of(&frame.payload)),
            _ => continue,
        }
    }
}

/// The code of a close frame's payload.
pub(crate) fn close_of(payload: &[u8]) -> Option<u16> {
    (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]))
}

/// Reads frames until the close frame; its code.
pub(crate) async fn close_code<S>(socket: &mut fastwebsockets::WebSocket<S>) -> Option<u16>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    loop {
        match within(socket.read_frame()).await {
            Ok(frame) if frame.opcode == fastwebsockets::OpCode::Close => {
                return close_of(&frame.payload)
            }
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}

/// Sends `text` as one text frame.
pub(crate) async fn send_text<S>(socket: &mut fastwebsockets::WebSocket<S>, text: &str)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    socket
        .write_frame(fastwebsockets::Frame::text(fastwebsockets::Payload::Owned(
            text.as_bytes().to_vec(),
        )))
        .await
        .unwrap();
}

/// `echo(text)`: answers its argument.
pub(crate) fn echo() -> Router {
    let mut router = Router::new();
    router
        .method("echo", |params: Params<'_>, _: &Context| {
            let (text,): (String,) = params.decode(&["text"])?;
            Ok::<_, Error>(text)
        })
        .unwrap();
    router
}
