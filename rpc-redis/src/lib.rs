//! Topics across server processes, through Redis: a [`RedisBroker`] for
//! rpc-core's [`Topics`](rpc_core::Topics), so that a publish on one process
//! reaches the subscribers connected to every process.
//!
//! HTTP calls scale out by running more server processes behind a load
//! balancer; topic subscriptions live on the WebSocket connection of one
//! process. Give each process a broker on the same Redis and the topics
//! meet there:
//!
//! ```no_run
//! use rpc_core::Topics;
//! use rpc_redis::{RedisBroker, RedisConfig};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let broker = RedisBroker::connect(RedisConfig::new("redis://127.0.0.1:6379")).await?;
//! let topics = Topics::new()
//!     .topic("news")
//!     .retained_topic("weather")
//!     .with_broker(broker);
//! let mut router = topics.methods().router()?;
//! // ... merge the service's methods, serve the router with rpc_http::Server.
//! # let _ = router;
//! # Ok(())
//! # }
//! ```
//!
//! Running many processes behind a load balancer, and what happens when
//! one dies: `docs/SCALING.md` in the repository.
//!
//! # How it works
//!
//! - `Topics::publish` hands the encoded notification to the broker, which
//!   sends it to Redis (`PUBLISH` on the topic's channel; a retained topic
//!   through a script that also stores and numbers it). It does not wait:
//!   a queue (4096 messages) holds what is on its way, and one task sends
//!   it in publish order, up to 256 messages to a round trip (both set in
//!   [`RedisConfig`]).
//! - Each process subscribes to the channels of the topics its own
//!   connections (and feeds) subscribe to, and no others: the first
//!   subscriber of a topic in a process subscribes the process, the last
//!   one to leave unsubscribes it.
//! - What comes through a channel is delivered as a local publish is:
//!   serialized once (by the publisher), offered to each subscribed
//!   connection's queue without waiting, guards checked per connection,
//!   and the connection's [`SlowConsumer`](rpc_core::connection::SlowConsumer)
//!   policy when its queue is full. The publishing process hears its own
//!   messages back from Redis like any other.
//! - One connection per process (RESP3 carries commands and subscriptions
//!   together), kept by the `redis` crate's connection manager.
//!
//! # What a subscriber sees
//!
//! - **Order.** Every process receives a topic's messages in the one order
//!   Redis published them; so the messages of one publisher (one task or
//!   thread publishing in turn) arrive in the order it published them,
//!   everywhere.
//! - **At most once.** Redis pub/sub keeps nothing: a message reaches the
//!   processes subscribed when Redis publishes it, or no one. A message is
//!   never delivered twice: Redis does not send again, and nothing here
//!   retries a publish.
//! - **While Redis is unreachable** (a restart, a network cut), nothing is
//!   delivered, to any process. `publish` fails at once with a server
//!   error (`-32000`, "The message broker is unreachable") once the
//!   broker has noticed; messages taken just before are lost (counted in
//!   [`RedisStats::messages_lost`]). Subscribers stay subscribed: their
//!   connections to the server are untouched.
//! - **Reconnection** is automatic and never gives up (waits of 50 ms
//!   doubling to 2 s). The loss is logged (`warn`) and counted
//!   ([`RedisStats::connections_lost`]); once Redis answers again the
//!   broker subscribes every channel again, reloads the retained topics,
//!   takes publishes again, and logs it (`info`) and counts it
//!   ([`RedisStats::reconnections`]). Messages published during the gap
//!   are not recovered.
//! - **Retained topics** (aiohttp-json-rpc's `state=True`): the last
//!   message is stored in Redis (a hash per topic), so a subscriber on any
//!   process gets it right after its subscribe answer. Redis numbers each
//!   retained message; a process delivers one only if it is newer than the
//!   last it has, so a subscriber never receives the same value twice nor
//!   an older one after a newer one (the stored value loaded while a newer
//!   message was on its way, say). After a reconnection, a stored value
//!   that changed while the process was cut off goes to its subscribers.
//!   Stored values outlive a Redis restart only if Redis persists its data
//!   (RDB or AOF).
//! - **A process that dies** takes its connections and their subscriptions
//!   with it; its clients reconnect (to another process, through the load
//!   balancer) and subscribe again. Nothing in Redis needs cleaning: Redis
//!   drops the dead process's channel subscriptions with its connection.
//!
//! # What it keeps in Redis
//!
//! Under the [prefix](RedisConfig::prefix) (`rpc:` by default): the
//! channel `rpc:topic:<topic>` per topic, and the hash
//! `rpc:retained:<topic>` (`number`, `message`) per retained topic that
//! has had a message.
//!
//! | file | job |
//! |---|---|
//! | `broker.rs` | [`RedisBroker`]: connecting, starting the tasks, taking what the topics publish |
//! | `shared.rs` | what the tasks and the push handler share; what Redis pushes |
//! | `subscriber.rs` | the task that keeps the subscriptions in line, and renews them after a loss |
//! | `publisher.rs` | the task that sends published messages, in order |
//! | `wire.rs` | channel and key names, message framing, the retained-publish script |
//! | `config.rs` | [`RedisConfig`] |
//! | `stats.rs` | [`RedisStats`] |
//! | `error.rs` | [`ConnectError`] |

mod broker;
mod config;
mod error;
mod publisher;
mod shared;
mod stats;
mod subscriber;
mod wire;

pub use broker::RedisBroker;
pub use config::RedisConfig;
pub use error::ConnectError;
pub use stats::RedisStats;
