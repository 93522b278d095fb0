//! Connecting: bad input and an absent Redis give errors that say which,
//! never a panic. Needs no redis-server (nothing answers on the port used).

use std::net::TcpListener;
use std::time::{Duration, Instant};

use rpc_redis::{RedisBroker, RedisConfig};

#[tokio::test]
async fn a_url_that_is_not_a_redis_url_is_refused_as_such() {
    for url in [
        "",
        "not a url",
        "http://127.0.0.1:6379",
        "redis://127.0.0.1:99999",
        "redis://[::1",
    ] {
        let err = RedisBroker::connect(RedisConfig::new(url))
            .await
            .expect_err(url);
        assert!(err.is_invalid_url(), "{url:?}: {err}");
        assert!(!err.is_unreachable(), "{url:?}");
        assert!(err.to_string().starts_with("invalid Redis URL"), "{err}");
    }
}

#[tokio::test]
async fn a_redis_that_does_not_answer_is_unreachable_within_the_timeout() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = RedisConfig::new(format!("redis://127.0.0.1:{port}"))
        .with_connect_timeout(Duration::from_millis(200))
        .with_command_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let err = RedisBroker::connect(config)
        .await
        .expect_err("nothing listens");
    assert!(err.is_unreachable(), "{err}");
    assert!(err.to_string().starts_with("Redis is unreachable"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "gave up after {:?}",
        started.elapsed()
    );
}

#[test]
fn limits_have_defaults_and_setters_that_refuse_nonsense() {
    let defaults = RedisConfig::new("redis://127.0.0.1:6379");
    assert_eq!(defaults.prefix(), "rpc:");
    assert_eq!(defaults.publish_queue(), 4096);
    assert_eq!(defaults.pipeline(), 256);
    assert_eq!(defaults.command_timeout(), Duration::from_secs(2));
    assert_eq!(defaults.connect_timeout(), Duration::from_secs(2));
    assert_eq!(
        defaults.reconnect_delay(),
        (Duration::from_millis(50), Duration::from_secs(2))
    );

    let set = defaults
        .with_publish_queue(0)
        .with_pipeline(0)
        .with_command_timeout(Duration::ZERO)
        .with_connect_timeout(Duration::ZERO)
        .with_reconnect_delay(Duration::from_secs(1), Duration::from_millis(1));
    assert_eq!(set.publish_queue(), 1);
    assert_eq!(set.pipeline(), 1);
    assert_eq!(set.command_timeout(), Duration::from_millis(1));
    assert_eq!(set.connect_timeout(), Duration::from_millis(1));
    assert_eq!(
        set.reconnect_delay(),
        (Duration::from_secs(1), Duration::from_secs(1))
    );
}

#[test]
fn the_password_in_the_url_is_not_shown() {
    let config = RedisConfig::new("redis://user:hunter2@127.0.0.1:6379");
    assert!(!format!("{config:?}").contains("hunter2"));
}
