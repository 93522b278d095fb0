use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rpc_core::client::Client;
use rpc_core::subscription::{self, SubscriptionStream};
use rpc_core::{Context, Error, Method, Params, Router, Subscription};

use crate::support::{connect, start_router, within};

/// Counts the item streams alive: one per live subscription of the router.
struct Live(Arc<AtomicUsize>);

impl Drop for Live {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

fn ticks() -> Router {
    ticks_counting(Arc::default())
}

fn ticks_counting(live: Arc<AtomicUsize>) -> Router {
    let mut router = Router::new();
    router
        .add(
            "subscribe_ticks",
            Method::subscription("ticks", move |params: Params<'_>, _: &Context| {
                let (count, interval_ms): (u64, u64) = params.decode(&["count", "interval_ms"])?;
                let every = Duration::from_millis(interval_ms);
                live.fetch_add(1, Ordering::SeqCst);
                let alive = Live(Arc::clone(&live));
                let items =
                    futures_util::stream::unfold((0, alive), move |(n, alive)| async move {
                        if n == count {
                            return None;
                        }
                        tokio::time::sleep(every).await;
                        Some((n, (n + 1, alive)))
                    });
                Ok::<_, Error>(Subscription::new(items))
            }),
        )
        .unwrap()
        .add("unsubscribe_ticks", Method::unsubscription())
        .unwrap();
    router
}

/// Waits until `live` reads `count`.
async fn until_live(live: &AtomicUsize, count: usize) {
    within(async {
        while live.load(Ordering::SeqCst) != count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn items_follow_the_answer_in_order_and_stop_at_unsubscribe() {
    let (server, url) = start_router(ticks()).await;
    let client = connect(&url).await;
    let calls = Client::new(client.clone());
    let mut stream: SubscriptionStream<u64> = within(subscription::subscribe(
        &calls,
        "subscribe_ticks",
        (5, 1),
        "ticks",
        "unsubscribe_ticks",
    ))
    .await
    .unwrap();
    for expected in 0..5 {
        assert_eq!(within(stream.next()).await.unwrap().unwrap(), expected);
    }
    let id: u64 = stream.id().parse().unwrap();
    // Ended by the server when its stream ended; a second end finds nothing.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!within(calls.request::<bool>("unsubscribe_ticks", (id,)))
        .await
        .unwrap());

    let long: SubscriptionStream<u64> = within(subscription::subscribe(
        &calls,
        "subscribe_ticks",
        (1_000_000, 5),
        "ticks",
        "unsubscribe_ticks",
    ))
    .await
    .unwrap();
    let id: u64 = long.id().parse().unwrap();
    let other = connect(&url).await;
    assert!(
        !within(Client::new(other.clone()).request::<bool>("unsubscribe_ticks", (id,)))
            .await
            .unwrap(),
        "another connection's subscription is not this one's to end"
    );
    assert!(within(calls.request::<bool>("unsubscribe_ticks", (id,)))
        .await
        .unwrap());
    assert!(
        !within(calls.request::<bool>("unsubscribe_ticks", ("not-an-id",)))
            .await
            .unwrap()
    );
    drop(long);
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn dropping_the_stream_unsubscribes_and_closing_ends_subscriptions() {
    let live = Arc::new(AtomicUsize::new(0));
    let (server, url) = start_router(ticks_counting(Arc::clone(&live))).await;
    let client = connect(&url).await;
    let calls = Client::new(client.clone());
    let stream: SubscriptionStream<u64> = within(subscription::subscribe(
        &calls,
        "subscribe_ticks",
        (1_000_000, 5),
        "ticks",
        "unsubscribe_ticks",
    ))
    .await
    .unwrap();
    assert_eq!(live.load(Ordering::SeqCst), 1);
    drop(stream);
    until_live(&live, 0).await;

    let _kept: SubscriptionStream<u64> = within(subscription::subscribe(
        &calls,
        "subscribe_ticks",
        (1_000_000, 5),
        "ticks",
        "unsubscribe_ticks",
    ))
    .await
    .unwrap();
    until_live(&live, 1).await;
    within(client.close()).await;
    until_live(&live, 0).await;
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_subscription_over_http_is_refused() {
    let (server, url) = start_router(ticks()).await;
    let http = rpc_http::HttpClient::new(&url.replace("ws://", "http://")).unwrap();
    let err = within(Client::new(http).request::<u64>("subscribe_ticks", (1, 1)))
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), -32000);
    server.shutdown();
    within(server.stopped()).await;
}
