//! What the hostile tests share: servers on 127.0.0.1, raw HTTP/1.1, a
//! prober timing a well-behaved client, and readings of the process's own
//! memory and descriptors.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpc_core::{Context, Error, Params, Router};
use rpc_http::{Server, ServerHandle};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// The tests of this binary measure the whole process (its memory, its
/// descriptors, how promptly a client is answered): they run one at a
/// time, whatever the test harness's threads.
pub(crate) async fn one_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

/// The longest any single step may take before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) const PING: &str = r#"{"jsonrpc":"2.0","method":"ping","id":1}"#;

pub(crate) async fn start(server: Server) -> (ServerHandle, SocketAddr) {
    let handle = timeout(WAIT, server.start())
        .await
        .expect("the server starts in time")
        .expect("the server starts");
    let addr = handle.local_addr().expect("a TCP server has an address");
    (handle, addr)
}

/// `ping`, `text(n)` (an answer of `n` bytes) and `sleep(ms)`.
pub(crate) fn router() -> Router {
    let mut router = Router::new();
    router
        .method("ping", |_: Params<'_>, _: &Context| Ok::<_, Error>("pong"))
        .unwrap()
        .method("text", |params: Params<'_>, _: &Context| {
            let (n,): (usize,) = params.decode(&["n"])?;
            Ok::<_, Error>("x".repeat(n))
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

/// A raw HTTP/1.1 `POST /` of `body`.
pub(crate) fn raw_post(body: &str) -> Vec<u8> {
    format!(
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// One response from a raw connection: status, head and body (by its
/// `Content-Length`); `None` if the connection closes first.
pub(crate) async fn read_response(stream: &mut TcpStream) -> Option<(u16, String, Vec<u8>)> {
    timeout(WAIT, async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 8192];
        let head_end = loop {
            if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8(buffer[..head_end].to_vec()).expect("a text head");
        let status: u16 = head[9..12].parse().expect("a status code");
        let length: usize =
            header(&head, "content-length").map_or(0, |value| value.parse().unwrap());
        while buffer.len() < head_end + length {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return None,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        Some((status, head, buffer[head_end..head_end + length].to_vec()))
    })
    .await
    .expect("a response or a close in time")
}

/// The first value of header `name` in a raw response head.
pub(crate) fn header<'h>(head: &'h str, name: &str) -> Option<&'h str> {
    head.lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim())
}

/// Calls `ping` on a new connection; the answer must be `pong`.
pub(crate) async fn ping(addr: SocketAddr) {
    let mut stream = TcpStream::connect(addr).await.expect("connects");
    stream.write_all(&raw_post(PING)).await.unwrap();
    let (status, _, body) = read_response(&mut stream)
        .await
        .expect("answered before the connection closed");
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["result"], "pong", "{body}");
}

/// Whether the peer closes the connection within `limit`.
pub(crate) async fn closes_within(stream: &mut TcpStream, limit: Duration) -> bool {
    let drained = async {
        let mut chunk = [0u8; 4096];
        loop {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    timeout(limit, drained).await.is_ok()
}

/// A well-behaved client calling `ping` every `every` on a keep-alive
/// connection (opened again if the server closes it), until stopped; its
/// latencies are kept. It times the server, not the kernel's queue of new
/// connections (a SYN dropped from a full backlog waits a second to retry).
pub(crate) struct Prober {
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<Vec<Duration>>,
}

impl Prober {
    pub(crate) fn start(addr: SocketAddr, every: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let task = tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut stream = TcpStream::connect(addr).await.expect("connects");
            while !stopped.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answered = match stream.write_all(&raw_post(PING)).await {
                    Ok(()) => read_response(&mut stream).await,
                    Err(_) => None,
                };
                match answered {
                    Some((status, _, _)) => {
                        assert_eq!(status, 200);
                        latencies.push(started.elapsed());
                    }
                    // Closed as idle between two calls: a new connection.
                    None => stream = TcpStream::connect(addr).await.expect("connects"),
                }
                tokio::time::sleep(every).await;
            }
            latencies
        });
        Prober { stop, task }
    }

    /// Stops it; the latencies, sorted.
    pub(crate) async fn stop(self) -> Latencies {
        self.stop.store(true, Ordering::Relaxed);
        let mut latencies = timeout(WAIT, self.task)
            .await
            .expect("the prober stops")
            .expect("the prober's calls were all answered");
        latencies.sort();
        Latencies(latencies)
    }
}

/// Sorted latencies.
pub(crate) struct Latencies(pub(crate) Vec<Duration>);

impl Latencies {
    pub(crate) fn quantile(&self, q: f64) -> Duration {
        let last = self.0.len().saturating_sub(1);
        self.0[((last as f64) * q).round() as usize]
    }

    pub(crate) fn max(&self) -> Duration {
        *self.0.last().expect("at least one call")
    }
}

impl std::fmt::Display for Latencies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} calls, p50 {:?}, p99 {:?}, max {:?}",
            self.0.len(),
            self.quantile(0.5),
            self.quantile(0.99),
            self.max()
        )
    }
}

/// This process's resident memory, in KiB.
pub(crate) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS in /proc/self/status")
}

/// This process's open file descriptors.
pub(crate) fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("Linux /proc")
        .count()
}

/// Makes sure this process may open `wanted` descriptors, raising its
/// limit with `prlimit` (util-linux) where it is lower: the tests run as
/// root on CI, which may raise the hard limit too.
pub(crate) fn ensure_fd_limit(wanted: u64) {
    static LOCK: Mutex<()> = Mutex::new(());
    let _one_at_a_time = LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let limits = std::fs::read_to_string("/proc/self/limits").expect("Linux /proc");
    let soft: u64 = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|soft| soft.parse().ok())
        .unwrap_or(0);
    if soft >= wanted {
        return;
    }
    let status = std::process::Command::new("prlimit")
        .arg(format!("--pid={}", std::process::id()))
        .arg(format!("--nofile={wanted}:{wanted}"))
        .status()
        .expect("prlimit (util-linux) runs");
    assert!(
        status.success(),
        "could not raise the descriptor limit to {wanted} (soft limit {soft})"
    );
}
