//! Limits and policies: slow readers, silent peers, calls in flight at
//! shutdown, clients that vanish.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rpc_core::client::Client;
use rpc_core::connection::{ConnectionConfig, SlowConsumer};
use rpc_core::{Context, Error, Method, Params, Router, Topics};
use rpc_http::{HttpConfig, Server, WsClient, WsConfig};
use serde_json::json;

use crate::support::{close_code, echo, next_json, raw_connect, send_text, start, within};

fn ws_config(connection: ConnectionConfig) -> HttpConfig {
    HttpConfig::new().with_websocket(WsConfig::new().with_connection(connection))
}

/// `sleep(ms)` (asynchronous), `ask(method)` (calls the caller back),
/// `flood(n, size)` (notifies the caller n times), and the topic methods.
fn router(topics: &Topics, running: Arc<AtomicUsize>, most: Arc<AtomicUsize>) -> Router {
    let mut router = topics.methods().router().unwrap();
    router
        .add(
            "sleep",
            Method::asynchronous(move |params: Params<'_>, _: &Context| {
                let running = Arc::clone(&running);
                let most = Arc::clone(&most);
                Box::pin(async move {
                    let (ms,): (u64,) = params.decode(&["ms"])?;
                    let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                    most.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    running.fetch_sub(1, Ordering::SeqCst);
                    Ok::<_, Error>(ms)
                })
            }),
        )
        .unwrap()
        .add(
            "ask",
            Method::asynchronous(|params: Params<'_>, ctx: &Context| {
                Box::pin(async move {
                    let (method,): (String,) = params.decode(&["method"])?;
                    ctx.peer()?
                        .client()
                        .request::<serde_json::Value>(&method, ())
                        .await
                        .map_err(|err| {
                            Error::new(-32050, "the client did not answer")
                                .with_data(&err.to_string())
                        })
                })
            }),
        )
        .unwrap()
        .add(
            "flood",
            Method::asynchronous(|params: Params<'_>, ctx: &Context| {
                Box::pin(async move {
                    let (n, size): (usize, usize) = params.decode(&["n", "size"])?;
                    let peer = ctx.peer()?.clone();
                    let filler = "x".repeat(size);
                    for i in 0..n {
                        let message = serde_json::to_vec(
                            &json!({"jsonrpc":"2.0","method":"flood","params":[i, filler]}),
                        )
                        .unwrap();
                        if peer.send_message(message).await.is_err() {
                            break;
                        }
                    }
                    Ok::<_, Error>(n)
                })
            }),
        )
        .unwrap();
    router
}

fn counters() -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    (Arc::default(), Arc::default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_never_waits_on_a_reader_that_does_not_read_and_the_reader_is_closed() {
    let topics = Topics::new().topic("news");
    let (running, most) = counters();
    let config = ws_config(
        ConnectionConfig::new()
            .with_outbox_capacity(8)
            .with_slow_consumer(SlowConsumer::Close),
    );
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", router(&topics, running, most))
            .config(config),
    )
    .await;

    // A subscriber that never reads past its subscription.
    let mut stalled = raw_connect(&url).await;
    send_text(
        &mut stalled,
        r#"{"jsonrpc":"2.0","method":"subscribe","params":["news"],"id":1}"#,
    )
    .await;
    assert_eq!(next_json(&mut stalled).await["result"], json!(["news"]));
    let reader = WsClient::connect(&url).await.unwrap();
    let mut news = reader.notifications("news");
    let _: Vec<String> = within(Client::new(reader.clone()).request("subscribe", (["news"],)))
        .await
        .unwrap();

    let payload = "y".repeat(64 * 1024);
    let mut slowest = Duration::ZERO;
    for _ in 0..200 {
        let started = std::time::Instant::now();
        topics.publish("news", &[&payload]).unwrap();
        slowest = slowest.max(started.elapsed());
        // Room for the reader that reads to keep up.
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    assert!(
        slowest < Duration::from_millis(100),
        "a publish waited {slowest:?}"
    );
    // The one that reads gets every message; the one that does not is closed (1008).
    for _ in 0..200 {
        assert!(within(news.next_raw()).await.is_some());
    }
    assert_eq!(close_code(&mut stalled).await, Some(1008));
    assert!(!reader.is_closed());
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_flood_to_a_reader_that_does_not_read_holds_the_sender_back_and_others_are_served() {
    let topics = Topics::new();
    let (running, most) = counters();
    let config = ws_config(ConnectionConfig::new().with_outbox_capacity(16));
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", router(&topics, running, most))
            .config(config),
    )
    .await;
    let mut stalled = raw_connect(&url).await;
    send_text(
        &mut stalled,
        r#"{"jsonrpc":"2.0","method":"flood","params":[100000, 1000],"id":1}"#,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Another connection is served while the flood is held back.
    let other = WsClient::connect(&url).await.unwrap();
    let slept: u64 = within(Client::new(other.clone()).request("sleep", (1,)))
        .await
        .unwrap();
    assert_eq!(slept, 1);
    drop(stalled);
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_peer_that_never_answers_meets_the_timeout_and_the_connection_lives_on() {
    let topics = Topics::new();
    let (running, most) = counters();
    let config =
        ws_config(ConnectionConfig::new().with_peer_call_timeout(Duration::from_millis(300)));
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", router(&topics, running, most))
            .config(config),
    )
    .await;
    let mut socket = raw_connect(&url).await;
    send_text(
        &mut socket,
        r#"{"jsonrpc":"2.0","method":"ask","params":["question"],"id":1}"#,
    )
    .await;
    let question = next_json(&mut socket).await;
    assert_eq!(question["method"], "question");
    // No answer: the call fails with the method's own error.
    let answer = next_json(&mut socket).await;
    assert_eq!(answer["error"]["code"], -32050, "{answer}");
    assert!(answer["error"]["data"]
        .as_str()
        .unwrap()
        .contains("did not answer within"));
    // A late answer is ignored; the connection still serves.
    let late = json!({"jsonrpc":"2.0","result":"too late","id":question["id"]}).to_string();
    send_text(&mut socket, &late).await;
    send_text(
        &mut socket,
        r#"{"jsonrpc":"2.0","method":"sleep","params":[1],"id":2}"#,
    )
    .await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({"jsonrpc":"2.0","result":1,"id":2})
    );
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn calls_in_flight_finish_at_shutdown_before_the_close() {
    let topics = Topics::new();
    let (running, most) = counters();
    let (server, url) =
        start(Server::bind("127.0.0.1:0").mount("/", router(&topics, running, most))).await;
    let mut socket = raw_connect(&url).await;
    send_text(
        &mut socket,
        r#"{"jsonrpc":"2.0","method":"sleep","params":[300],"id":7}"#,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.shutdown();
    assert_eq!(
        next_json(&mut socket).await,
        json!({"jsonrpc":"2.0","result":300,"id":7})
    );
    assert_eq!(close_code(&mut socket).await, Some(1001));
    within(server.stopped()).await;
}

#[tokio::test]
async fn calls_in_flight_are_bounded_and_reading_waits_for_a_slot() {
    let topics = Topics::new();
    let (running, most) = counters();
    let config = ws_config(ConnectionConfig::new().with_max_in_flight(2));
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount(
                "/",
                router(&topics, Arc::clone(&running), Arc::clone(&most)),
            )
            .config(config),
    )
    .await;
    let client = WsClient::connect(&url).await.unwrap();
    let calls = Client::new(client.clone());
    let all = (0..6).map(|_| calls.request::<u64>("sleep", (50,)));
    let answers = within(futures_util::future::join_all(all)).await;
    assert!(answers
        .iter()
        .all(|answer| answer.as_ref().is_ok_and(|ms| *ms == 50)));
    assert_eq!(most.load(Ordering::SeqCst), 2, "at most two ran at once");
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_silent_peer_is_closed_after_the_idle_timeout_and_a_vanished_one_costs_nothing() {
    let topics = Topics::new();
    let (running, most) = counters();
    let config = ws_config(
        ConnectionConfig::new()
            .with_ping_interval(None)
            .with_idle_timeout(Some(Duration::from_millis(300))),
    );
    let (server, url) = start(
        Server::bind("127.0.0.1:0")
            .mount("/", router(&topics, Arc::clone(&running), most))
            .config(config),
    )
    .await;
    let mut silent = raw_connect(&url).await;
    assert_eq!(close_code(&mut silent).await, Some(1001));

    // A client gone mid-call: the call runs out, the server goes on.
    let mut vanishing = raw_connect(&url).await;
    send_text(
        &mut vanishing,
        r#"{"jsonrpc":"2.0","method":"sleep","params":[100],"id":1}"#,
    )
    .await;
    drop(vanishing);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert_eq!(running.load(Ordering::SeqCst), 0);
    let mut fresh = raw_connect(&url).await;
    send_text(
        &mut fresh,
        r#"{"jsonrpc":"2.0","method":"sleep","params":[1],"id":2}"#,
    )
    .await;
    assert_eq!(next_json(&mut fresh).await["result"], 1);
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_call_whose_answer_is_over_the_clients_limit_fails_saying_so() {
    let (server, url) = start(Server::bind("127.0.0.1:0").mount("/", echo())).await;
    let small = WsConfig::new()
        .with_max_message_size(200)
        .with_max_frame_size(200);
    let client = within(WsClient::builder().config(small).connect(&url))
        .await
        .unwrap();
    let err = within(Client::new(client.clone()).request::<String>("echo", ("x".repeat(500),)))
        .await
        .unwrap_err();
    let said = err.to_string();
    assert!(
        said.contains("the connection has ended")
            && said.contains("larger than the limit of 200 bytes"),
        "{said}"
    );
    // A later call says the same: the reason stays with the connection.
    let err = within(Client::new(client).request::<String>("echo", ("short",)))
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("larger than the limit of 200 bytes"),
        "{err}"
    );
    server.shutdown();
    within(server.stopped()).await;
}
