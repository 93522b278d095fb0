//! One server process of many behind a load balancer: its topics meet in
//! Redis, so a publish on any process reaches the subscribers of all (see
//! `docs/SCALING.md`).
//!
//! Run with (a Redis at 127.0.0.1:6379; two processes):
//!
//! ```text
//! cargo run -p examples --example redis_node -- --listen 127.0.0.1:3001 --name a
//! cargo run -p examples --example redis_node -- --listen 127.0.0.1:3002 --name b
//! ```
//!
//! Options: `--redis <url>` (default `redis://127.0.0.1:6379`), `--listen
//! <addr>`, `--name <name>`. A WebSocket client on one process calls
//! `subscribe(["news"])`; a `publish("news", {...})` on the other reaches it.
//!
//! Methods: the topic methods `subscribe`, `unsubscribe`, `get_topics`,
//! `get_subscriptions` (topics `news`, `weather` retained, `private` for
//! logged-in connections); `publish(topic, data)`; `login(user)`, `logout`;
//! `node_stats` (the broker's statistics); and the typed subscription
//! `follow_news` (`news_feed` items: every `news` message), ended with
//! `unsubscribe_news_feed(id)`.
//!
//! It prints `LISTENING <addr>` once it serves, logs to standard error, and
//! stops on Ctrl-C, SIGTERM, or when its standard input closes.

#![deny(warnings)]

#[tokio::main]
async fn main() -> std::process::ExitCode {
    examples::redis_node::run().await
}
