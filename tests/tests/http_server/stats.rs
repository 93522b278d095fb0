//! Statistics, counted by the server and served by the router.

use std::time::Duration;

use rpc_http::{Server, Stats};
use serde_json::json;

use crate::support::{
    call, client, eventually, full, post, request_json, send, start, test_router,
};

#[tokio::test]
async fn statistics_count_calls_errors_notifications_and_connections() {
    let stats = Stats::new();
    let mut router = test_router();
    router.add("server.stats", stats.method()).unwrap();
    let (_server, addr) = start(Server::bind("127.0.0.1:0").stats(&stats).mount("/", router)).await;

    let client = client();
    let post_body = |body: String| post(addr, "/").body(full(body)).unwrap();
    let reply = send(&client, post_body(request_json("ping", json!([]), 1))).await;
    assert_eq!(reply.json()["result"], "pong");
    let reply = send(&client, post_body(request_json("fail", json!([]), 2))).await;
    assert_eq!(reply.json()["error"]["code"], 42);
    let reply = send(
        &client,
        post_body(r#"{"jsonrpc":"2.0","method":"ping"}"#.to_owned()),
    )
    .await;
    assert!(reply.body.is_empty());

    let method = |name: &str| {
        stats
            .snapshot()
            .methods
            .into_iter()
            .find(|method| method.name == name)
            .unwrap_or_else(|| panic!("no figures for {name}"))
    };
    eventually("the notification is counted", || method("ping").calls == 2).await;
    eventually("nothing is in flight", || {
        stats.snapshot().requests_in_flight == 0
    })
    .await;
    let snapshot = stats.snapshot();
    let ping = method("ping");
    let fail = method("fail");
    assert_eq!((ping.calls, ping.errors), (2, 0));
    assert_eq!((fail.calls, fail.errors), (1, 1));
    assert_eq!(method("echo").calls, 0);
    assert!(ping.max >= ping.min);
    assert_eq!(snapshot.requests_total, 3, "three messages: {snapshot:?}");
    assert!(snapshot.connections_total >= 1);
    assert!(
        snapshot.connections_active >= 1,
        "the client keeps its connection"
    );

    // Served as JSON by the router itself.
    let reply = send(
        &client,
        post_body(request_json("server.stats", json!([]), 3)),
    )
    .await;
    let served = reply.json()["result"].clone();
    let figures = |name: &str| {
        served["methods"]
            .as_array()
            .unwrap()
            .iter()
            .find(|method| method["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {served}"))
    };
    assert_eq!(figures("ping")["calls"], 2);
    assert_eq!(figures("fail")["errors"], 1);
    assert!(figures("fail")["latency_us"]["max"].is_number());
    assert!(served["connections"]["total"].as_u64().unwrap() >= 1);
    assert_eq!(served["requests"]["total"], 4, "{served}");
    assert_eq!(served["requests"]["in_flight"], 1, "itself");

    drop(client);
    eventually("the connection is closed", || {
        stats.snapshot().connections_active == 0
    })
    .await;
}

#[tokio::test]
async fn default_statistics_keep_a_clock_like_new_ones() {
    let stats = Stats::default();
    let (_server, addr) = start(
        Server::bind("127.0.0.1:0")
            .stats(&stats)
            .mount("/", test_router()),
    )
    .await;
    for id in 0..3 {
        let reply = call(addr, "/", &request_json("ping", json!([]), id)).await;
        assert_eq!(reply.json()["result"], "pong");
    }
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let snapshot = stats.snapshot();
    assert!(
        snapshot.uptime >= Duration::from_millis(1_100),
        "{:?}",
        snapshot.uptime
    );
    assert_eq!(snapshot.connections_total, 3);
    // Three connections in the first second, averaged over the time since.
    assert!(
        snapshot.connections_per_second < 3.0,
        "{}",
        snapshot.connections_per_second
    );
}
