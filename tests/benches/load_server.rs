//! One HTTP JSON-RPC server for `scripts/load.sh` to drive with wrk over
//! loopback: the same methods (`add`, `echo`, and a notification) served by
//! rpc-http, by jsonrpsee and by a hand-written hyper + serde_json server.
//!
//! ```text
//! load_server <impl> <port>
//!   impl: ours | ours_bare | hand | hand_router | hand_service | jsonrpsee | soak
//! load_server body <add_positional|add_named|batch10|echo4k|echo_owned4k|sum1000|notification>
//! ```
//!
//! The server listens on `127.0.0.1:<port>` on a single-threaded tokio
//! runtime (one core, whatever `taskset` allows) until it is killed.
//!
//! - `ours`: `rpc_http::Server` with its production defaults (CORS and
//!   compression on), router built by `#[rpc]`.
//! - `ours_bare`: the same with `.without_cors().compression(Compression::off())`,
//!   to show what those two layers cost.
//! - `hand`: hyper 1.x `http1` connections with `service_fn`, the body
//!   collected (with a size limit) and answered by the hand-written
//!   serde_json dispatcher `floor` of `common/floor.rs`; `Content-Type:
//!   application/json`, notifications get `200` with an empty body.
//! - `hand_router`: `hand` with the `#[rpc]` router dispatching instead of
//!   `floor` (`Router::parse(..).run_now(..)`, a fresh `Context` per
//!   request): what rpc-core costs beside the floor, without rpc-http.
//! - `hand_service`: `hand`'s connections serving rpc-http's tower service
//!   (`RpcService`, the one an axum app mounts): what rpc-http's service
//!   costs, without its server (accept loop, connection driver, watchdog,
//!   protocol sniffing, layers).
//! - `soak`: `ours`, plus a method that panics (`boom`) and the server's
//!   statistics as `server.stats`, for `scripts/soak.sh`.
//! - `jsonrpsee`: jsonrpsee 0.26 `Server::builder().build(..)` with an
//!   `RpcModule` holding the same methods (it answers notifications
//!   without running them).
//!
//! `body` prints the exact request body of a workload (the bodies of the
//! criterion and callgrind benches, plus an `add` notification), which the
//! script compares with what its wrk scripts send.
//!
//! Without arguments (as `cargo bench` runs it) it prints this usage and
//! exits successfully; `--` flags from cargo are ignored.

use std::convert::Infallible;
use std::process::ExitCode;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use jsonrpsee::types::ErrorObjectOwned;
use serde::Deserialize;

#[allow(
    dead_code,
    reason = "only the floor dispatcher and the case bodies are used here"
)]
mod common;

use common::{floor, Case};

const USAGE: &str = "usage: load_server <ours|ours_bare|hand|hand_router|hand_service|jsonrpsee|soak> <port>\n       \
                     load_server body <add_positional|add_named|batch10|echo4k|echo_owned4k|sum1000|notification>";

/// The notification workload: `add` without an id, a method every server knows.
const NOTIFICATION: &str = r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#;

/// The request body limit of the hand-written server (rpc-http's and jsonrpsee's default too).
const MAX_BODY: usize = 10 * 1024 * 1024;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    let [first, second] = args.as_slice() else {
        // `cargo bench` (with or without a filter) lands here: nothing to do.
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    };
    if first == "body" {
        return match body(second) {
            Some(body) => {
                print!("{body}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("unknown workload `{second}`\n{USAGE}");
                ExitCode::FAILURE
            }
        };
    }
    let Ok(port) = second.parse::<u16>() else {
        eprintln!("bad port `{second}`\n{USAGE}");
        return ExitCode::FAILURE;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread runtime builds");
    let result = runtime.block_on(async {
        match first.as_str() {
            "ours" => ours(port, false).await,
            "ours_bare" => ours(port, true).await,
            "soak" => soak(port).await,
            "hand" => hand(port, false).await,
            "hand_router" => hand(port, true).await,
            "hand_service" => hand_service(port).await,
            "jsonrpsee" => jsonrpsee_server(port).await,
            other => Err(format!("unknown implementation `{other}`\n{USAGE}").into()),
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("load_server: {err}");
            ExitCode::FAILURE
        }
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The exact body of a workload.
fn body(workload: &str) -> Option<String> {
    if workload == "notification" {
        return Some(NOTIFICATION.to_owned());
    }
    Case::from_name(workload).map(Case::body)
}

/// `add`, `echo` and a notification-only `log`, served through `#[rpc]`.
struct LoadService;

#[rpc_core::rpc]
impl LoadService {
    /// Adds two integers.
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// Returns its argument, borrowed from the request (as the hand-written
    /// baseline does) unless it holds escapes.
    fn echo<'a>(&self, s: &'a str) -> &'a str {
        s
    }

    /// Returns its argument, decoded into an owned `String` as users write it.
    fn echo_owned(&self, s: String) -> String {
        s
    }

    /// Sums the values.
    fn sum(&self, values: Vec<f64>) -> f64 {
        values.iter().sum()
    }

    /// Takes a line and answers nothing.
    #[rpc(notification)]
    fn log(&self, line: String) {
        drop(line);
    }
}

/// rpc-http's server, with the production defaults or without CORS and compression.
async fn ours(port: u16, bare: bool) -> Result<(), BoxError> {
    let mut server =
        rpc_http::Server::bind(format!("127.0.0.1:{port}")).mount("/", LoadService.into_router());
    if bare {
        server = server
            .without_cors()
            .compression(rpc_http::Compression::off());
    }
    let handle = server.start().await?;
    handle.stopped().await;
    Ok(())
}

/// `ours` with a panicking method and the statistics served beside it.
async fn soak(port: u16) -> Result<(), BoxError> {
    let stats = rpc_http::Stats::new();
    let mut router = LoadService.into_router();
    router.method(
        "boom",
        |_: rpc_core::Params<'_>, _: &rpc_core::Context| -> Result<(), rpc_core::Error> {
            panic!("boom: a method that panics, for the soak")
        },
    )?;
    router.add("server.stats", stats.method())?;
    let handle = rpc_http::Server::bind(format!("127.0.0.1:{port}"))
        .stats(&stats)
        .mount("/", router)
        .start()
        .await?;
    handle.stopped().await;
    Ok(())
}

/// A hand-written hyper 1.x HTTP/1.1 server around the `floor` dispatcher,
/// or around the `#[rpc]` router.
async fn hand(port: u16, through_router: bool) -> Result<(), BoxError> {
    let router: &'static rpc_core::Router = Box::leak(Box::new(LoadService.into_router()));
    accept_by_hand(port, move |io| {
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new();
            let _ = if through_router {
                let service =
                    move |request| hand_request(request, |body| router_answer(router, body));
                connection
                    .serve_connection(io, hyper::service::service_fn(service))
                    .await
            } else {
                let service = |request| hand_request(request, floor::handle);
                connection
                    .serve_connection(io, hyper::service::service_fn(service))
                    .await
            };
        });
    })
    .await
}

/// `hand`'s accept loop and hyper connections, serving rpc-http's tower
/// service as an embedding app would.
async fn hand_service(port: u16) -> Result<(), BoxError> {
    let service = rpc_http::RpcService::new(LoadService.into_router());
    accept_by_hand(port, move |io| {
        let service = service.clone();
        tokio::spawn(async move {
            let service = move |request| {
                let mut service = service.clone();
                tower::Service::call(&mut service, request)
            };
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, hyper::service::service_fn(service))
                .await;
        });
    })
    .await
}

/// The hand-written servers' accept loop: each connection, with
/// `TCP_NODELAY`, handed to `serve`.
async fn accept_by_hand(
    port: u16,
    mut serve: impl FnMut(TokioIo<tokio::net::TcpStream>),
) -> Result<(), BoxError> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                eprintln!("accept failed: {err}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        serve(TokioIo::new(stream));
    }
}

/// The router's answer to one message, as `floor::handle` gives it.
fn router_answer(router: &rpc_core::Router, body: &[u8]) -> Option<Vec<u8>> {
    let ctx = rpc_core::Context::new();
    match router.parse(body).run_now(&ctx) {
        Ok(answer) => answer,
        Err(_) => panic!("every method of the load service is synchronous"),
    }
}

/// One request of the hand-written server, answered by `dispatch`.
async fn hand_request(
    request: Request<Incoming>,
    dispatch: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED));
    }
    if let Some(content_type) = request.headers().get(CONTENT_TYPE) {
        let json = content_type
            .as_bytes()
            .get(..16)
            .is_some_and(|media| media.eq_ignore_ascii_case(b"application/json"));
        if !json {
            return Ok(plain(StatusCode::UNSUPPORTED_MEDIA_TYPE));
        }
    }
    let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Ok(plain(StatusCode::PAYLOAD_TOO_LARGE)),
    };
    Ok(match dispatch(&body) {
        Some(answer) => {
            let mut response = Response::new(Full::new(Bytes::from(answer)));
            response
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            response
        }
        None => plain(StatusCode::OK),
    })
}

/// An empty response.
fn plain(status: StatusCode) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// The `{"line":..}` form of `log`'s params.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LogNamed {
    line: String,
}

/// jsonrpsee's HTTP (and WebSocket) server with the same methods, each taking
/// an array or an object as jsonrpsee's own `#[rpc]` macro does.
async fn jsonrpsee_server(port: u16) -> Result<(), BoxError> {
    // `add` and `echo` as in the in-process benchmarks, plus `log`.
    let mut module = common::jsonrpsee_module();
    module.register_method("log", |params, _, _| {
        let line: String = if params.is_object() {
            params.parse::<LogNamed>()?.line
        } else {
            params.one()?
        };
        drop(line);
        Ok::<_, ErrorObjectOwned>(())
    })?;
    let server = jsonrpsee::server::Server::builder()
        .build(format!("127.0.0.1:{port}"))
        .await?;
    let handle = server.start(module);
    handle.stopped().await;
    Ok(())
}
