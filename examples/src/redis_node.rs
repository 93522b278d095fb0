//! The service of the `redis_node` example: one server process of many,
//! whose topics meet in Redis, so that a publish on any process reaches the
//! subscribers of all (see `examples/redis_node.rs` and `docs/SCALING.md`).
//! The multi-process tests start it as the `redis_node` binary of the
//! `tests` package.

use std::sync::Arc;

use rpc_core::{guard, rpc, Context, Error, Identity, Router, Subscription, Topics};
use rpc_http::{Server, ServerHandle};
use rpc_redis::{RedisBroker, RedisConfig};
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// One process's service: its topics (joined through Redis) and its name.
#[derive(Debug)]
pub struct Node {
    name: String,
    topics: Topics,
    broker: RedisBroker,
}

#[rpc]
impl Node {
    /// Publishes `data` (any JSON) to `topic`, for the subscribers of every
    /// process; answers 0 (delivery happens as the message comes back
    /// from Redis), or `-32000` when Redis is out of reach.
    fn publish(&self, topic: String, data: Box<RawValue>) -> Result<usize, Error> {
        self.topics.publish(&topic, &data)
    }

    /// Logs the connection in as `user` (any name; it opens `private`).
    fn login(&self, user: String, ctx: &Context) -> bool {
        ctx.session().set_identity(Identity::new(user));
        true
    }

    /// Logs the connection out.
    fn logout(&self, ctx: &Context) -> bool {
        ctx.session().clear_identity();
        true
    }

    /// This process's name, its connection subscriptions, and its broker's
    /// statistics.
    fn node_stats(&self) -> Value {
        let stats = self.broker.stats();
        json!({
            "name": self.name,
            "subscriptions": self.topics.subscription_count(),
            "connected": stats.connected,
            "subscribed_topics": stats.subscribed_topics,
            "messages_published": stats.messages_published,
            "messages_refused": stats.messages_refused,
            "messages_lost": stats.messages_lost,
            "messages_received": stats.messages_received,
            "connections_lost": stats.connections_lost,
            "reconnections": stats.reconnections,
        })
    }

    /// A typed subscription fed from the topic `news`: each message of
    /// `news`, published on any process, as a `news_feed` item.
    #[rpc(subscription = "news_feed", unsubscribe = "unsubscribe_news_feed")]
    fn follow_news(&self) -> Result<Subscription<Box<RawValue>>, Error> {
        Ok(Subscription::new(self.topics.feed("news", 256)?))
    }
}

/// The topics every process declares: `news` (open), `weather` (retained:
/// a new subscriber gets the last value, from Redis), `private` (logged-in
/// connections only).
pub fn topics() -> Topics {
    Topics::new()
        .topic("news")
        .retained_topic("weather")
        .guarded_topic("private", guard::login_required)
}

/// The node's router: its methods and the topic methods (`subscribe`,
/// `unsubscribe`, `get_topics`, `get_subscriptions`) over `broker`.
pub fn router(name: &str, broker: RedisBroker) -> Result<Router, Box<dyn std::error::Error>> {
    let topics = topics().with_broker(broker.clone());
    let node = Arc::new(Node {
        name: name.to_owned(),
        topics: topics.clone(),
        broker,
    });
    let mut router = Node::router_from_arc(node);
    router.merge(topics.methods().router()?)?;
    Ok(router)
}

/// Connects to the Redis at `redis_url` and serves the node on `listen`
/// (port 0 for any).
pub async fn start(
    name: &str,
    listen: &str,
    redis_url: &str,
) -> Result<ServerHandle, Box<dyn std::error::Error>> {
    let broker = RedisBroker::connect(RedisConfig::new(redis_url)).await?;
    let server = Server::bind(listen)
        .mount("/", router(name, broker)?)
        .max_connections(20_000)
        .start()
        .await?;
    Ok(server)
}

/// [`main`], with its error said plainly on standard error and exit
/// status 1, for the binaries.
pub async fn run() -> std::process::ExitCode {
    match main().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("redis_node: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The program: `--redis <url>` (default `redis://127.0.0.1:6379`),
/// `--listen <addr>` (default `127.0.0.1:3000`), `--name <name>` (default
/// `node`). Prints `LISTENING <addr>` once it serves; logs to standard
/// error; stops on Ctrl-C, SIGTERM, or when its standard input closes (so
/// that a parent that goes leaves no node behind).
pub async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(tracing::Level::INFO)
        .init();
    let mut redis = "redis://127.0.0.1:6379".to_owned();
    let mut listen = "127.0.0.1:3000".to_owned();
    let mut name = "node".to_owned();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let slot = match flag.as_str() {
            "--redis" => &mut redis,
            "--listen" => &mut listen,
            "--name" => &mut name,
            other => {
                let options = "--redis <url>, --listen <addr>, --name <name>";
                return Err(format!("unknown option `{other}` (options: {options})").into());
            }
        };
        *slot = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
    }
    let server = start(&name, &listen, &redis).await?;
    println!("LISTENING {}", server.local_addr().expect("a TCP address"));
    let (stdin_closed, closed) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = stdin_closed.send(());
    });
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => server.shutdown(),
        _ = terminate.recv() => server.shutdown(),
        _ = closed => server.shutdown(),
        _ = server.stopped() => {}
    }
    server.stopped().await;
    Ok(())
}
