use std::time::Duration;

use rpc_core::client::Client;
use rpc_core::guard;
use rpc_core::{Context, Error, Identity, Params, Router, Topics};
use serde_json::{json, Value};

use crate::support::{connect, start_router, within};

/// `subscribe`/`unsubscribe`/`get_topics`/`get_subscriptions`, plus `login`
/// and `logout`, over `topics`.
fn router(topics: &Topics) -> Router {
    let mut router = topics.methods().router().unwrap();
    router
        .method("login", |params: Params<'_>, ctx: &Context| {
            let (user,): (String,) = params.decode(&["user"])?;
            ctx.session().set_identity(Identity::new(user));
            Ok::<_, Error>(true)
        })
        .unwrap()
        .method("logout", |_: Params<'_>, ctx: &Context| {
            ctx.session().clear_identity();
            Ok::<_, Error>(true)
        })
        .unwrap();
    router
}

async fn no_message_within(
    notifications: &mut rpc_core::connection::Notifications,
    wait: Duration,
) {
    assert!(
        tokio::time::timeout(wait, notifications.next_raw())
            .await
            .is_err(),
        "a message came that should not have"
    );
}

#[tokio::test]
async fn published_messages_reach_subscribers_and_only_them() {
    let topics = Topics::new().topic("news").topic("sport");
    let (server, url) = start_router(router(&topics)).await;
    let reader = connect(&url).await;
    let other = connect(&url).await;
    let mut news = reader.notifications("news");
    let mut others_news = other.notifications("news");

    let subscribed: Vec<String> =
        within(Client::new(reader.clone()).request("subscribe", (["news", "nope"],)))
            .await
            .unwrap();
    assert_eq!(subscribed, ["news"], "an undeclared topic is left out");
    let topics_seen: Vec<String> = within(Client::new(other.clone()).request("get_topics", ()))
        .await
        .unwrap();
    assert_eq!(topics_seen, ["news", "sport"]);

    assert_eq!(
        topics
            .publish("news", &json!({"headline": "hello"}))
            .unwrap(),
        1
    );
    let message: Value = within(news.next()).await.unwrap().unwrap();
    assert_eq!(message, json!({"headline": "hello"}));
    no_message_within(&mut others_news, Duration::from_millis(200)).await;
    assert!(topics.publish("nope", &[1]).is_err());

    let left: Vec<String> =
        within(Client::new(reader.clone()).request("unsubscribe", json!({"topics": "news"})))
            .await
            .unwrap();
    assert!(left.is_empty());
    assert_eq!(topics.publish("news", &[2]).unwrap(), 0);
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_guarded_topic_reaches_only_logged_in_connections_until_they_log_out() {
    let topics = Topics::new().guarded_topic("private", guard::login_required);
    let (server, url) = start_router(router(&topics)).await;
    let client = connect(&url).await;
    let calls = Client::new(client.clone());
    let mut private = client.notifications("private");

    let refused: Vec<String> = within(calls.request("subscribe", (["private"],)))
        .await
        .unwrap();
    assert!(refused.is_empty(), "refused while logged out");
    assert!(within(calls.request::<bool>("login", ("alice",)))
        .await
        .unwrap());
    let subscribed: Vec<String> = within(calls.request("subscribe", (["private"],)))
        .await
        .unwrap();
    assert_eq!(subscribed, ["private"]);
    assert_eq!(topics.publish("private", &["secret"]).unwrap(), 1);
    let first: Value = within(private.next()).await.unwrap().unwrap();
    assert_eq!(first, json!(["secret"]));

    assert!(within(calls.request::<bool>("logout", ())).await.unwrap());
    assert_eq!(topics.publish("private", &["after logout"]).unwrap(), 0);
    no_message_within(&mut private, Duration::from_millis(200)).await;
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_retained_topic_gives_new_subscribers_its_last_message_after_the_answer() {
    let topics = Topics::new().retained_topic("weather");
    let (server, url) = start_router(router(&topics)).await;
    assert_eq!(
        topics.publish("weather", &json!({"sky": "grey"})).unwrap(),
        0
    );
    assert_eq!(
        topics.publish("weather", &json!({"sky": "blue"})).unwrap(),
        0
    );
    let client = connect(&url).await;
    let mut weather = client.notifications("weather");
    let subscribed: Vec<String> =
        within(Client::new(client.clone()).request("subscribe", ("weather",)))
            .await
            .unwrap();
    assert_eq!(subscribed, ["weather"]);
    let last: Value = within(weather.next()).await.unwrap().unwrap();
    assert_eq!(last, json!({"sky": "blue"}));
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn closing_a_connection_ends_its_subscriptions() {
    let topics = Topics::new().topic("news");
    let (server, url) = start_router(router(&topics)).await;
    let client = connect(&url).await;
    let _: Vec<String> = within(Client::new(client.clone()).request("subscribe", (["news"],)))
        .await
        .unwrap();
    assert_eq!(topics.subscription_count(), 1);
    within(client.close()).await;
    within(async {
        while topics.subscription_count() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    server.shutdown();
    within(server.stopped()).await;
}
