//! Bodies that lie: one that claims 10 MiB and sends a byte, chunked ones
//! that never end; and HTTP/2 streams opened and reset in a loop (rapid
//! reset). The work each costs is bounded, and the server keeps serving.

use std::time::{Duration, Instant};

use futures_util::stream::{self, StreamExt};
use rpc_http::{HttpConfig, Server, Stats};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

use crate::support::{ensure_fd_limit, header, ping, read_response, rss_kib, start, Prober, WAIT};

const BODY_READ_TIMEOUT: Duration = Duration::from_millis(500);

fn impatient() -> Server {
    Server::bind("127.0.0.1:0")
        .config(
            HttpConfig::new()
                .with_max_body_size(1 << 20)
                .with_body_read_timeout(Some(BODY_READ_TIMEOUT)),
        )
        .mount("/", crate::support::router())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_that_claim_10_mib_and_send_two_bytes_get_408_and_hold_no_10_mib() {
    let _serial = crate::support::one_at_a_time().await;
    const LIARS: usize = 500;
    ensure_fd_limit(4 * LIARS as u64);
    // The default limit of 10 MiB, so the claim itself is allowed.
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .config(HttpConfig::new().with_body_read_timeout(Some(BODY_READ_TIMEOUT)))
            .mount("/", crate::support::router()),
    )
    .await;
    ping(addr).await;
    let rss_before = rss_kib();
    let started = Instant::now();
    let answers: Vec<u16> = timeout(
        WAIT,
        stream::iter(0..LIARS)
            .map(|_| async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream
                    .write_all(b"POST / HTTP/1.1\r\nHost: l\r\nContent-Length: 10485760\r\n\r\n{")
                    .await
                    .unwrap();
                // A second piece, so the body is more than its first chunk.
                tokio::time::sleep(Duration::from_millis(50)).await;
                stream.write_all(b"\"").await.unwrap();
                let (status, head, _) = read_response(&mut stream).await.expect("answered");
                assert_eq!(header(&head, "connection"), Some("close"));
                status
            })
            .buffer_unordered(LIARS)
            .collect(),
    )
    .await
    .expect("answered in time");
    let elapsed = started.elapsed();
    let rss_after = rss_kib();
    eprintln!(
        "bodies: {LIARS} bodies claiming 10 MiB and sending 2 bytes: all answered {} in \
         {elapsed:?} (body read timeout {BODY_READ_TIMEOUT:?}); RSS {rss_before} KiB before, \
         {rss_after} KiB after",
        answers[0]
    );
    assert!(answers.iter().all(|&status| status == 408), "{answers:?}");
    assert!(elapsed < BODY_READ_TIMEOUT * 8, "{elapsed:?}");
    // Nowhere near LIARS x 10 MiB.
    assert!(rss_after < rss_before + 64 * 1024, "RSS {rss_after} KiB");
    ping(addr).await;
}

/// Sends chunks of `chunk` bytes every `every`, never the last one, until
/// the server answers; the status.
async fn endless_chunked(stream: &mut TcpStream, chunk: usize, every: Duration) -> u16 {
    stream
        .write_all(b"POST / HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let mut piece = format!("{chunk:x}\r\n").into_bytes();
    piece.extend(std::iter::repeat_n(b' ', chunk));
    piece.extend_from_slice(b"\r\n");
    let (reader, mut writer) = stream.split();
    let writing = async {
        loop {
            if writer.write_all(&piece).await.is_err() {
                // The server has answered and closed.
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(every).await;
        }
    };
    let mut reader = reader;
    let reading = async {
        let mut buffer = Vec::new();
        let mut chunk = [0u8; 1024];
        loop {
            use tokio::io::AsyncReadExt;
            let n = reader.read(&mut chunk).await.unwrap_or(0);
            assert!(n > 0, "closed without an answer");
            buffer.extend_from_slice(&chunk[..n]);
            if buffer.len() >= 12 {
                return String::from_utf8_lossy(&buffer[9..12]).parse().unwrap();
            }
        }
    };
    timeout(WAIT, async {
        tokio::select! {
            () = writing => unreachable!(),
            status = reading => status,
        }
    })
    .await
    .expect("answered in time")
}

#[tokio::test]
async fn a_chunked_body_that_never_ends_is_cut_at_the_size_limit_with_413() {
    let _serial = crate::support::one_at_a_time().await;
    let (_server, addr) = start(impatient()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    let status = endless_chunked(&mut stream, 16 << 10, Duration::from_millis(1)).await;
    eprintln!(
        "bodies: an endless chunked body was answered {status} after {:?}",
        started.elapsed()
    );
    assert_eq!(status, 413);
    ping(addr).await;
}

#[tokio::test]
async fn a_chunked_body_that_trickles_forever_gets_408_at_the_body_read_timeout() {
    let _serial = crate::support::one_at_a_time().await;
    let (_server, addr) = start(impatient()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let started = Instant::now();
    // 10 bytes every 50 ms: never over the limit, never done.
    let status = endless_chunked(&mut stream, 10, Duration::from_millis(50)).await;
    let elapsed = started.elapsed();
    eprintln!("bodies: a trickling chunked body was answered {status} after {elapsed:?}");
    assert_eq!(status, 408);
    assert!(elapsed < BODY_READ_TIMEOUT * 4, "{elapsed:?}");
    ping(addr).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_streams_opened_and_reset_in_a_loop_leave_the_server_serving() {
    let _serial = crate::support::one_at_a_time().await;
    const STREAMS: usize = 10_000;
    let stats = Stats::new();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .stats(&stats)
            .mount("/", crate::support::router()),
    )
    .await;
    let prober = Prober::start(addr, Duration::from_millis(10));
    let started = Instant::now();
    let mut opened = 0;
    let mut connections = 0;
    // Reset streams as fast as possible; when the server sends GOAWAY, reconnect.
    timeout(WAIT, async {
        while opened < STREAMS {
            connections += 1;
            let tcp = TcpStream::connect(addr).await.unwrap();
            let Ok((mut client, connection)) = h2::client::handshake(tcp).await else {
                continue;
            };
            tokio::spawn(connection);
            while opened < STREAMS {
                client = match client.ready().await {
                    Ok(client) => client,
                    Err(_) => break,
                };
                let request = http::Request::post(format!("http://{addr}/"))
                    .header("content-type", "application/json")
                    .body(())
                    .unwrap();
                let Ok((response, mut body)) = client.send_request(request, false) else {
                    break;
                };
                body.send_reset(h2::Reason::CANCEL);
                drop(response);
                opened += 1;
            }
        }
    })
    .await
    .expect("the resets are done in time");
    let elapsed = started.elapsed();
    let latencies = prober.stop().await;
    let requests = stats.snapshot().requests_total;
    eprintln!(
        "rapid reset: {opened} HTTP/2 streams opened and reset over {connections} connections \
         in {elapsed:?}; {requests} requests reached the service; the well-behaved client \
         meanwhile: {latencies}"
    );
    assert!(
        latencies.max() < Duration::from_secs(1),
        "{}",
        latencies.max().as_millis()
    );
    ping(addr).await;
}
