//! Slowloris: thousands of connections that each dribble a request head,
//! a byte at a time, never finishing it.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use rpc_http::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{ensure_fd_limit, open_fds, start, Prober, WAIT};

const CONNECTIONS: usize = 5_000;
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How often each slow connection sends its next byte.
const DRIBBLE: Duration = Duration::from_millis(700);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_thousand_slowloris_connections_are_freed_and_a_good_client_is_answered_throughout() {
    let _serial = crate::support::one_at_a_time().await;
    // Both ends of every connection live in this process.
    ensure_fd_limit(4 * CONNECTIONS as u64);
    let fds_before = open_fds();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .header_read_timeout(HEADER_READ_TIMEOUT)
            .mount("/", crate::support::router()),
    )
    .await;
    let prober = Prober::start(addr, Duration::from_millis(20));

    // Open them 100 at a time: the listener's backlog holds about a thousand.
    let opening = Instant::now();
    let streams: Vec<(TcpStream, Instant)> = timeout(
        WAIT,
        stream::iter(0..CONNECTIONS)
            .map(|_| async move {
                let mut stream = TcpStream::connect(addr).await.expect("connects");
                let connected = Instant::now();
                stream
                    .write_all(b"POST / HTTP/1.1\r\nHost: l")
                    .await
                    .unwrap();
                (stream, connected)
            })
            .buffer_unordered(100)
            .collect(),
    )
    .await
    .expect("5,000 connections open in time");
    let opened = opening.elapsed();

    // Each sends one more header byte every DRIBBLE until the server closes it.
    let dribbling = Instant::now();
    let lifetimes: Vec<Option<Duration>> = timeout(
        WAIT,
        stream::iter(streams)
            .map(|(mut stream, connected)| async move {
                let mut buffer = [0u8; 64];
                loop {
                    tokio::select! {
                        read = stream.read(&mut buffer) => match read {
                            // Closed (the server sends nothing first).
                            Ok(0) | Err(_) => return Some(connected.elapsed()),
                            Ok(_) => panic!("a slow connection got an answer"),
                        },
                        () = tokio::time::sleep(DRIBBLE) => {
                            if stream.write_all(b"o").await.is_err() {
                                return Some(connected.elapsed());
                            }
                        }
                    }
                    if connected.elapsed() > HEADER_READ_TIMEOUT * 4 {
                        return None;
                    }
                }
            })
            .buffer_unordered(CONNECTIONS)
            .collect(),
    )
    .await
    .expect("the slow connections end in time");
    let all_closed = dribbling.elapsed();
    let latencies = prober.stop().await;

    let still_open = lifetimes.iter().filter(|life| life.is_none()).count();
    let longest = lifetimes
        .iter()
        .flatten()
        .max()
        .copied()
        .unwrap_or_default();
    eprintln!(
        "slowloris: {CONNECTIONS} connections opened in {opened:?}; all closed by the server \
         {all_closed:?} after they started dribbling (longest {longest:?}, header read timeout \
         {HEADER_READ_TIMEOUT:?}); the well-behaved client meanwhile: {latencies}"
    );
    assert_eq!(
        still_open, 0,
        "slow connections outlived 4 header read timeouts"
    );
    // Closed at the timeout, within a watchdog tick (a quarter of it); timed
    // from the client's connect, which runs ahead of the server's accept
    // while thousands open at once.
    assert!(longest < HEADER_READ_TIMEOUT * 3, "{longest:?}");
    let shortest = lifetimes
        .iter()
        .flatten()
        .min()
        .copied()
        .unwrap_or_default();
    assert!(shortest >= HEADER_READ_TIMEOUT * 3 / 4, "{shortest:?}");
    assert!(
        latencies.max() < Duration::from_secs(1),
        "the well-behaved client waited {:?}",
        latencies.max()
    );
    // The server's ends of the connections are gone too.
    let settled = Instant::now();
    while open_fds() > fds_before + 16 && settled.elapsed() < WAIT {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        open_fds() <= fds_before + 16,
        "{} descriptors open, {fds_before} before",
        open_fds()
    );
}
