//! End-to-end tests of `rpc_http::Server` over real sockets on 127.0.0.1,
//! with third-party clients (hyper-util's client and raw TCP writes), so
//! that what is checked is the bytes on the wire.
//!
//! Every wait is bounded: a broken feature fails its test instead of hanging it.

use std::convert::Infallible;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, StatusCode, Version};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::{Context, Cookie, Error, ErrorCode, Params, Router, SameSite};
use rpc_http::cors::CorsLayer;
use rpc_http::{Compression, HttpConfig, Server, ServerHandle, Stats};
use serde_json::{json, Value};
use tests::{spec_examples, spec_router, without_error_data};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio::time::timeout;

/// The longest any single step may take before the test fails.
const WAIT: Duration = Duration::from_secs(10);

type Body = BoxBody<Bytes, Infallible>;
type TestClient = Client<HttpConnector, Body>;

fn full(body: impl Into<Bytes>) -> Body {
    Full::new(body.into()).boxed()
}

fn client() -> TestClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// A client that speaks HTTP/2 with prior knowledge.
fn http2_client() -> TestClient {
    Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http()
}

/// A response, read whole.
#[derive(Debug)]
struct Reply {
    status: StatusCode,
    version: Version,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|value| value.to_str().expect("a text header"))
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|err| panic!("the body is not JSON ({err}): {:?}", self.text()))
    }
}

async fn send(client: &TestClient, request: Request<Body>) -> Reply {
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
fn request(method: Method, addr: SocketAddr, path: &str) -> http::request::Builder {
    Request::builder()
        .method(method)
        .uri(format!("http://{addr}{path}"))
}

/// A JSON `POST`.
fn post(addr: SocketAddr, path: &str) -> http::request::Builder {
    request(Method::POST, addr, path).header(CONTENT_TYPE, "application/json")
}

/// `POST`s `body` as JSON to `path` and reads the answer.
async fn call(addr: SocketAddr, path: &str, body: &str) -> Reply {
    send(
        &client(),
        post(addr, path).body(full(body.to_owned())).unwrap(),
    )
    .await
}

async fn start(server: Server) -> (ServerHandle, SocketAddr) {
    let handle = timeout(WAIT, server.start())
        .await
        .expect("the server starts in time")
        .expect("the server starts");
    let addr = handle.local_addr().expect("a TCP server has an address");
    (handle, addr)
}

/// The test router at `/` behind a 200 ms header read timeout.
async fn start_impatient() -> (ServerHandle, SocketAddr) {
    start(
        Server::bind("127.0.0.1:0")
            .header_read_timeout(Duration::from_millis(200))
            .mount("/", test_router()),
    )
    .await
}

/// Waits until `condition` holds.
async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let wait = async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    };
    timeout(WAIT, wait)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {WAIT:?}"));
}

fn request_json(method: &str, params: Value, id: i64) -> String {
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string()
}

/// The methods most tests call.
fn test_router() -> Router {
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

// ---------------------------------------------------------------------------
// Raw HTTP/1.1 over TCP, for what a full client would hide.

/// A raw HTTP/1.1 request with a `Content-Length`.
fn raw_request(method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: localhost\r\n");
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    text.into_bytes()
}

/// Connects and sends one raw `POST /` with `body`.
async fn post_raw(addr: SocketAddr, body: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(&raw_request("POST", "/", &[], body))
        .await
        .unwrap();
    stream
}

/// One response read from a raw connection: its status, its head (status
/// line and headers) and its body (which must have a `Content-Length`).
async fn read_response(stream: &mut TcpStream) -> (u16, String, String) {
    timeout(WAIT, async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 4096];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
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
fn header_values(head: &str, name: &str) -> Vec<String> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .filter(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().to_owned())
        .collect()
}

/// Whether the peer closes the connection within `limit` (reading and
/// discarding whatever it sends first).
async fn closes_within(stream: &mut TcpStream, limit: Duration) -> bool {
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

// ---------------------------------------------------------------------------
// 1. The examples of section 7 of the JSON-RPC 2.0 specification.

/// Batch answers may come in any order (section 6): compare them as sets.
fn normalized(answer: Value) -> Value {
    match without_error_data(answer) {
        Value::Array(mut items) => {
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        other => other,
    }
}

#[tokio::test]
async fn specification_examples_over_http() {
    let (router, updates) = spec_router();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let examples = spec_examples();
    for (input, expected) in examples {
        let reply = call(addr, "/", input).await;
        assert_eq!(reply.status, StatusCode::OK, "{input}");
        match expected {
            Some(expected) => {
                assert_eq!(reply.header("content-type"), Some("application/json"));
                assert_eq!(
                    normalized(reply.json()),
                    normalized(expected),
                    "answer to {input}"
                );
            }
            None => assert!(
                reply.body.is_empty(),
                "a notification-only message gets an empty body, not {:?}",
                reply.text()
            ),
        }
    }
    eventually("the `update` notification ran", || {
        updates.load(Ordering::SeqCst) == 1
    })
    .await;
}

// ---------------------------------------------------------------------------
// 2. Notifications are acknowledged before they run.

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

// ---------------------------------------------------------------------------
// 3. Content types.

#[tokio::test]
async fn json_content_types_are_accepted_and_others_refused() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client = client();
    let ping = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;
    let with_type = |content_type: Option<&str>| {
        let mut builder = request(Method::POST, addr, "/");
        if let Some(content_type) = content_type {
            builder = builder.header(CONTENT_TYPE, content_type);
        }
        builder.body(full(ping)).unwrap()
    };
    for accepted in [
        Some("application/json"),
        Some("Application/JSON; charset=UTF-8"),
        Some("application/json-rpc"),
        Some("application/jsonrequest"),
        None,
    ] {
        let reply = send(&client, with_type(accepted)).await;
        assert_eq!(reply.status, StatusCode::OK, "{accepted:?}");
        assert_eq!(
            reply.json(),
            json!({"jsonrpc": "2.0", "result": "pong", "id": 1}),
            "{accepted:?}"
        );
    }
    for refused in ["text/plain", "application/json; charset=latin1"] {
        let reply = send(&client, with_type(Some(refused))).await;
        assert_eq!(
            reply.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{refused}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
        let body = reply.json();
        assert_eq!(body["jsonrpc"], "2.0");
        assert_eq!(body["error"]["code"], -32600, "{body}");
        assert!(body["error"]["data"].is_string(), "a reason: {body}");
    }
    // The first Content-Type decides, however many headers come with it (the
    // server reads a few headers in one walk, many by lookup).
    for extra in [0, 12] {
        for (types, status) in [
            (
                ["text/plain", "application/json"],
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ),
            (["application/json", "text/plain"], StatusCode::OK),
        ] {
            let mut builder = request(Method::POST, addr, "/");
            for n in 0..extra {
                builder = builder.header(format!("x-extra-{n}"), "1");
            }
            for content_type in types {
                builder = builder.header(CONTENT_TYPE, content_type);
            }
            let reply = send(&client, builder.body(full(ping)).unwrap()).await;
            assert_eq!(reply.status, status, "{types:?} with {extra} more headers");
        }
    }
}

// ---------------------------------------------------------------------------
// 4. HTTP methods and paths.

#[tokio::test]
async fn other_http_methods_get_405_with_allow_and_unknown_paths_404() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .without_cors()
            .mount("/api", test_router()),
    )
    .await;
    let client = client();
    for (method, path) in [
        (Method::PUT, "/api"),
        (Method::DELETE, "/api/"),
        (Method::GET, "/api"),
        (Method::HEAD, "/api"),
    ] {
        let reply = send(
            &client,
            request(method.clone(), addr, path).body(full("")).unwrap(),
        )
        .await;
        assert_eq!(
            reply.status,
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        assert_eq!(
            reply.header("allow"),
            Some("POST, OPTIONS"),
            "{method} {path}"
        );
        if method != Method::HEAD {
            assert_eq!(reply.json()["error"]["code"], -32600);
        }
    }
    let reply = send(
        &client,
        request(Method::OPTIONS, addr, "/api")
            .body(full(""))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));

    for path in ["/", "/other", "/api/ping", "/apix"] {
        let reply = call(addr, path, r#"{"jsonrpc":"2.0","method":"ping","id":1}"#).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(reply.json()["error"]["code"], -32600, "{path}");
    }
}

#[tokio::test]
async fn allow_names_get_where_the_get_fallback_answers() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .without_cors()
            .config(HttpConfig::new().get(true))
            .mount("/api", test_router()),
    )
    .await;
    // The endpoint takes POST; a method's path takes GET.
    for (method, path, status, allow) in [
        (
            Method::PUT,
            "/api",
            StatusCode::METHOD_NOT_ALLOWED,
            "POST, OPTIONS",
        ),
        (
            Method::OPTIONS,
            "/api",
            StatusCode::NO_CONTENT,
            "POST, OPTIONS",
        ),
        (
            Method::PUT,
            "/api/ping",
            StatusCode::METHOD_NOT_ALLOWED,
            "GET, OPTIONS",
        ),
        (
            Method::POST,
            "/api/ping",
            StatusCode::METHOD_NOT_ALLOWED,
            "GET, OPTIONS",
        ),
        (
            Method::OPTIONS,
            "/api/ping",
            StatusCode::NO_CONTENT,
            "GET, OPTIONS",
        ),
    ] {
        let reply = send(
            &client(),
            request(method.clone(), addr, path).body(full("")).unwrap(),
        )
        .await;
        assert_eq!(reply.status, status, "{method} {path}");
        assert_eq!(reply.header("allow"), Some(allow), "{method} {path}");
    }

    // GET on the endpoint itself names no method: told so, not "no endpoint".
    let reply = get(addr, "/api").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.json()["error"]["data"]
        .as_str()
        .unwrap()
        .contains("method name"));
    assert_eq!(
        get(addr, "/elsewhere/ping").await.status,
        StatusCode::NOT_FOUND
    );
}

// ---------------------------------------------------------------------------
// 5. Body size limit.

/// A call to `echo` whose body is about `size` bytes long.
fn padded_call(size: usize) -> String {
    let overhead = request_json("echo", json!({"pad": ""}), 1).len();
    let pad = "p".repeat(size.saturating_sub(overhead));
    request_json("echo", json!({ "pad": pad }), 1)
}

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
            .config(HttpConfig::new().max_body_size(100))
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
// 6. Context in and out.

#[tokio::test]
async fn methods_see_peer_headers_and_cookies_and_set_headers_and_cookies() {
    let mut router = Router::new();
    router
        .method("whoami", |_: Params<'_>, ctx: &Context| {
            ctx.set_header("x-served-by", "node-1");
            ctx.set_cookie(
                Cookie::new("seen", "1")
                    .path("/")
                    .max_age(60)
                    .http_only(true)
                    .same_site(SameSite::Lax),
            );
            ctx.set_cookie(Cookie::new("theme", "dark"));
            Ok::<_, Error>(json!({
                "peer": ctx.peer_addr().map(|addr| addr.to_string()),
                // Header names are case-insensitive.
                "client": ctx.header("X-CLIENT"),
                "session": ctx.cookie("session"),
                "connection": ctx.connection_id(),
            }))
        })
        .unwrap();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;

    let mut stream = TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    stream
        .write_all(&raw_request(
            "POST",
            "/",
            &[
                ("Content-Type", "application/json"),
                ("X-Client", "tester"),
                ("Cookie", "other=1; session=abc"),
            ],
            r#"{"jsonrpc":"2.0","method":"whoami","id":1}"#,
        ))
        .await
        .unwrap();
    let (status, head, body) = read_response(&mut stream).await;
    assert_eq!(status, 200);
    let body: Value = serde_json::from_str(&body).unwrap();
    let result = &body["result"];
    assert_eq!(result["peer"], local.to_string(), "{body}");
    assert!(local.ip().is_loopback());
    assert_eq!(result["client"], "tester");
    assert_eq!(result["session"], "abc");
    assert!(result["connection"].is_u64(), "{body}");
    assert_eq!(header_values(&head, "x-served-by"), ["node-1"]);
    assert_eq!(
        header_values(&head, "set-cookie"),
        [
            "seen=1; Path=/; Max-Age=60; HttpOnly; SameSite=Lax",
            "theme=dark"
        ]
    );
}

#[tokio::test]
async fn a_router_whose_methods_all_ignore_the_context_builds_none() {
    // Declared to ignore its context, yet it reads and writes it: what it
    // sees shows whether the server built one.
    let peek = || {
        rpc_core::Method::sync(|_: Params<'_>, ctx: &Context| {
            ctx.set_header("x-leaked", "1");
            Ok::<_, Error>(ctx.peer_addr().map(|addr| addr.to_string()))
        })
        .ignores_context()
    };
    let mut context_free = Router::new();
    context_free.add("peek", peek()).unwrap();
    assert!(!context_free.reads_context());
    let mut mixed = Router::new();
    mixed.add("peek", peek()).unwrap();
    mixed
        .method("peer", |_: Params<'_>, ctx: &Context| {
            Ok::<_, Error>(ctx.peer_addr().map(|addr| addr.to_string()))
        })
        .unwrap();
    assert!(mixed.reads_context());
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().get(true))
            .mount("/free", context_free)
            .mount("/mixed", mixed),
    )
    .await;

    // The GET fallback too.
    for (path, sees_peer) in [("/free/peek", false), ("/mixed/peek", true)] {
        let reply = send(
            &client(),
            request(Method::GET, addr, path).body(full("")).unwrap(),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["result"].is_string(), sees_peer, "{path}");
        assert_eq!(reply.headers.contains_key("x-leaked"), sees_peer, "{path}");
    }
    let peek = request_json("peek", json!([]), 1);
    for round in 0..2 {
        // No context built: the shared empty one, which drops what is set on it.
        let reply = call(addr, "/free", &peek).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["result"], Value::Null, "round {round}");
        assert!(!reply.headers.contains_key("x-leaked"), "round {round}");
        // A router with one method that reads it builds it for every message.
        let reply = call(addr, "/mixed", &peek).await;
        assert!(
            reply.json()["result"].is_string(),
            "round {round}: {:?}",
            reply.json()
        );
        assert_eq!(reply.headers["x-leaked"], "1");
    }
    // Nothing set on the shared empty context piles up.
    assert!(Context::empty().take_response_effects().is_empty());
}

#[tokio::test]
async fn notifications_of_a_context_free_router_run_with_the_empty_context() {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut router = Router::new();
    let record = Arc::clone(&seen);
    router
        .add(
            "note",
            rpc_core::Method::sync(move |_: Params<'_>, ctx: &Context| {
                record.lock().unwrap().push(ctx.peer_addr());
                Ok::<_, Error>(())
            })
            .ignores_context(),
        )
        .unwrap();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    for _ in 0..3 {
        let reply = call(addr, "/", r#"{"jsonrpc":"2.0","method":"note"}"#).await;
        assert_eq!(reply.status, StatusCode::OK);
        assert!(reply.body.is_empty());
    }
    eventually("the notifications ran", || seen.lock().unwrap().len() == 3).await;
    assert_eq!(*seen.lock().unwrap(), [None, None, None]);
}

// ---------------------------------------------------------------------------
// 7. CORS.

fn has_method(list: Option<&str>, method: &str) -> bool {
    list.is_some_and(|list| {
        list.split(',')
            .any(|m| m.trim().eq_ignore_ascii_case(method))
    })
}

#[tokio::test]
async fn cors_allows_any_origin_by_default() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client = client();
    let preflight = request(Method::OPTIONS, addr, "/")
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(full(""))
        .unwrap();
    let reply = send(&client, preflight).await;
    assert!(reply.status.is_success(), "{:?}", reply.status);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert!(
        has_method(reply.header("access-control-allow-methods"), "POST"),
        "{:?}",
        reply.headers
    );
    assert!(reply.header("access-control-max-age").is_some());

    let reply = send(
        &client,
        post(addr, "/")
            .header("origin", "http://example.com")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    assert_eq!(reply.json()["result"], "pong");
}

#[tokio::test]
async fn without_cors_sends_no_cors_headers() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .without_cors()
            .mount("/", test_router()),
    )
    .await;
    let client = client();
    let reply = send(
        &client,
        post(addr, "/")
            .header("origin", "http://example.com")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header("access-control-allow-origin"), None);

    let preflight = request(Method::OPTIONS, addr, "/")
        .header("origin", "http://example.com")
        .header("access-control-request-method", "POST")
        .body(full(""))
        .unwrap();
    let reply = send(&client, preflight).await;
    assert_eq!(reply.status, StatusCode::NO_CONTENT);
    assert_eq!(reply.header("allow"), Some("POST, OPTIONS"));
    assert_eq!(reply.header("access-control-allow-origin"), None);
    assert_eq!(reply.header("access-control-allow-methods"), None);
}

#[tokio::test]
async fn a_custom_cors_policy_echoes_only_allowed_origins() {
    let cors = CorsLayer::new()
        .allow_origin([HeaderValue::from_static("https://good.example")])
        .allow_methods([Method::POST]);
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .cors(cors)
            .mount("/", test_router()),
    )
    .await;
    let client = client();
    let ping_from = |origin: &str| {
        post(addr, "/")
            .header("origin", origin)
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap()
    };
    let reply = send(&client, ping_from("https://good.example")).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    let reply = send(&client, ping_from("https://evil.example")).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
    // Not the browser's business to stop a server: the call itself is answered.
    assert_eq!(reply.json()["result"], "pong");

    let preflight = |origin: &str| {
        request(Method::OPTIONS, addr, "/")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(full(""))
            .unwrap()
    };
    let reply = send(&client, preflight("https://good.example")).await;
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://good.example")
    );
    let reply = send(&client, preflight("https://evil.example")).await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
}

// ---------------------------------------------------------------------------
// 8. Compression.

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
            .config(HttpConfig::new().max_body_size(1_000))
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

// ---------------------------------------------------------------------------
// 9. The GET fallback and JSONP.

async fn get(addr: SocketAddr, path_and_query: &str) -> Reply {
    send(
        &client(),
        request(Method::GET, addr, path_and_query)
            .body(full(""))
            .unwrap(),
    )
    .await
}

#[tokio::test]
async fn get_calls_the_method_with_named_params_from_the_query() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().get(true))
            .mount("/", test_router())
            .mount("/api", test_router()),
    )
    .await;
    for path in ["/echo?a=1&b=x", "/api/echo?a=1&b=x"] {
        let reply = get(addr, path).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.json(),
            json!({"jsonrpc": "2.0", "result": {"a": 1, "b": "x"}, "id": null}),
            "{path}"
        );
    }
    let reply = get(addr, "/echo?list=%5B1%2C2%5D&flag=true&quoted=%221%22").await;
    assert_eq!(
        reply.json()["result"],
        json!({"list": [1, 2], "flag": true, "quoted": "1"})
    );
    let reply = get(addr, "/subtract?minuend=42&subtrahend=23").await;
    assert_eq!(reply.json()["result"], 19);
    let reply = get(addr, "/nothing-here?a=1").await;
    assert_eq!(reply.json()["error"]["code"], -32601);
    // With the fallback on, the callback parameter is still not JSONP.
    let reply = get(addr, "/echo?a=1&callback=cb").await;
    assert_eq!(reply.header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn get_picks_the_most_specific_mount() {
    let named = |name: &'static str| {
        let mut router = Router::new();
        router
            .method("who", move |_: Params<'_>, _: &Context| {
                Ok::<_, Error>(name)
            })
            .unwrap();
        router
    };
    // The root is mounted first, so a first-match search would send
    // `/api/who` to it as the method `api/who`.
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().get(true))
            .mount("/", named("root"))
            .mount("/api", named("api")),
    )
    .await;
    assert_eq!(get(addr, "/who").await.json()["result"], "root");
    assert_eq!(get(addr, "/api/who").await.json()["result"], "api");
}

#[tokio::test]
async fn the_callback_parameter_is_ignored_when_jsonp_is_off() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().get(true))
            .mount("/", test_router()),
    )
    .await;
    for query in ["callback=cb", "jsonp=cb"] {
        let reply = get(addr, &format!("/subtract?minuend=42&subtrahend=23&{query}")).await;
        assert_eq!(reply.header("content-type"), Some("application/json"));
        assert_eq!(
            reply.json(),
            json!({"jsonrpc": "2.0", "result": 19, "id": null}),
            "{query}"
        );
    }
}

#[tokio::test]
async fn jsonp_wraps_the_answer_in_the_callback() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().get(true).jsonp(true))
            .mount("/api", test_router()),
    )
    .await;
    let reply = get(addr, "/api/echo?a=1&b=x&callback=cb").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .header("content-type")
            .is_some_and(|value| value.starts_with("application/javascript")),
        "{:?}",
        reply.headers
    );
    let text = reply.text();
    let inner = text
        .strip_prefix("cb(")
        .and_then(|rest| rest.strip_suffix(");"))
        .unwrap_or_else(|| panic!("not JSONP: {text:?}"));
    assert_eq!(
        serde_json::from_str::<Value>(inner).unwrap(),
        json!({"jsonrpc": "2.0", "result": {"a": 1, "b": "x"}, "id": null})
    );

    let reply = get(addr, "/api/echo?a=1&jsonp=app.handlers.done").await;
    assert!(
        reply.text().starts_with("app.handlers.done({"),
        "{}",
        reply.text()
    );

    for bad in ["alert(1)", "a%20b", "1cb", "a..b"] {
        let reply = get(addr, &format!("/api/echo?a=1&callback={bad}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(reply.json()["error"]["code"], -32600);
    }
}

// ---------------------------------------------------------------------------
// 10. Several routers.

#[tokio::test]
async fn several_routers_answer_at_their_own_paths() {
    let named = |name: &'static str| {
        let mut router = Router::new();
        router
            .method("who", move |_: Params<'_>, _: &Context| {
                Ok::<_, Error>(name)
            })
            .unwrap();
        router
    };
    let mut admin = named("admin");
    admin
        .method("shutdown_all", |_: Params<'_>, _: &Context| {
            Ok::<_, Error>(true)
        })
        .unwrap();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .mount("/api", named("api"))
            .mount("/admin", admin),
    )
    .await;
    let who = r#"{"jsonrpc":"2.0","method":"who","id":1}"#;
    for (path, name) in [
        ("/api", "api"),
        ("/api/", "api"),
        ("/admin", "admin"),
        ("/admin/", "admin"),
    ] {
        let reply = call(addr, path, who).await;
        assert_eq!(reply.status, StatusCode::OK, "{path}");
        assert_eq!(reply.json()["result"], name, "{path}");
    }
    // Each router has only its own methods.
    let reply = call(
        addr,
        "/api",
        r#"{"jsonrpc":"2.0","method":"shutdown_all","id":1}"#,
    )
    .await;
    assert_eq!(reply.json()["error"]["code"], -32601);
    assert_eq!(call(addr, "/", who).await.status, StatusCode::NOT_FOUND);
}

// ---------------------------------------------------------------------------
// 11. Request timeout.

#[tokio::test]
async fn a_call_past_the_request_timeout_is_answered_with_32000() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().request_timeout(Some(Duration::from_millis(100))))
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
// 12. Header read timeout.

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
            .config(HttpConfig::new().body_read_timeout(Some(Duration::from_millis(200))))
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

// ---------------------------------------------------------------------------
// 13. Connection limit.

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
// 14. Graceful shutdown.

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

// ---------------------------------------------------------------------------
// 15. Statistics.

#[tokio::test]
async fn statistics_count_calls_errors_notifications_and_connections() {
    let stats = Stats::new();
    let mut router = test_router();
    router.add("server.stats", stats.method()).unwrap();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").stats(&stats).mount("/", router)).await;

    let client = client();
    let post_body = |body: String| post(addr, "/").body(full(body)).unwrap();
    let reply = send(&client, post_body(request_json("ping", json!([]), 1))).await;
    assert_eq!(reply.json()["result"], "pong");
    let reply = send(&client, post_body(request_json("fail", json!([]), 2))).await;
    assert_eq!(reply.json()["error"]["code"], 42);
    let reply = send(
        &client,
        post_body(r#"{"jsonrpc":"2.0","method":"ping"}"#.to_owned()),
    )
    .await;
    assert!(reply.body.is_empty());

    let method = |name: &str| {
        stats
            .snapshot()
            .methods
            .into_iter()
            .find(|method| method.name == name)
            .unwrap_or_else(|| panic!("no figures for {name}"))
    };
    eventually("the notification is counted", || method("ping").calls == 2).await;
    eventually("nothing is in flight", || {
        stats.snapshot().requests_in_flight == 0
    })
    .await;
    let snapshot = stats.snapshot();
    let ping = method("ping");
    let fail = method("fail");
    assert_eq!((ping.calls, ping.errors), (2, 0));
    assert_eq!((fail.calls, fail.errors), (1, 1));
    assert_eq!(method("echo").calls, 0);
    assert!(ping.max >= ping.min);
    assert_eq!(snapshot.requests_total, 3, "three messages: {snapshot:?}");
    assert!(snapshot.connections_total >= 1);
    assert!(
        snapshot.connections_active >= 1,
        "the client keeps its connection"
    );

    // Served as JSON by the router itself.
    let reply = send(
        &client,
        post_body(request_json("server.stats", json!([]), 3)),
    )
    .await;
    let served = reply.json()["result"].clone();
    let figures = |name: &str| {
        served["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|method| method["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {served}"))
    };
    assert_eq!(figures("ping")["calls"], 2);
    assert_eq!(figures("fail")["errors"], 1);
    assert!(figures("fail")["latency_us"]["max"].is_number());
    assert!(served["connections"]["total"].as_u64().unwrap() >= 1);
    assert_eq!(served["requests"]["total"], 4, "{served}");
    assert_eq!(served["requests"]["in_flight"], 1, "itself");

    drop(client);
    eventually("the connection is closed", || {
        stats.snapshot().connections_active == 0
    })
    .await;
}

// ---------------------------------------------------------------------------
// 16. HTTP/2.

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", test_router())).await;
    let client: TestClient = http2_client();
    let reply = send(
        &client,
        post(addr, "/")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping","id":1}"#))
            .unwrap(),
    )
    .await;
    assert_eq!(reply.version, Version::HTTP_2);
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply.json(),
        json!({"jsonrpc": "2.0", "result": "pong", "id": 1})
    );
    // Several streams share the connection and run at once.
    let calls = (0..20).map(|id| {
        send(
            &client,
            post(addr, "/")
                .body(full(request_json("sleep", json!([100]), id)))
                .unwrap(),
        )
    });
    let started = Instant::now();
    for reply in futures_util::future::join_all(calls).await {
        assert_eq!(reply.json()["result"], 100);
    }
    // One after another they would take 2 s.
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(1_500),
        "not concurrent: {elapsed:?}"
    );
    let reply = send(
        &client,
        post(addr, "/")
            .body(full(r#"{"jsonrpc":"2.0","method":"ping"}"#))
            .unwrap(),
    )
    .await;
    // A notification over HTTP/2 gets an empty 200 too.
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.is_empty());
}

// ---------------------------------------------------------------------------
// Further limits and listeners.

#[tokio::test]
async fn past_max_concurrent_requests_calls_wait_their_turn() {
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().max_concurrent_requests(1))
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
    let mut router = Router::new();
    {
        let release = Arc::clone(&release);
        router
            .async_method("wait", move |_: Params<'_>, _: &Context| {
                let release = Arc::clone(&release);
                Box::pin(async move {
                    release.notified().await;
                    Ok::<_, Error>(())
                })
            })
            .unwrap();
    }
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().notification_concurrency(1))
            .mount("/", router),
    )
    .await;
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

#[tokio::test]
async fn default_statistics_keep_a_clock_like_new_ones() {
    let stats = Stats::default();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .stats(&stats)
            .mount("/", test_router()),
    )
    .await;
    for id in 0..3 {
        let reply = call(addr, "/", &request_json("ping", json!([]), id)).await;
        assert_eq!(reply.json()["result"], "pong");
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let snapshot = stats.snapshot();
    assert!(
        snapshot.uptime >= Duration::from_millis(1_100),
        "{:?}",
        snapshot.uptime
    );
    assert_eq!(snapshot.connections_total, 3);
    // Three connections in the first second, averaged over the time since.
    assert!(
        snapshot.connections_per_second < 3.0,
        "{}",
        snapshot.connections_per_second
    );
}
