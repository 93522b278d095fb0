//! Idle keep-alive connections holding every slot: the server's idle
//! watchdog (`Server::header_read_timeout`, 30 s by default) closes a
//! connection with no request for that long, so they cannot lock a new
//! client out for longer.

use std::time::{Duration, Instant};

use rpc_http::Server;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{closes_within, ping, raw_post, read_response, start, PING, WAIT};

const SLOTS: usize = 8;
const IDLE_TIMEOUT: Duration = Duration::from_millis(500);

#[tokio::test]
async fn a_client_holding_every_slot_idle_cannot_keep_a_new_client_out_longer_than_the_idle_timeout(
) {
    let _serial = crate::support::one_at_a_time().await;
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .max_connections(SLOTS)
            .header_read_timeout(IDLE_TIMEOUT)
            .mount("/", crate::support::router()),
    )
    .await;
    // One call on each slot, then idle.
    let mut held = Vec::new();
    for _ in 0..SLOTS {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(&raw_post(PING)).await.unwrap();
        let (status, _, _) = read_response(&mut stream).await.expect("answered");
        assert_eq!(status, 200);
        held.push(stream);
    }
    let held_since = Instant::now();
    // A new client waits in the backlog until the watchdog frees a slot.
    ping(addr).await;
    let locked_out = held_since.elapsed();
    eprintln!(
        "idle: {SLOTS} idle keep-alive connections held every slot; a new client was \
         answered after {locked_out:?} (idle timeout {IDLE_TIMEOUT:?})"
    );
    assert!(
        locked_out < IDLE_TIMEOUT * 2,
        "the new client waited {locked_out:?}"
    );
    for mut stream in held {
        assert!(closes_within(&mut stream, WAIT).await);
    }
}
