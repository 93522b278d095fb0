//! `HttpClient` against `rpc_http::Server` over real sockets: the generated
//! typed client (calls, errors, notifications, batches, param styles),
//! headers, timeouts, size limits, refusals, HTTP/2, keep-alive, Unix sockets
//! and TLS.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rpc_core::client::{ClientError, Transport};
use rpc_core::{rpc, Context, Error, ErrorCode, Router};
use rpc_http::{HttpClient, HttpConfig, Server, ServerHandle, Stats, TlsConfig};
use serde_json::{json, Value};
use tokio::sync::{mpsc, Notify};

/// Every test step is bounded by this, so a broken feature fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(20);

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("the step did not finish in time")
}

struct Api {
    release: Arc<Notify>,
    ran: mpsc::UnboundedSender<String>,
}

#[rpc]
impl Api {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    async fn concat(&self, a: String, b: String) -> String {
        tokio::task::yield_now().await;
        format!("{a}{b}")
    }

    fn fail(&self, code: i32) -> Result<u8, Error> {
        Err(Error::new(ErrorCode::new(code), "it failed on purpose")
            .with_data(&json!({ "asked": code, "detail": ["a", 1] })))
    }

    /// Parks until the test releases it, then reports that it ran.
    #[rpc(notification)]
    async fn log(&self, line: String) {
        self.release.notified().await;
        let _ = self.ran.send(line);
    }

    #[rpc(params = "named")]
    fn greet(&self, name: String, #[rpc(default)] excited: bool) -> String {
        format!("hello {name}{}", if excited { "!" } else { "" })
    }

    fn api_key(&self, ctx: &Context) -> Option<String> {
        ctx.header("x-api-key").map(str::to_owned)
    }

    /// HTTP/2 carries the authority as the `:authority` pseudo-header, never
    /// as a `Host` header: a method that sees no `Host` was called over HTTP/2.
    fn host(&self, ctx: &Context) -> Option<String> {
        ctx.header("host").map(str::to_owned)
    }

    fn connection(&self, ctx: &Context) -> Option<u64> {
        ctx.connection_id()
    }

    async fn sleep(&self, ms: u64) -> u64 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        ms
    }

    fn big(&self, len: usize) -> String {
        "x".repeat(len)
    }

    fn length(&self, text: String) -> usize {
        text.len()
    }
}

/// Answers with the `params` member exactly as it arrived.
struct Echo;

#[rpc]
impl Echo {
    fn positional(&self, #[rpc(flatten)] params: Value) -> Value {
        params
    }

    fn named(&self, #[rpc(flatten)] params: Value) -> Value {
        params
    }
}

/// The caller's view of `Echo`, with ordinary parameters: what `Echo` answers
/// shows how the generated client put them on the wire.
#[rpc]
#[allow(dead_code, reason = "only the generated client is used")]
trait Shapes {
    fn positional(&self, a: i64, b: String) -> Value;

    #[rpc(params = "named")]
    fn named(&self, a: i64, b: String) -> Value;
}

/// The API's router, the handle that releases its parked notifications, and
/// what they report when they ran.
fn api() -> (Router, Arc<Notify>, mpsc::UnboundedReceiver<String>) {
    let release = Arc::new(Notify::new());
    let (ran, ran_rx) = mpsc::unbounded_channel();
    let api = Api {
        release: Arc::clone(&release),
        ran,
    };
    (api.into_router(), release, ran_rx)
}

async fn start(server: Server) -> (ServerHandle, String) {
    let handle = within(server.shutdown_timeout(Duration::from_secs(2)).start())
        .await
        .expect("the server starts");
    let url = format!("http://{}/", handle.local_addr().expect("a TCP address"));
    (handle, url)
}

async fn stop(handle: ServerHandle) {
    handle.shutdown();
    within(handle.stopped()).await;
}

/// The transport error under a client error.
fn transport_error(err: &ClientError) -> &rpc_http::Error {
    assert!(err.is_transport(), "not a transport error: {err:?}");
    std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<rpc_http::Error>())
        .unwrap_or_else(|| panic!("the source is not an rpc_http::Error: {err:?}"))
}

#[tokio::test]
async fn the_typed_client_runs_over_http() {
    let (router, release, mut ran) = api();
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let client = ApiClient::new(HttpClient::new(&url).unwrap());

    // Sync and async methods.
    assert_eq!(within(client.add(40, 2)).await.unwrap(), 42);
    assert_eq!(
        within(client.concat("foo".into(), "bar".into()))
            .await
            .unwrap(),
        "foobar"
    );

    // The method's error arrives with its code, message and data.
    let err = within(client.fail(-32042)).await.unwrap_err();
    assert!(err.is_call(), "{err:?}");
    let error = err.call_error().unwrap();
    assert_eq!(error.code(), ErrorCode::new(-32042));
    assert_eq!(error.message(), "it failed on purpose");
    let data: Value = error.data_as().unwrap().unwrap();
    assert_eq!(data, json!({ "asked": -32042, "detail": ["a", 1] }));

    // A notification returns while the method is still parked.
    within(client.log("first".into())).await.unwrap();
    assert!(ran.try_recv().is_err(), "the method ran before release");
    release.notify_one();
    assert_eq!(within(ran.recv()).await.as_deref(), Some("first"));

    // Named params, with a defaulted one.
    assert_eq!(
        within(client.greet("ada".into(), true)).await.unwrap(),
        "hello ada!"
    );

    // The typed batch: requests, a failing entry and a notification in one message.
    release.notify_one();
    let mut batch = client.batch();
    let sum = batch.add(1, 2).unwrap();
    let joined = batch.concat("a".into(), "b".into()).unwrap();
    let failed = batch.fail(7).unwrap();
    batch.log("from a batch".into()).unwrap();
    let greeting = batch.greet("bob".into(), false).unwrap();
    let answers = within(batch.send()).await.unwrap();
    assert_eq!(answers.len(), 4);
    assert_eq!(answers.get(&sum).unwrap(), 3);
    assert_eq!(answers.get(&joined).unwrap(), "ab");
    assert_eq!(answers.get(&greeting).unwrap(), "hello bob");
    let err = answers.get(&failed).unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::new(7)));
    assert_eq!(within(ran.recv()).await.as_deref(), Some("from a batch"));

    stop(server).await;
}

#[tokio::test]
async fn params_go_positionally_or_by_name_as_declared() {
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/echo", Echo.into_router())).await;
    let client = ShapesClient::new(HttpClient::new(&format!("{url}echo")).unwrap());
    assert_eq!(
        within(client.positional(1, "x".into())).await.unwrap(),
        json!([1, "x"])
    );
    assert_eq!(
        within(client.named(1, "x".into())).await.unwrap(),
        json!({ "a": 1, "b": "x" })
    );
    stop(server).await;
}

#[tokio::test]
async fn builder_headers_reach_the_method() {
    let (router, _, _) = api();
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let with_key = HttpClient::builder()
        .header("x-api-key", "k")
        .unwrap()
        .build(&url)
        .unwrap();
    assert_eq!(
        within(ApiClient::new(with_key).api_key()).await.unwrap(),
        Some("k".to_owned())
    );
    let without = ApiClient::new(HttpClient::new(&url).unwrap());
    assert_eq!(within(without.api_key()).await.unwrap(), None);
    assert!(HttpClient::builder().header("bad name", "v").is_err());
    stop(server).await;
}

#[tokio::test]
async fn a_call_past_the_timeout_fails_with_a_timeout() {
    let (router, _, _) = api();
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let client = ApiClient::new(
        HttpClient::builder()
            .timeout(Duration::from_millis(100))
            .build(&url)
            .unwrap(),
    );
    let started = Instant::now();
    let err = within(client.sleep(2000)).await.unwrap_err();
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "the call waited {:?}",
        started.elapsed()
    );
    assert!(transport_error(&err).is_timeout(), "{err:?}");
    // Quick calls on the same client still go through.
    assert_eq!(within(client.add(1, 1)).await.unwrap(), 2);
    stop(server).await;
}

#[tokio::test]
async fn answers_over_the_size_limit_are_refused() {
    let (router, _, _) = api();
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let client = ApiClient::new(
        HttpClient::builder()
            .max_response_size(100)
            .build(&url)
            .unwrap(),
    );
    assert_eq!(within(client.big(10)).await.unwrap(), "x".repeat(10));
    let err = within(client.big(1000)).await.unwrap_err();
    assert!(transport_error(&err).is_too_large(), "{err:?}");
    stop(server).await;
}

#[tokio::test]
async fn nothing_listening_is_a_connect_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = ApiClient::new(HttpClient::new(&format!("http://{addr}/")).unwrap());
    let err = within(client.add(1, 2)).await.unwrap_err();
    assert!(transport_error(&err).is_connect(), "{err:?}");
}

#[tokio::test]
async fn a_taken_address_is_a_bind_error_that_keeps_its_io_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = within(
        Server::bind(addr.as_str())
            .mount("/", Router::new())
            .start(),
    )
    .await
    .unwrap_err();
    assert!(err.is_bind(), "{err:?}");
    assert!(err.to_string().contains(&addr), "{err}");
    let io = std::error::Error::source(&err)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .expect("the io::Error is the source");
    assert_eq!(io.kind(), std::io::ErrorKind::AddrInUse);
}

#[test]
fn bad_header_names_and_values_are_header_errors_not_url_errors() {
    for (name, value) in [("bad name", "x"), ("x-ok", "line\nbreak")] {
        let err = HttpClient::builder().header(name, value).unwrap_err();
        assert!(err.is_invalid_header() && !err.is_invalid_uri(), "{err:?}");
        assert!(err.to_string().starts_with("invalid header"), "{err}");
    }
}

#[tokio::test]
async fn a_body_over_the_server_limit_gets_the_servers_json_rpc_error() {
    let (router, _, _) = api();
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", router)
            .config(HttpConfig::new().with_max_body_size(100)),
    )
    .await;
    let client = ApiClient::new(HttpClient::new(&url).unwrap());
    let err = within(client.length("y".repeat(1000))).await.unwrap_err();
    assert!(
        err.is_call(),
        "a bare status error instead of the server's: {err:?}"
    );
    assert_eq!(err.code(), Some(ErrorCode::INVALID_REQUEST));
    let data: String = err.call_error().unwrap().data_as().unwrap().unwrap();
    assert!(data.contains("100 bytes"), "{data}");
    // Small calls are fine.
    assert_eq!(within(client.length("y".into())).await.unwrap(), 1);
    stop(server).await;
}

#[tokio::test]
async fn a_refused_notification_is_an_error_not_a_success() {
    let (router, _, _) = api();
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", router)
            .config(HttpConfig::new().with_max_body_size(50)),
    )
    .await;
    let client = ApiClient::new(HttpClient::new(&url).unwrap());
    let err = within(client.log("z".repeat(1000))).await.unwrap_err();
    assert_eq!(
        transport_error(&err).status(),
        Some(http::StatusCode::PAYLOAD_TOO_LARGE),
        "{err:?}"
    );

    // The same for a notification sent where no router is mounted.
    let nowhere = HttpClient::new(&format!("{url}nowhere")).unwrap();
    let message = br#"{"jsonrpc":"2.0","method":"log","params":["x"]}"#.to_vec();
    let err = within(nowhere.notify(message)).await.unwrap_err();
    assert_eq!(err.status(), Some(http::StatusCode::NOT_FOUND), "{err:?}");
    stop(server).await;
}

#[tokio::test]
async fn notifications_take_any_2xx_answer() {
    // Other servers acknowledge notifications with `204` or `202` and no body.
    let app = axum::Router::new()
        .route(
            "/no-content",
            axum::routing::post(|| async { http::StatusCode::NO_CONTENT }),
        )
        .route(
            "/accepted",
            axum::routing::post(|| async { http::StatusCode::ACCEPTED }),
        );
    let listener = within(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    for path in ["no-content", "accepted"] {
        let client = ApiClient::new(HttpClient::new(&format!("http://{addr}/{path}")).unwrap());
        within(client.log("x".into())).await.unwrap();
        // A call needs an answer, which an empty `2xx` is not.
        let err = within(client.add(1, 2)).await.unwrap_err();
        assert!(transport_error(&err).status().is_some(), "{err:?}");
    }
    server.abort();
}

#[tokio::test]
async fn http2_prior_knowledge_works() {
    let (router, _, _) = api();
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    let h2 = ApiClient::new(HttpClient::builder().http2_only(true).build(&url).unwrap());
    assert_eq!(within(h2.add(2, 3)).await.unwrap(), 5);
    assert_eq!(within(h2.host()).await.unwrap(), None, "not HTTP/2");
    // The default client speaks HTTP/1.1, which names the host.
    let h1 = ApiClient::new(HttpClient::new(&url).unwrap());
    assert!(within(h1.host()).await.unwrap().is_some());
    stop(server).await;
}

#[tokio::test]
async fn sequential_calls_reuse_one_connection() {
    let (router, _, _) = api();
    let stats = Stats::new();
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", router).stats(&stats)).await;
    let client = ApiClient::new(HttpClient::new(&url).unwrap());
    let first = within(client.connection()).await.unwrap();
    assert!(first.is_some());
    for n in 0..20 {
        // hyper-util's pool takes an HTTP/1 connection back on a task of its
        // own once the answer is read; a call made before that task ran opens
        // a second connection. So, as in hyper's own tests, let it run (on
        // this single-threaded runtime, any pause does).
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(
            within(client.connection()).await.unwrap(),
            first,
            "call {n}"
        );
    }
    let snapshot = stats.snapshot();
    assert_eq!(snapshot.connections_total, 1, "{snapshot:?}");
    assert_eq!(snapshot.requests_total, 21);
    stop(server).await;
}

/// A socket path unique to this process and test, removed on drop.
struct SocketPath(PathBuf);

impl SocketPath {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("rpc-http-{}-{name}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        Self(path)
    }
}

impl Drop for SocketPath {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

async fn start_unix(path: &Path) -> Result<ServerHandle, rpc_http::Error> {
    let (router, _, _) = api();
    within(
        Server::bind_unix(path)
            .mount("/", router)
            .shutdown_timeout(Duration::from_secs(2))
            .start(),
    )
    .await
}

#[tokio::test]
async fn unix_socket_calls_and_stale_sockets() {
    let path = SocketPath::new("stale");
    // A socket file left behind by a listener that is gone.
    drop(std::os::unix::net::UnixListener::bind(&path.0).unwrap());
    assert!(path.0.exists());

    let server = start_unix(&path.0)
        .await
        .expect("the stale socket is replaced");
    assert_eq!(server.local_addr(), None);
    let client = ApiClient::new(HttpClient::unix(&path.0, "/").unwrap());
    assert_eq!(within(client.add(20, 22)).await.unwrap(), 42);

    // A live server's socket is not taken over.
    let err = start_unix(&path.0).await.unwrap_err();
    assert!(err.is_bind(), "{err:?}");
    assert_eq!(within(client.add(1, 2)).await.unwrap(), 3);

    stop(server).await;
}

#[tokio::test]
async fn unix_socket_paths_without_a_leading_slash() {
    let path = SocketPath::new("subpath");
    let (router, _, _) = api();
    let server = within(Server::bind_unix(&path.0).mount("/api", router).start())
        .await
        .unwrap();
    for endpoint in ["/api", "api"] {
        let client = ApiClient::new(HttpClient::unix(&path.0, endpoint).unwrap());
        assert_eq!(within(client.add(2, 2)).await.unwrap(), 4, "{endpoint}");
    }
    stop(server).await;
}

#[tokio::test]
async fn unix_socket_refuses_to_replace_a_regular_file() {
    let path = SocketPath::new("regular");
    std::fs::write(&path.0, b"precious").unwrap();
    let err = start_unix(&path.0).await.unwrap_err();
    assert!(err.is_bind(), "{err:?}");
    assert_eq!(std::fs::read(&path.0).unwrap(), b"precious");
}

#[tokio::test]
async fn https_with_a_private_root() {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .unwrap();
    let cert_pem = cert.pem();
    let key_pem = signing_key.serialize_pem();
    let tls = TlsConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).unwrap();
    let (router, _, _) = api();
    let (server, _) = start(Server::bind("127.0.0.1:0").mount("/", router).tls(tls)).await;
    let port = server.local_addr().unwrap().port();

    for host in ["localhost", "127.0.0.1"] {
        let url = format!("https://{host}:{port}/");
        let client = ApiClient::new(
            HttpClient::builder()
                .root_certificate_pem(cert_pem.as_bytes())
                .build(&url)
                .unwrap(),
        );
        assert_eq!(within(client.add(1, 2)).await.unwrap(), 3, "{url}");
        // ALPN chose HTTP/2: no `Host` header.
        assert_eq!(within(client.host()).await.unwrap(), None, "{url}");
    }

    // Without the private root, the server is not trusted.
    let url = format!("https://localhost:{port}/");
    let untrusting = ApiClient::new(HttpClient::new(&url).unwrap());
    let err = within(untrusting.add(1, 2)).await.unwrap_err();
    let transport = transport_error(&err);
    assert!(transport.is_connect() || transport.is_tls(), "{err:?}");

    // Plain HTTP to the TLS port gets no answer.
    let plain = ApiClient::new(HttpClient::new(&format!("http://127.0.0.1:{port}/")).unwrap());
    assert!(within(plain.add(1, 2)).await.unwrap_err().is_transport());

    stop(server).await;
}

#[tokio::test]
async fn bad_pem_is_a_tls_error() {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = cert.pem();
    let key_pem = signing_key.serialize_pem();

    let err = TlsConfig::from_pem(b"garbage", key_pem.as_bytes()).unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    let err = TlsConfig::from_pem(cert_pem.as_bytes(), b"garbage").unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    // A key that does not belong to the certificate.
    let other = rcgen::KeyPair::generate().unwrap().serialize_pem();
    let err = TlsConfig::from_pem(cert_pem.as_bytes(), other.as_bytes()).unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    // A client given a root that is not a certificate.
    let err = HttpClient::builder()
        .root_certificate_pem(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        .build("https://localhost:1/")
        .unwrap_err();
    assert!(err.is_tls(), "{err:?}");
    assert!(TlsConfig::from_pem(cert_pem.as_bytes(), key_pem.as_bytes()).is_ok());
}
