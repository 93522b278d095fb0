//! What `Topics` promises a broker and its subscribers, driven through the
//! broker's side ([`LocalTopics`]) with feeds as receivers. The same
//! promises over Redis, with real processes and connections, are
//! `tests/tests/redis/`.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use futures_util::FutureExt;

use super::{Broker, LocalTopics, TopicFeed, Topics};
use crate::error::Error;

/// Records what `Topics` asks of it, and hands out the side to deliver to.
#[derive(Debug, Clone, Default)]
struct Recording {
    calls: Arc<Mutex<Vec<String>>>,
    local: Arc<OnceLock<LocalTopics>>,
}

impl Recording {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn local(&self) -> &LocalTopics {
        self.local.get().expect("attached")
    }

    fn record(&self, call: String) {
        self.calls
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(call);
    }
}

impl Broker for Recording {
    fn attach(&self, topics: LocalTopics) {
        self.local.set(topics).expect("attached once");
    }

    fn publish(&self, topic: &str, message: Bytes, retain: bool) -> Result<(), Error> {
        let message = String::from_utf8_lossy(&message);
        self.record(format!("publish {topic} retain={retain} {message}"));
        Ok(())
    }

    fn subscribe(&self, topic: &str, retain: bool) {
        self.record(format!("subscribe {topic} retain={retain}"));
    }

    fn unsubscribe(&self, topic: &str) {
        self.record(format!("unsubscribe {topic}"));
    }
}

fn message(topic: &str, data: &str) -> Bytes {
    Bytes::from(format!(
        r#"{{"jsonrpc":"2.0","method":"{topic}","params":{data}}}"#
    ))
}

/// The value a feed holds now, if any (without waiting).
fn now(feed: &mut TopicFeed<String>) -> Option<String> {
    feed.recv().now_or_never().flatten()
}

fn brokered() -> (Topics, Recording) {
    let broker = Recording::default();
    let topics = Topics::new()
        .topic("news")
        .retained_topic("weather")
        .with_broker(broker.clone());
    (topics, broker)
}

#[test]
fn with_a_broker_a_publish_goes_to_it_and_reaches_receivers_only_when_it_comes_back() {
    let (topics, broker) = brokered();
    let mut feed = topics.feed::<String>("news", 8).unwrap();
    broker.take();
    assert_eq!(topics.publish("news", "hello").unwrap(), 0);
    assert_eq!(
        broker.take(),
        [r#"publish news retain=false {"jsonrpc":"2.0","method":"news","params":"hello"}"#]
    );
    assert_eq!(
        now(&mut feed),
        None,
        "not delivered before the broker hands it back"
    );
    broker
        .local()
        .deliver("news", message("news", r#""hello""#));
    assert_eq!(now(&mut feed).as_deref(), Some("hello"));
    assert!(
        topics.publish("nope", "x").is_err(),
        "undeclared topics stay errors"
    );
    assert!(broker.take().is_empty());
}

#[test]
fn the_first_receiver_subscribes_the_process_and_the_last_to_leave_unsubscribes_it() {
    let (topics, broker) = brokered();
    let first = topics.feed::<String>("weather", 8).unwrap();
    let second = topics.feed::<String>("weather", 8).unwrap();
    assert_eq!(broker.take(), ["subscribe weather retain=true"]);
    drop(first);
    assert!(broker.take().is_empty(), "one receiver is left");
    drop(second);
    assert_eq!(broker.take(), ["unsubscribe weather"]);
}

#[test]
fn receivers_from_before_the_broker_are_subscribed_when_it_is_set() {
    let topics = Topics::new().topic("news");
    let _feed = topics.feed::<String>("news", 8).unwrap();
    let broker = Recording::default();
    let _topics = topics.with_broker(broker.clone());
    assert_eq!(broker.take(), ["subscribe news retain=false"]);
}

#[test]
fn a_numbered_message_is_delivered_only_when_newer_than_the_last() {
    let (topics, broker) = brokered();
    let mut feed = topics.feed::<String>("weather", 8).unwrap();
    let local = broker.local();
    local.loaded("weather", None);
    for (number, data, delivered) in [
        (2, "two", true),
        (1, "one", false),
        (2, "two again", false),
        (3, "three", true),
    ] {
        let queued =
            local.deliver_numbered("weather", number, message("weather", &format!("{data:?}")));
        assert_eq!(queued, 0, "feeds are not connections");
        let got = now(&mut feed);
        assert_eq!(got.is_some(), delivered, "message {number} ({data})");
    }
    // A lost connection may mean a broker that starts numbering again.
    local.connection_lost();
    local.deliver_numbered("weather", 1, message("weather", r#""renumbered""#));
    assert_eq!(now(&mut feed).as_deref(), Some("renumbered"));
}

#[test]
fn a_receiver_that_comes_while_loading_gets_the_newest_value_once() {
    let (topics, broker) = brokered();
    let local = broker.local();
    let mut waiting = topics.feed::<String>("weather", 8).unwrap();
    assert_eq!(now(&mut waiting), None, "nothing before the load");
    local.loaded("weather", Some((5, message("weather", r#""five""#))));
    assert_eq!(now(&mut waiting).as_deref(), Some("five"));
    assert_eq!(now(&mut waiting), None, "once");
    // Loaded: a newcomer has it at once.
    let mut newcomer = topics.feed::<String>("weather", 8).unwrap();
    assert_eq!(now(&mut newcomer).as_deref(), Some("five"));

    // The process leaves the topic and comes back: a message overtakes the load.
    drop((waiting, newcomer));
    let mut back = topics.feed::<String>("weather", 8).unwrap();
    local.deliver_numbered("weather", 7, message("weather", r#""seven""#));
    local.loaded("weather", Some((6, message("weather", r#""six""#))));
    assert_eq!(now(&mut back).as_deref(), Some("seven"));
    assert_eq!(
        now(&mut back),
        None,
        "the older stored value is not sent after it"
    );
}

#[test]
fn after_a_reconnection_only_a_changed_stored_value_goes_to_every_receiver() {
    let (topics, broker) = brokered();
    let local = broker.local();
    let mut one = topics.feed::<String>("weather", 8).unwrap();
    let mut two = topics.feed::<String>("weather", 8).unwrap();
    local.loaded("weather", Some((5, message("weather", r#""five""#))));
    assert_eq!(now(&mut one).as_deref(), Some("five"));
    assert_eq!(now(&mut two).as_deref(), Some("five"));

    local.connection_lost();
    local.loaded("weather", Some((5, message("weather", r#""five""#))));
    assert_eq!(now(&mut one), None, "unchanged: not sent again");

    // Redis came back empty and has since stored a new value as number 1.
    local.connection_lost();
    local.loaded("weather", Some((1, message("weather", r#""new""#))));
    assert_eq!(now(&mut one).as_deref(), Some("new"));
    assert_eq!(now(&mut two).as_deref(), Some("new"));
}

#[test]
fn without_a_broker_nothing_changes_feeds_see_local_publishes_retained_first() {
    let topics = Topics::new().retained_topic("weather");
    assert!(!topics.has_broker());
    assert_eq!(topics.publish("weather", "sun").unwrap(), 0);
    let mut feed = topics.feed::<String>("weather", 1).unwrap();
    assert_eq!(
        now(&mut feed).as_deref(),
        Some("sun"),
        "the retained value first"
    );
    topics.publish("weather", "rain").unwrap();
    topics.publish("weather", "snow").unwrap();
    assert_eq!(
        feed.dropped(),
        1,
        "a full feed drops, never blocks a publish"
    );
    assert_eq!(now(&mut feed).as_deref(), Some("rain"));
    assert_eq!(now(&mut feed), None);
}
