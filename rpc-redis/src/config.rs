//! [`RedisConfig`]: where Redis is, how the broker names what it keeps
//! there, and its limits, with their defaults.

use std::fmt;
use std::time::Duration;

/// The shortest timeout a setter takes.
const SHORTEST_TIMEOUT: Duration = Duration::from_millis(1);

/// Settings of a [`RedisBroker`](crate::RedisBroker).
///
/// | option | default | what it does |
/// |---|---|---|
/// | [`url`](Self::url) | given | `redis://[user:password@]host:port[/db]`, or `redis+unix:///path` |
/// | [`prefix`](Self::prefix) | `rpc:` | starts every channel and key, so that services can share a Redis |
/// | [`publish_queue`](Self::publish_queue) | 4096 messages | published messages waiting to go to Redis; a publish to a full queue fails at once |
/// | [`pipeline`](Self::pipeline) | 256 messages | the most queued messages sent in one round trip |
/// | [`command_timeout`](Self::command_timeout) | 2 s | a command unanswered this long fails (its messages count as lost) |
/// | [`connect_timeout`](Self::connect_timeout) | 2 s | one connection attempt |
/// | [`reconnect_delay`](Self::reconnect_delay) | 50 ms to 2 s | between attempts after the connection is lost, doubling up to the maximum; attempts never stop |
///
/// ```
/// use std::time::Duration;
/// use rpc_redis::RedisConfig;
///
/// let config = RedisConfig::new("redis://127.0.0.1:6379")
///     .with_prefix("chat:")
///     .with_reconnect_delay(Duration::from_millis(100), Duration::from_secs(5));
/// assert_eq!(config.prefix(), "chat:");
/// ```
#[derive(Clone)]
pub struct RedisConfig {
    pub(crate) url: String,
    pub(crate) prefix: String,
    pub(crate) publish_queue: usize,
    pub(crate) pipeline: usize,
    pub(crate) command_timeout: Duration,
    pub(crate) connect_timeout: Duration,
    pub(crate) reconnect_min: Duration,
    pub(crate) reconnect_max: Duration,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password: not shown.
        f.debug_struct("RedisConfig")
            .field("prefix", &self.prefix)
            .field("publish_queue", &self.publish_queue)
            .field("pipeline", &self.pipeline)
            .field("command_timeout", &self.command_timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field(
                "reconnect_delay",
                &(self.reconnect_min..=self.reconnect_max),
            )
            .finish_non_exhaustive()
    }
}

impl RedisConfig {
    /// The defaults of the table above, for the Redis at `url`.
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            prefix: "rpc:".to_owned(),
            publish_queue: 4096,
            pipeline: 256,
            command_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(2),
            reconnect_min: Duration::from_millis(50),
            reconnect_max: Duration::from_secs(2),
        }
    }

    /// The Redis URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// What every channel and key the broker uses starts with.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Sets [`prefix`](Self::prefix).
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// How many published messages may wait to go to Redis (at least 1).
    pub fn publish_queue(&self) -> usize {
        self.publish_queue
    }

    /// Sets [`publish_queue`](Self::publish_queue).
    #[must_use]
    pub fn with_publish_queue(mut self, messages: usize) -> Self {
        self.publish_queue = messages.max(1);
        self
    }

    /// The most queued messages sent to Redis in one round trip (at least 1).
    pub fn pipeline(&self) -> usize {
        self.pipeline
    }

    /// Sets [`pipeline`](Self::pipeline): larger sends fewer round trips
    /// under load; a lost round trip loses all its messages.
    #[must_use]
    pub fn with_pipeline(mut self, messages: usize) -> Self {
        self.pipeline = messages.max(1);
        self
    }

    /// How long a command may wait for its answer.
    pub fn command_timeout(&self) -> Duration {
        self.command_timeout
    }

    /// Sets [`command_timeout`](Self::command_timeout) (at least 1 ms).
    #[must_use]
    pub fn with_command_timeout(mut self, timeout: Duration) -> Self {
        // Zero would fail every command before Redis could answer.
        self.command_timeout = timeout.max(SHORTEST_TIMEOUT);
        self
    }

    /// How long one connection attempt may take.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }

    /// Sets [`connect_timeout`](Self::connect_timeout) (at least 1 ms).
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout.max(SHORTEST_TIMEOUT);
        self
    }

    /// The shortest and longest wait between reconnection attempts.
    pub fn reconnect_delay(&self) -> (Duration, Duration) {
        (self.reconnect_min, self.reconnect_max)
    }

    /// Sets [`reconnect_delay`](Self::reconnect_delay) (the longest is at
    /// least the shortest).
    #[must_use]
    pub fn with_reconnect_delay(mut self, shortest: Duration, longest: Duration) -> Self {
        self.reconnect_min = shortest;
        self.reconnect_max = longest.max(shortest);
        self
    }
}
