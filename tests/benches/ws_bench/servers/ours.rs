//! `ours`: `rpc_http::Server` with its production defaults, the bench's
//! methods from `#[rpc]` and the topics' methods (optionally through Redis).

use rpc_core::{Error, Topics};

use crate::{BoxError, MAX_CONNECTIONS, TOPIC};

/// `add`, `echo` and `publish`, served through `#[rpc]`.
struct WsBench {
    topics: Topics,
}

#[rpc_core::rpc]
impl WsBench {
    /// Adds two integers.
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    /// Returns its argument, borrowed from the request unless it holds escapes.
    fn echo<'a>(&self, s: &'a str) -> &'a str {
        s
    }

    /// Publishes `data` to the topic `bench`; how many connections it was queued for.
    fn publish(&self, data: &str) -> Result<usize, Error> {
        self.topics.publish(TOPIC, data)
    }
}

/// rpc-http's server with its production defaults and room for 20,000
/// connections; with a Redis URL, its topics go through a Redis broker.
pub(super) async fn ours(port: u16, redis_url: Option<&str>) -> Result<(), BoxError> {
    let mut topics = Topics::new().topic(TOPIC);
    if let Some(url) = redis_url {
        let broker = rpc_redis::RedisBroker::connect(rpc_redis::RedisConfig::new(url)).await?;
        topics = topics.with_broker(broker);
    }
    let mut router = WsBench {
        topics: topics.clone(),
    }
    .into_router();
    router.merge(topics.methods().router()?)?;
    let handle = rpc_http::Server::bind(format!("127.0.0.1:{port}"))
        .mount("/", router)
        .max_connections(MAX_CONNECTIONS as usize)
        .start()
        .await?;
    handle.stopped().await;
    Ok(())
}
