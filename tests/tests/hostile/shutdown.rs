//! A graceful shutdown under load loses nothing: 32 connections with calls
//! in flight and notifications queued; every call accepted before the
//! shutdown is answered, every notification accepted is run, new
//! connections are refused, and the server stops within its shutdown wait.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rpc_core::{Context, Error, Params, Router};
use rpc_http::{HttpConfig, Server};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::timeout;

use crate::support::{raw_post, read_response, start, WAIT};

const CONNECTIONS: usize = 32;
/// Calls answered before the shutdown starts; the load goes on through it.
const CALLS: usize = 10_000;
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// What the server's methods count.
#[derive(Default)]
struct Counts {
    calls_entered: AtomicUsize,
    notifications_entered: AtomicUsize,
    notifications_run: AtomicUsize,
}

fn router(counts: &Arc<Counts>) -> Router {
    let mut router = Router::new();
    let calls = Arc::clone(counts);
    let notes = Arc::clone(counts);
    router
        .async_method("work", move |_: Params<'_>, _: &Context| {
            calls.calls_entered.fetch_add(1, Ordering::SeqCst);
            Box::pin(async {
                tokio::time::sleep(Duration::from_millis(1)).await;
                Ok::<_, Error>("done")
            })
        })
        .unwrap()
        .async_method("note", move |_: Params<'_>, _: &Context| {
            notes.notifications_entered.fetch_add(1, Ordering::SeqCst);
            let notes = Arc::clone(&notes);
            Box::pin(async move {
                // Long enough that many are still queued when the shutdown starts.
                tokio::time::sleep(Duration::from_millis(20)).await;
                notes.notifications_run.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(())
            })
        })
        .unwrap();
    router
}

/// What the clients saw.
#[derive(Default)]
struct Seen {
    answered: AtomicUsize,
    acknowledged: AtomicUsize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_under_load_answers_every_accepted_call_and_runs_every_notification() {
    let _serial = crate::support::one_at_a_time().await;
    let counts = Arc::new(Counts::default());
    let (server, addr) = start(
        Server::bind("127.0.0.1:0")
            .shutdown_timeout(SHUTDOWN_TIMEOUT)
            .config(HttpConfig::new().with_notification_concurrency(8))
            .mount("/", router(&counts)),
    )
    .await;
    let seen = Arc::new(Seen::default());
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = JoinSet::new();
    for client in 0..CONNECTIONS {
        let seen = Arc::clone(&seen);
        let stop = Arc::clone(&stop);
        clients.spawn(async move {
            let call = raw_post(r#"{"jsonrpc":"2.0","method":"work","id":1}"#);
            let note = raw_post(r#"{"jsonrpc":"2.0","method":"note"}"#);
            let mut n = client;
            // Connections the server closes are opened again, until it refuses.
            'connect: while !stop.load(Ordering::Relaxed) {
                let Ok(mut stream) = TcpStream::connect(addr).await else {
                    return;
                };
                loop {
                    n += 1;
                    let notification = n % 4 == 0;
                    let message = if notification { &note } else { &call };
                    if stream.write_all(message).await.is_err() {
                        continue 'connect;
                    }
                    let Some((status, _, body)) = read_response(&mut stream).await else {
                        continue 'connect;
                    };
                    assert_eq!(status, 200);
                    if notification {
                        assert!(body.is_empty());
                        seen.acknowledged.fetch_add(1, Ordering::SeqCst);
                    } else {
                        let body: Value = serde_json::from_slice(&body).unwrap();
                        assert_eq!(body["result"], "done", "{body}");
                        seen.answered.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        });
    }
    let loaded = Instant::now();
    while seen.answered.load(Ordering::SeqCst) < CALLS {
        assert!(loaded.elapsed() < WAIT * 3, "the load is too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let queued = counts.notifications_entered.load(Ordering::SeqCst)
        - counts.notifications_run.load(Ordering::SeqCst);
    let shutdown = Instant::now();
    server.shutdown();
    stop.store(true, Ordering::Relaxed);
    timeout(SHUTDOWN_TIMEOUT + Duration::from_secs(1), server.stopped())
        .await
        .expect("the server stops");
    let stopped_after = shutdown.elapsed();
    // Refused from now on.
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "a new connection was accepted"
    );
    timeout(WAIT, async { while clients.join_next().await.is_some() {} })
        .await
        .expect("the clients end");

    let calls_entered = counts.calls_entered.load(Ordering::SeqCst);
    let notifications_entered = counts.notifications_entered.load(Ordering::SeqCst);
    let run = counts.notifications_run.load(Ordering::SeqCst);
    let answered = seen.answered.load(Ordering::SeqCst);
    let acknowledged = seen.acknowledged.load(Ordering::SeqCst);
    let accepted = calls_entered + notifications_entered;
    eprintln!(
        "shutdown: {accepted} messages accepted ({calls_entered} calls, {notifications_entered} \
         notifications; {queued} notifications queued or running when the shutdown started); \
         {answered} calls answered + {run} notifications run = {} ({acknowledged} notifications \
         acknowledged); lost: {}; stopped {stopped_after:?} after the shutdown began (wait \
         {SHUTDOWN_TIMEOUT:?})",
        answered + run,
        accepted - (answered + run)
    );
    assert!(answered >= CALLS);
    assert!(
        queued > 0,
        "no notification was waiting: the test shows nothing"
    );
    assert_eq!(answered, calls_entered, "calls accepted but not answered");
    assert_eq!(
        run, notifications_entered,
        "notifications accepted but not run"
    );
    assert!(acknowledged <= run);
    assert!(stopped_after < SHUTDOWN_TIMEOUT, "{stopped_after:?}");
}
