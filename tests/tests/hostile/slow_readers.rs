//! Clients that read their answer a byte at a time, and clients that never
//! read it: what the server holds for them is bounded by their answers,
//! and its idle watchdog frees them once their answers stop moving.

use std::time::{Duration, Instant};

use rpc_http::{Server, Stats};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

use crate::support::{ensure_fd_limit, ping, raw_post, rss_kib, start, WAIT};

const CLIENTS: usize = 20;
const ANSWER: usize = 1 << 20;
const HEADER_READ_TIMEOUT: Duration = Duration::from_millis(500);

/// How a slow client treats its answer.
#[derive(Clone, Copy, Debug)]
enum Reading {
    Never,
    AByteAtATime,
}

async fn slow_clients_are_freed(reading: Reading) {
    ensure_fd_limit(1024);
    let stats = Stats::new();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .stats(&stats)
            .mount("/", crate::support::router()),
    )
    .await;
    ping(addr).await;
    let rss_before = rss_kib();
    let request = raw_post(
        &json!({"jsonrpc": "2.0", "method": "text", "params": [ANSWER], "id": 1}).to_string(),
    );
    let started = Instant::now();
    let mut clients = JoinSet::new();
    for _ in 0..CLIENTS {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&request).await.unwrap();
        clients.spawn(async move {
            let mut byte = [0u8; 1];
            loop {
                match reading {
                    Reading::Never => tokio::time::sleep(Duration::from_millis(50)).await,
                    Reading::AByteAtATime => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                        if matches!(stream.read(&mut byte).await, Ok(0) | Err(_)) {
                            return;
                        }
                    }
                }
            }
        });
    }
    // The server's side: every connection open, then freed.
    let mut rss_peak = rss_kib();
    let deadline = Instant::now() + WAIT;
    while stats.snapshot().connections_active > 0 {
        assert!(Instant::now() < deadline, "slow clients still connected");
        rss_peak = rss_peak.max(rss_kib());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let freed_after = started.elapsed();
    clients.abort_all();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let rss_after = rss_kib();
    let next = Instant::now();
    ping(addr).await;
    let next = next.elapsed();
    eprintln!(
        "slow readers ({reading:?}): {CLIENTS} clients with {} MiB answers freed after \
         {freed_after:?} (header read timeout {HEADER_READ_TIMEOUT:?}); RSS {rss_before} KiB \
         before, peak {rss_peak} KiB, {rss_after} KiB after; the next call {next:?}",
        ANSWER >> 20
    );
    // About one timeout once the answers stop moving, plus a tick and the
    // time a debug build takes to write 20 answers.
    assert!(freed_after < HEADER_READ_TIMEOUT * 10, "{freed_after:?}");
    // Per connection, no more than a few copies of its answer.
    let bound = (CLIENTS * ANSWER * 3 / 1024) as u64;
    assert!(rss_peak < rss_before + bound, "peak RSS {rss_peak} KiB");
    assert!(next < Duration::from_secs(1), "{next:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_never_read_their_answers_are_freed_by_the_idle_timeout() {
    let _serial = crate::support::one_at_a_time().await;
    slow_clients_are_freed(Reading::Never).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_that_read_a_byte_at_a_time_are_freed_by_the_idle_timeout() {
    let _serial = crate::support::one_at_a_time().await;
    slow_clients_are_freed(Reading::AByteAtATime).await;
}
