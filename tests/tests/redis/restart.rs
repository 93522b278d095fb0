//! What a subscriber sees while Redis restarts (the semantics written in
//! rpc-redis's crate documentation): nothing published during the gap,
//! no message twice, the subscriptions back without the client doing
//! anything, and the loss and the return logged and counted.

use std::time::Duration;

use rpc_core::client::Client;
use serde_json::{json, Value};

use crate::support::{
    call, connect, next, nothing_within, stats, wait_for_stats, within, Node, Redis,
};

const SETTLE: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_a_redis_restart_subscriptions_resume_and_what_was_published_meanwhile_is_lost() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let nodes = [Node::start(&redis, "a"), Node::start(&redis, "b")];
    let (subscriber, publisher) = (connect(&nodes[0].url).await, connect(&nodes[1].url).await);
    let (mut news, mut weather) = (
        subscriber.notifications("news"),
        subscriber.notifications("weather"),
    );
    call(&subscriber, "subscribe", (["news", "weather"],)).await;
    call(&publisher, "publish", ("weather", json!({"v": 1}))).await;
    call(&publisher, "publish", ("news", json!({"n": 1}))).await;
    assert_eq!(next(&mut weather).await, json!({"v": 1}));
    assert_eq!(next(&mut news).await, json!({"n": 1}));

    redis.kill();
    for client in [&subscriber, &publisher] {
        wait_for_stats(client, "the loss noticed", |stats| {
            stats["connected"] == false && stats["connections_lost"] == 1
        })
        .await;
    }
    // While Redis is out of reach a publish fails at once, saying why.
    let refused = within(
        Client::new(publisher.clone()).request::<Value>("publish", ("news", json!({"n": "gap"}))),
    )
    .await
    .expect_err("nothing to publish to");
    let error = refused.call_error().expect("an error object");
    assert_eq!(error.code().code(), -32000);
    assert_eq!(error.message(), "The message broker is unreachable");
    // The clients' own connections are untouched.
    assert!(!subscriber.is_closed() && !publisher.is_closed());

    // Same port, same data (its append-only file): the brokers come back by themselves.
    redis.restart();
    for client in [&subscriber, &publisher] {
        wait_for_stats(client, "back, subscriptions renewed", |stats| {
            stats["connected"] == true && stats["reconnections"] == 1
        })
        .await;
    }
    assert_eq!(stats(&subscriber).await["subscribed_topics"], 2);
    assert_eq!(redis.channel_subscribers("news"), 1);
    for node in &nodes {
        let log = node.log();
        assert!(log.contains("lost the connection to Redis"), "{log}");
        assert!(
            log.contains("reconnected to Redis; subscriptions renewed"),
            "{log}"
        );
    }

    call(&publisher, "publish", ("news", json!({"n": 2}))).await;
    assert_eq!(
        next(&mut news).await,
        json!({"n": 2}),
        "the next message after the gap; nothing from it"
    );
    // The stored value did not change while cut off: it is not sent again.
    nothing_within(&mut weather, SETTLE).await;
    nothing_within(&mut news, Duration::ZERO).await;

    // It is still in Redis for a newcomer on the other process...
    let newcomer = connect(&nodes[1].url).await;
    let mut newcomer_weather = newcomer.notifications("weather");
    call(&newcomer, "subscribe", (["weather"],)).await;
    assert_eq!(next(&mut newcomer_weather).await, json!({"v": 1}));
    // ...and the next one reaches both.
    call(&publisher, "publish", ("weather", json!({"v": 2}))).await;
    assert_eq!(next(&mut weather).await, json!({"v": 2}));
    assert_eq!(next(&mut newcomer_weather).await, json!({"v": 2}));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_redis_comes_back_empty_retained_messages_numbered_anew_still_arrive() {
    let Some(mut redis) = Redis::start() else {
        return;
    };
    let nodes = [Node::start(&redis, "a"), Node::start(&redis, "b")];
    let (subscriber, publisher) = (connect(&nodes[0].url).await, connect(&nodes[1].url).await);
    let mut weather = subscriber.notifications("weather");
    call(&subscriber, "subscribe", (["weather"],)).await;
    for v in 1..=3 {
        call(&publisher, "publish", ("weather", json!({"v": v}))).await;
        assert_eq!(next(&mut weather).await, json!({"v": v}));
    }

    // Redis loses everything (numbering included), as one without persistence would.
    redis.kill();
    redis.wipe();
    redis.restart();
    for client in [&subscriber, &publisher] {
        wait_for_stats(client, "back", |stats| stats["reconnections"] == 1).await;
    }
    // Numbered 1 by the empty Redis, below the 3 the subscriber's process
    // last saw: still delivered, since a lost connection resets the numbering.
    call(&publisher, "publish", ("weather", json!({"v": "fresh"}))).await;
    assert_eq!(next(&mut weather).await, json!({"v": "fresh"}));
    nothing_within(&mut weather, SETTLE).await;
}
