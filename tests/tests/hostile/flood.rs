//! A connection flood far past `max_connections`: the excess waits in the
//! listener's backlog, as documented, and is served as slots free up;
//! nothing crashes, memory stays bounded, and served requests keep working.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use rpc_http::Server;
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{ensure_fd_limit, ping, raw_post, read_response, rss_kib, start, PING, WAIT};

const MAX_CONNECTIONS: usize = 50;
/// Ten times the slots, within the listener's backlog of 1024 (past it the
/// kernel drops SYNs, and clients retry after a second).
const FLOOD: usize = 500;
const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(250);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_past_max_connections_waits_its_turn_and_every_request_is_answered() {
    let _serial = crate::support::one_at_a_time().await;
    ensure_fd_limit(4 * FLOOD as u64);
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .max_connections(MAX_CONNECTIONS)
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .mount("/", crate::support::router()),
    )
    .await;
    // Warm up, then measure from here.
    for _ in 0..100 {
        ping(addr).await;
    }
    let rss_before = rss_kib();

    // Every flood connection sends a call, reads its answer, then stays open
    // (keep-alive) without sending more: it holds its slot until the server
    // closes it as idle, so only MAX_CONNECTIONS are served at a time.
    let started = Instant::now();
    let answered: Vec<Duration> = timeout(
        WAIT,
        stream::iter(0..FLOOD)
            .map(|_| async move {
                let mut stream = TcpStream::connect(addr).await.expect("connects");
                let sent = Instant::now();
                stream.write_all(&raw_post(PING)).await.unwrap();
                let (status, _, body) = read_response(&mut stream)
                    .await
                    .expect("a flood connection is answered before it is closed");
                assert_eq!(status, 200);
                let body: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(body["result"], "pong");
                let waited = sent.elapsed();
                // Held open, idle, until the server closes it.
                let _ = read_response(&mut stream).await;
                waited
            })
            .buffer_unordered(FLOOD)
            .collect(),
    )
    .await
    .expect("the whole flood is served in time");
    let flood_time = started.elapsed();
    let rss_after = rss_kib();
    let longest = answered.iter().max().copied().unwrap_or_default();

    // Served requests keep working once it has passed.
    let after = Instant::now();
    ping(addr).await;
    let next = after.elapsed();

    eprintln!(
        "flood: {FLOOD} connections on {MAX_CONNECTIONS} slots (idle timeout \
         {HEADER_READ_TIMEOUT:?}): all answered in {flood_time:?}, the longest wait \
         {longest:?}; RSS {rss_before} KiB before, {rss_after} KiB after; the next call \
         {next:?}"
    );
    assert_eq!(answered.len(), FLOOD);
    // Memory stays bounded: what FLOOD connections' buffers could hold at
    // once is far more than this.
    assert!(
        rss_after < rss_before + 64 * 1024,
        "RSS grew from {rss_before} KiB to {rss_after} KiB"
    );
    assert!(next < Duration::from_secs(1), "{next:?}");
}
