//! What the feature files share: starting servers, the hyper-util clients
//! and a response read whole ([`Reply`]), raw HTTP/1.1 over TCP for what a
//! full client would hide, the router most tests call, bounded waits.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderMap, Method, Request, StatusCode, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::{Context, Error, ErrorCode, Params, Router};
use rpc_http::{Server, ServerHandle};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The longest any single step may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

pub(crate) type Body = BoxBody<Bytes, Infallible>;
pub(crate) type TestClient = Client<HttpConnector, Body>;

pub(crate) fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}

pub(crate) fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A client that speaks HTTP/2 with prior knowledge.
pub(crate) fn http2_client() -> TestClient {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

/// A response, read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) version: Version,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Reply {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a text header"))
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("the body is not JSON ({err}): {:?}", self.text()))
    }
}

pub(crate) async fn send(client: &TestClient, request: Request<Body>) -> Reply {
    timeout(WAIT, async {
        let response = client
            .request(request)
            .await
            .expect("the request is answered");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("the body arrives").to_bytes();
        Reply {
            status: parts.status,
            version: parts.version,
            headers: parts.headers,
            body,
        }
    })
    .await
    .expect("answered in time")
}

/// A request to `path` on the server at `addr`.
pub(crate) fn request(method: Method, addr: SocketAddr, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
}

/// A JSON `POST`.
pub(crate) fn post(addr: SocketAddr, path: &str) -> http::request::Builder {
    request(Method::POST, addr, path).header(CONTENT_TYPE, "application/json")
}

/// `POST`s `body` as JSON to `path` and reads the answer.
pub(crate) async fn call(addr: SocketAddr, path: &str, body: &str) -> Reply {
    send(
        &client(),
        post(addr, path).body(full(body.to_owned())).unwrap(),
    )
    .await
}

pub(crate) async fn start(server: Server) -> (ServerHandle, SocketAddr) {
    let handle = timeout(WAIT, server.start())
        .await
        .expect("the server starts in time")
        .expect("the server starts");
    let addr = handle.local_addr().expect("a TCP server has an address");
    (handle, addr)
}

/// Waits until `condition` holds.
pub(crate) async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let wait = async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {WAIT:?}"));
}

pub(crate) fn request_json(method: &str, params: Value, id: i64) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string()
}

/// The methods most tests call.
pub(crate) fn test_router() -> Router {
    let mut router = Router::new();
    router
        .method("ping", |_: Params<'_>, _: &Context| Ok::<_, Error>("pong"))
        .unwrap()
        .method("echo", |params: Params<'_>, _: &Context| {
            params.parse::<Value>()
        })
        .unwrap()
        .method("subtract", |params: Params<'_>, _: &Context| {
            let (minuend, subtrahend): (i64, i64) = params.decode(&["minuend", "subtrahend"])?;
            Ok::<_, Error>(minuend - subtrahend)
        })
        .unwrap()
        .method("text", |params: Params<'_>, _: &Context| {
            let (n,): (usize,) = params.decode(&["n"])?;
            Ok::<_, Error>("x".repeat(n))
        })
        .unwrap()
        .method("uncompressed_text", |params: Params<'_>, ctx: &Context| {
            rpc_http::skip_compression(ctx);
            let (n,): (usize,) = params.decode(&["n"])?;
            Ok::<_, Error>("x".repeat(n))
        })
        .unwrap()
        .method("fail", |_: Params<'_>, _: &Context| {
            Err::<(), _>(Error::new(ErrorCode::new(42), "refused"))
        })
        .unwrap()
        .async_method("sleep", |params: Params<'_>, _: &Context| {
            Box::pin(async move {
                let (ms,): (u64,) = params.decode(&["ms"])?;
                tokio::time::sleep(Duration::from_millis(ms)).await;
                Ok::<_, Error>(ms)
            })
        })
        .unwrap();
    router
}

/// A call to `echo` whose body is about `size` bytes long.
pub(crate) fn padded_call(size: usize) -> String {
    let overhead = request_json("echo", json!({"pad": ""}), 1).len();
    let pad = "p".repeat(size.saturating_sub(overhead));
    request_json("echo", json!({ "pad": pad }), 1)
}

pub(crate) async fn get(addr: SocketAddr, path_and_query: &str) -> Reply {
    send(
        &client(),
        request(Method::GET, addr, path_and_query)
            .body(full(""))
            .unwrap(),
    )
    .await
}

// ---------------------------------------------------------------------------
// Raw HTTP/1.1 over TCP, for what a full client would hide.

/// A raw HTTP/1.1 request with a `Content-Length`.
pub(crate) fn raw_request(
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// Connects and sends one raw `POST /` with `body`.
pub(crate) async fn post_raw(addr: SocketAddr, body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(&raw_request("POST", "/", &[], body))
        .await
        .unwrap();
    stream
}

/// Where the body of a raw HTTP/1 message starts: just past its head.
pub(crate) fn head_end(message: &[u8]) -> Option<usize> {
    message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| at + 4)
}

/// One response read from a raw connection: its status, its head (status
/// line and headers) and its body (which must have a `Content-Length`).
pub(crate) async fn read_response(stream: &mut TcpStream) -> (u16, String, String) {
    timeout(WAIT, async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(end) = head_end(&buffer) {
                break end;
            }
            let n = stream.read(&mut chunk).await.expect("the response arrives");
            assert!(n > 0, "the connection closed before a response");
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).expect("a text head");
        let status: u16 = head[9..12].parse().expect("a status code");
        let length: usize = header_values(&head, "content-length")
            .first()
            .map_or(0, |value| value.parse().expect("a content length"));
        while buffer.len() < head_end + length {
            let n = stream.read(&mut chunk).await.expect("the body arrives");
            assert!(n > 0, "the connection closed inside a body");
            buffer.extend_from_slice(&chunk[..n]);
        }
        let body = String::from_utf8(buffer[head_end..head_end + length].to_vec()).unwrap();
        (status, head, body)
    })
    .await
    .expect("a response in time")
}

/// Every value of header `name` in a raw response head.
pub(crate) fn header_values(head: &str, name: &str) -> Vec<String> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_owned())
        .collect()
}

/// Whether the peer closes the connection within `limit` (reading and
/// discarding whatever it sends first).
pub(crate) async fn closes_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let drained = async {
        let mut chunk = [0u8; 1024];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    timeout(limit, drained).await.is_ok()
}
