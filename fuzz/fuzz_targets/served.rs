//! The server's connections, inside the fuzz process: each input is one
//! connection's bytes from a client that then stops sending, over an
//! in-memory duplex into the code that serves an accepted TCP connection
//! (`rpc_http::__fuzz::FuzzServer`: the protocol told from the first bytes,
//! the driver, its idle watchdog, the layers, the service). The connection
//! must end within a bound, and what the server answers is checked.

#![allow(dead_code, reason = "each target uses a part")]

use std::sync::OnceLock;
use std::time::Duration;

use rpc_http::__fuzz::FuzzServer;
use rpc_http::{HttpConfig, Server, Stats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[path = "common.rs"]
mod common;

pub use common::{allow_fuzzed_panics, check_answer};

/// How long a connection may take, start to close, before it counts as a hang.
const BOUND: Duration = Duration::from_secs(10);

pub struct Served {
    runtime: tokio::runtime::Runtime,
    server: FuzzServer,
}

/// The server every input of this process goes to: two mounts, the `GET`
/// fallback, statistics, and short timeouts so a stalled input ends soon.
pub fn served() -> &'static Served {
    static SERVED: OnceLock<Served> = OnceLock::new();
    SERVED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let stats = Stats::new();
        let mut api = common::router();
        stats.watch(&mut api);
        let server = Server::bind("127.0.0.1:0")
            .mount("/", common::router())
            .mount("/api", api)
            .config(
                HttpConfig::new()
                    .with_get_fallback(true)
                    .with_max_body_size(64 << 10)
                    .with_body_read_timeout(Some(Duration::from_secs(2)))
                    .with_request_timeout(Some(Duration::from_secs(2))),
            )
            .header_read_timeout(Duration::from_secs(2))
            .stats(&stats)
            .into_fuzz();
        Served { runtime, server }
    })
}

impl Served {
    /// Sends `bytes` on a new connection, closes its sending side, and
    /// returns everything the server wrote until it closed.
    pub fn exchange(&'static self, bytes: &[u8]) -> Vec<u8> {
        self.runtime.block_on(async {
            let (mut client, server_side) = tokio::io::duplex(64 << 10);
            let serving = self.server.serve(server_side, bytes);
            let talking = async {
                let (mut read, mut write) = tokio::io::split(&mut client);
                let sending = async {
                    // The server may refuse early and close: not an error here.
                    let _ = write.write_all(bytes).await;
                    let _ = write.shutdown().await;
                };
                let mut answer = Vec::new();
                let receiving = read.read_to_end(&mut answer);
                let (_, received) = tokio::join!(sending, receiving);
                received.expect("a duplex read fails only when closed");
                answer
            };
            let ((), answer) =
                tokio::time::timeout(BOUND, async { tokio::join!(serving, talking) })
                    .await
                    .unwrap_or_else(|_| panic!("the connection did not end within {BOUND:?}"));
            answer
        })
    }
}

/// Walks the HTTP/1 responses in `answer` and checks every JSON-RPC body
/// among them; stops at anything it cannot follow (a compressed or chunked
/// body, a `101`).
pub fn check_http1_answers(mut answer: &[u8]) {
    while !answer.is_empty() {
        assert!(
            answer.starts_with(b"HTTP/1.1 ") || answer.starts_with(b"HTTP/1.0 "),
            "not an HTTP/1 response: {:?}",
            String::from_utf8_lossy(&answer[..answer.len().min(200)])
        );
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(answer) {
            Ok(httparse::Status::Complete(head)) => head,
            other => panic!(
                "an unreadable response head ({other:?}): {:?}",
                String::from_utf8_lossy(answer)
            ),
        };
        let status = response.code.unwrap();
        if status == 101 {
            return;
        }
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|header| header.name.eq_ignore_ascii_case(name))
                .map(|header| header.value)
        };
        if header("content-encoding").is_some() || header("transfer-encoding").is_some() {
            return;
        }
        let length: usize = header("content-length")
            .and_then(|value| std::str::from_utf8(value).ok()?.parse().ok())
            .unwrap_or(0);
        let body = &answer[head..(head + length).min(answer.len())];
        assert_eq!(body.len(), length, "a body shorter than its Content-Length");
        let json =
            header("content-type").is_some_and(|value| value.starts_with(b"application/json"));
        if json && !body.is_empty() {
            check_answer(body);
        }
        answer = &answer[head + length..];
    }
}
