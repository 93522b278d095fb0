//! Connecting to a real Redis that will not take the broker: the error
//! says why, within the timeouts, and nothing panics.

use std::time::{Duration, Instant};

use rpc_redis::{RedisBroker, RedisConfig};

use crate::support::Redis;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_that_wants_a_password_refuses_a_broker_without_one() {
    let Some(redis) = Redis::start() else { return };
    let _: () = redis.query(
        redis::cmd("CONFIG")
            .arg("SET")
            .arg("requirepass")
            .arg("sesame"),
    );
    let config = RedisConfig::new(redis.url())
        .with_connect_timeout(Duration::from_millis(500))
        .with_command_timeout(Duration::from_millis(500));
    let started = Instant::now();
    let err = RedisBroker::connect(config)
        .await
        .expect_err("no password given");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(err.is_refused(), "{err}");
    assert!(!err.is_unreachable(), "{err}");

    // With it, the broker connects.
    let url = redis.url().replacen("redis://", "redis://:sesame@", 1);
    let broker = RedisBroker::connect(RedisConfig::new(url))
        .await
        .expect("the password is right");
    assert!(broker.stats().connected);
}
