//! A real `rpc_http::Server` on loopback, inside the fuzz process: each
//! input is one connection's bytes from a client that then stops sending;
//! the server must answer and close within a bound, and what it answers is
//! checked.

#![allow(dead_code, reason = "each target uses a part")]

use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::Duration;

use rpc_http::{HttpConfig, Server, Stats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[path = "common.rs"]
mod common;

pub use common::{allow_fuzzed_panics, check_answer};

/// How long a connection may take, start to close, before it counts as a hang.
const BOUND: Duration = Duration::from_secs(10);

pub struct Served {
    runtime: tokio::runtime::Runtime,
    addr: SocketAddr,
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
        let addr = runtime.block_on(async {
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
                .start()
                .await
                .unwrap();
            let addr = server.local_addr().unwrap();
            // Kept running for the life of the process.
            std::mem::forget(server);
            addr
        });
        Served { runtime, addr }
    })
}

impl Served {
    /// Sends `bytes` on a new connection, closes its sending side, and
    /// returns everything the server wrote until it closed.
    pub fn exchange(&self, bytes: &[u8]) -> Vec<u8> {
        self.runtime.block_on(async {
            let mut stream = TcpStream::connect(self.addr).await.unwrap();
            let (mut read, mut write) = stream.split();
            let sending = async {
                // The server may refuse early and close: not an error here.
                let _ = write.write_all(bytes).await;
                let _ = write.shutdown().await;
            };
            let mut answer = Vec::new();
            let receiving = read.read_to_end(&mut answer);
            let (_, received) =
                tokio::time::timeout(BOUND, async { tokio::join!(sending, receiving) })
                    .await
                    .unwrap_or_else(|_| {
                        panic!("the server neither answered nor closed within {BOUND:?}")
                    });
            // A reset is a way to close; anything else is not.
            if let Err(err) = received {
                assert_eq!(err.kind(), std::io::ErrorKind::ConnectionReset, "{err}");
            }
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
