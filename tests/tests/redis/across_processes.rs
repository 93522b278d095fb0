use std::time::Duration;

use rpc_core::client::Client;
use serde_json::{json, Value};

use crate::support::{
    call, connect, next, nothing_within, stats, wait_for_stats, within, Node, Redis,
};

/// Long enough for a message that was coming to have come.
const SETTLE: Duration = Duration::from_millis(300);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_on_one_process_reaches_the_subscribers_of_the_others_in_order_once() {
    let Some(redis) = Redis::start() else { return };
    let nodes = [
        Node::start(&redis, "a"),
        Node::start(&redis, "b"),
        Node::start(&redis, "c"),
    ];
    let (a, b, c) = (
        connect(&nodes[0].url).await,
        connect(&nodes[1].url).await,
        connect(&nodes[2].url).await,
    );
    let (mut a_news, mut b_news, mut c_news) = (
        a.notifications("news"),
        b.notifications("news"),
        c.notifications("news"),
    );
    assert_eq!(call(&a, "subscribe", (["news"],)).await, json!(["news"]));
    assert_eq!(call(&b, "subscribe", (["news"],)).await, json!(["news"]));
    // The answer comes once the process's subscription is in place; and a
    // process subscribes only to what its own connections need.
    assert_eq!(redis.channel_subscribers("news"), 2);

    for n in 0..100 {
        assert_eq!(call(&c, "publish", ("news", json!({"n": n}))).await, 0);
    }
    for n in 0..100 {
        assert_eq!(next(&mut a_news).await, json!({"n": n}), "in publish order");
        assert_eq!(next(&mut b_news).await, json!({"n": n}), "in publish order");
    }
    nothing_within(&mut a_news, SETTLE).await;
    nothing_within(&mut b_news, Duration::ZERO).await;
    nothing_within(&mut c_news, Duration::ZERO).await;

    let publisher = stats(&c).await;
    assert_eq!(publisher["messages_published"], 100);
    assert_eq!(
        publisher["messages_received"], 0,
        "the publisher's process does not listen to a channel none of its connections needs"
    );
    assert_eq!(stats(&a).await["messages_received"], 100);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_publish_reaches_the_subscribers_of_its_own_process_through_redis() {
    let Some(redis) = Redis::start() else { return };
    let node = Node::start(&redis, "a");
    let (subscriber, publisher) = (connect(&node.url).await, connect(&node.url).await);
    let mut news = subscriber.notifications("news");
    call(&subscriber, "subscribe", (["news"],)).await;
    call(&publisher, "publish", ("news", ["local"])).await;
    assert_eq!(next(&mut news).await, json!(["local"]));
    nothing_within(&mut news, SETTLE).await;
    assert_eq!(stats(&publisher).await["messages_received"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retained_values_are_kept_in_redis_for_subscribers_on_any_process() {
    let Some(redis) = Redis::start() else { return };
    let nodes = [Node::start(&redis, "a"), Node::start(&redis, "b")];
    let publisher = connect(&nodes[0].url).await;
    call(&publisher, "publish", ("weather", json!({"sky": "grey"}))).await;
    call(&publisher, "publish", ("weather", json!({"sky": "blue"}))).await;
    wait_for_stats(&publisher, "both stored", |stats| {
        stats["messages_published"] == 2
    })
    .await;
    let (number, stored): (u64, String) = redis.query(
        redis::cmd("HMGET")
            .arg("rpc:retained:weather")
            .arg("number")
            .arg("message"),
    );
    assert_eq!(number, 2);
    assert_eq!(
        stored,
        r#"{"jsonrpc":"2.0","method":"weather","params":{"sky":"blue"}}"#
    );

    // A first subscriber on a process that never saw them gets the last one, once.
    let early = connect(&nodes[1].url).await;
    let mut early_weather = early.notifications("weather");
    assert_eq!(
        call(&early, "subscribe", (["weather"],)).await,
        json!(["weather"])
    );
    assert_eq!(next(&mut early_weather).await, json!({"sky": "blue"}));
    nothing_within(&mut early_weather, SETTLE).await;

    call(&publisher, "publish", ("weather", json!({"sky": "red"}))).await;
    assert_eq!(next(&mut early_weather).await, json!({"sky": "red"}));

    // Later subscribers, on that process and on the publisher's, get the newest.
    for node in &nodes {
        let late = connect(&node.url).await;
        let mut weather = late.notifications("weather");
        call(&late, "subscribe", (["weather"],)).await;
        assert_eq!(next(&mut weather).await, json!({"sky": "red"}));
        nothing_within(&mut weather, SETTLE).await;
    }
    nothing_within(&mut early_weather, Duration::ZERO).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsubscribing_stops_delivery_and_the_last_receiver_out_leaves_the_channel() {
    let Some(redis) = Redis::start() else { return };
    let nodes = [Node::start(&redis, "a"), Node::start(&redis, "b")];
    let publisher = connect(&nodes[0].url).await;
    let (first, second) = (connect(&nodes[1].url).await, connect(&nodes[1].url).await);
    let (mut first_news, mut second_news) =
        (first.notifications("news"), second.notifications("news"));
    call(&first, "subscribe", (["news"],)).await;
    call(&second, "subscribe", (["news"],)).await;
    assert_eq!(redis.channel_subscribers("news"), 1, "one per process");

    assert_eq!(call(&first, "unsubscribe", (["news"],)).await, json!([]));
    call(&publisher, "publish", ("news", [1])).await;
    assert_eq!(next(&mut second_news).await, json!([1]));
    nothing_within(&mut first_news, SETTLE).await;
    assert_eq!(
        redis.channel_subscribers("news"),
        1,
        "the second still needs it"
    );

    // The last one leaving (here by closing its connection) unsubscribes the process.
    within(second.close()).await;
    wait_for_stats(&first, "the process left the channel", |stats| {
        stats["subscribed_topics"] == 0
    })
    .await;
    assert_eq!(redis.channel_subscribers("news"), 0);
    call(&publisher, "publish", ("news", [2])).await;
    nothing_within(&mut first_news, SETTLE).await;
    assert_eq!(stats(&first).await["messages_received"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guarded_topic_is_checked_on_the_subscribers_process_for_each_message() {
    let Some(redis) = Redis::start() else { return };
    let nodes = [Node::start(&redis, "a"), Node::start(&redis, "b")];
    let (publisher, reader) = (connect(&nodes[0].url).await, connect(&nodes[1].url).await);
    let mut private = reader.notifications("private");
    assert_eq!(
        call(&reader, "subscribe", (["private"],)).await,
        json!([]),
        "logged out: refused"
    );
    call(&reader, "login", ("alice",)).await;
    assert_eq!(
        call(&reader, "subscribe", (["private"],)).await,
        json!(["private"])
    );
    call(&publisher, "publish", ("private", ["secret"])).await;
    assert_eq!(next(&mut private).await, json!(["secret"]));
    // A connection that logs out receives no more.
    call(&reader, "logout", ()).await;
    call(&publisher, "publish", ("private", ["after"])).await;
    nothing_within(&mut private, SETTLE).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_subscription_fed_from_a_topic_carries_what_any_process_publishes() {
    let Some(redis) = Redis::start() else { return };
    let nodes = [Node::start(&redis, "a"), Node::start(&redis, "b")];
    let (reader, publisher) = (connect(&nodes[0].url).await, connect(&nodes[1].url).await);
    let mut items = within(rpc_core::subscription::subscribe::<Value, _>(
        &Client::new(reader.clone()),
        "follow_news",
        (),
        "news_feed",
        "unsubscribe_news_feed",
    ))
    .await
    .expect("subscribed");
    // A subscription method answers at once; the process's own Redis
    // subscription follows a round trip later.
    let deadline = std::time::Instant::now() + crate::support::WAIT;
    while redis.channel_subscribers("news") != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "the feed's process never subscribed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    for n in 0..3 {
        call(&publisher, "publish", ("news", json!({"n": n}))).await;
    }
    for n in 0..3 {
        let item = within(items.next()).await.expect("open").expect("decodes");
        assert_eq!(item, json!({"n": n}));
    }
    // Dropping it unsubscribes; the feed goes, and the process leaves the channel.
    drop(items);
    wait_for_stats(&reader, "the process left the channel", |stats| {
        stats["subscribed_topics"] == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_that_dies_takes_only_its_own_connections_with_it() {
    let Some(redis) = Redis::start() else { return };
    let mut nodes = [
        Node::start(&redis, "a"),
        Node::start(&redis, "b"),
        Node::start(&redis, "c"),
    ];
    let (survivor, doomed, publisher) = (
        connect(&nodes[0].url).await,
        connect(&nodes[1].url).await,
        connect(&nodes[2].url).await,
    );
    let mut news = survivor.notifications("news");
    call(&survivor, "subscribe", (["news"],)).await;
    call(&doomed, "subscribe", (["news"],)).await;
    assert_eq!(redis.channel_subscribers("news"), 2);
    nodes[1].kill();
    redis.wait_for_channel_subscribers("news", 1);
    // Its clients lose their connection (and reconnect elsewhere).
    within(doomed.peer().closed()).await;
    call(&publisher, "publish", ("news", ["still here"])).await;
    assert_eq!(next(&mut news).await, json!(["still here"]));
}
