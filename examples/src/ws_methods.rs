//! The service of the `ws_methods` example, the reference server for
//! WebSocket conformance tools (also started in-process by the interop
//! tests). See `examples/ws_methods.rs` for the interface.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rpc_core::connection::ConnectionConfig;
use rpc_core::guard;
use rpc_core::introspection::{Listing, ServiceInfo};
use rpc_core::{rpc, Context, Error, ErrorCode, Identity, Router, Subscription, Topics};
use rpc_http::{HttpConfig, Server, ServerHandle, Stats, WsConfig};
use serde_json::value::RawValue;
use serde_json::{json, Value};

/// The server's state: the specification's counter, the topics, the admin
/// counter, and what `get_stats` reads.
#[derive(Debug)]
pub struct WsMethods {
    updates: AtomicU64,
    admin_bumps: AtomicU64,
    topics: Topics,
    stats: Stats,
}

/// A login refused: a server-range error.
fn bad_login() -> Error {
    Error::new(ErrorCode::new(-32010), "Login failed")
}

#[rpc]
impl WsMethods {
    /// `minuend - subtrahend`; an error (code 1) when it overflows.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> Result<i64, Error> {
        crate::arithmetic::subtract(minuend, subtrahend)
    }

    /// The sum of all params; an error (code 1) when it overflows.
    fn sum(&self, #[rpc(flatten)] values: Vec<i64>) -> Result<i64, Error> {
        crate::arithmetic::sum(&values)
    }

    /// Counts its calls (sent as a notification in the specification).
    fn update(&self, #[rpc(flatten)] _values: Vec<Value>) {
        self.updates.fetch_add(1, Ordering::SeqCst);
    }

    /// How many times `update` has run.
    fn get_update_count(&self) -> u64 {
        self.updates.load(Ordering::SeqCst)
    }

    /// `["hello", 5]`.
    fn get_data(&self) -> (&'static str, i64) {
        ("hello", 5)
    }

    /// Does nothing (a notification target).
    fn notify_hello(&self, #[rpc(flatten)] _values: Vec<Value>) {}

    /// The sum of all params (a notification target).
    fn notify_sum(&self, #[rpc(flatten)] values: Vec<i64>) -> Result<i64, Error> {
        crate::arithmetic::sum(&values)
    }

    /// Publishes `data` (an array or an object) to `topic`; answers how many
    /// connections it was queued for.
    fn publish(&self, topic: String, data: Box<RawValue>) -> Result<usize, Error> {
        if !matches!(data.get().as_bytes().first(), Some(b'[' | b'{')) {
            return Err(Error::invalid_params(
                "Invalid params: `data` must be an array or an object",
            ));
        }
        self.topics.publish(&topic, &data)
    }

    /// Calls `method` on the caller and answers with its answer; its error
    /// comes back unchanged.
    async fn call_client(
        &self,
        method: String,
        params: Option<Box<RawValue>>,
        ctx: &Context,
    ) -> Result<Box<RawValue>, Error> {
        let client = ctx.peer()?.client();
        let answer = match params {
            Some(params) => client.request(&method, params).await,
            None => client.request(&method, ()).await,
        };
        answer.map_err(|err| match err.call_error() {
            Some(error) => error.clone(),
            None => Error::new(ErrorCode::SERVER_ERROR, "The client did not answer")
                .with_data(&err.to_string()),
        })
    }

    /// Sends the caller the notification `method`.
    async fn notify_client(
        &self,
        method: String,
        params: Option<Box<RawValue>>,
        ctx: &Context,
    ) -> Result<(), Error> {
        let client = ctx.peer()?.client();
        let sent = match params {
            Some(params) => client.notify(&method, params).await,
            None => client.notify(&method, ()).await,
        };
        sent.map_err(|err| Error::new(ErrorCode::SERVER_ERROR, err.to_string()))
    }

    /// Logs the connection in: `alice`/`wonderland`, or `root`/`toor` (admin).
    fn login(&self, user: String, password: String, ctx: &Context) -> Result<bool, Error> {
        let identity = match (user.as_str(), password.as_str()) {
            ("alice", "wonderland") => Identity::new("alice"),
            ("root", "toor") => Identity::new("root").with_permission("admin"),
            _ => return Err(bad_login()),
        };
        ctx.session().set_identity(identity);
        Ok(true)
    }

    /// The user logged in on this connection, if any.
    fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.session()
            .identity()
            .map(|identity| identity.user().to_owned())
    }

    /// `"ok"`, for a connection logged in with permission `admin`.
    #[rpc(guard = guard::permission_required("admin"))]
    fn admin_only(&self) -> &'static str {
        "ok"
    }

    /// Adds one to the admin counter (admins only).
    #[rpc(guard = guard::permission_required("admin"))]
    fn admin_bump(&self) -> u64 {
        self.admin_bumps.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// The admin counter, for anyone.
    fn get_admin_bumps(&self) -> u64 {
        self.admin_bumps.load(Ordering::SeqCst)
    }

    /// Logs the connection out.
    fn logout(&self, ctx: &Context) -> bool {
        ctx.session().clear_identity();
        true
    }

    /// Open WebSocket connections, and live subscriptions (typed and topics).
    fn get_stats(&self) -> Value {
        let subscriptions = rpc_core::subscription::live_subscriptions() as usize
            + self.topics.subscription_count();
        json!({
            "connections": self.stats.snapshot().websockets_active,
            "subscriptions": subscriptions,
        })
    }

    /// Counts from 0 to `count - 1`, one item every `interval_ms`: a
    /// subscription whose items arrive as `ticks` notifications.
    #[rpc(subscription = "ticks", unsubscribe = "unsubscribe_ticks")]
    fn subscribe_ticks(&self, count: u64, interval_ms: u64) -> Subscription<u64> {
        let every = Duration::from_millis(interval_ms);
        Subscription::new(futures_util::stream::unfold(0u64, move |n| async move {
            if n == count {
                return None;
            }
            tokio::time::sleep(every).await;
            Some((n, n + 1))
        }))
    }

    /// Sends the caller `n` notifications `flood` `[i, s]` (`s`: `size`
    /// characters), waiting for room as it reads them; answers `n`.
    async fn flood(&self, n: u64, size: usize, ctx: &Context) -> Result<u64, Error> {
        let peer = ctx.peer()?.clone();
        let filler = "x".repeat(size);
        for i in 0..n {
            let message = json!({"jsonrpc": "2.0", "method": "flood", "params": [i, filler]});
            let bytes = serde_json::to_vec(&message).expect("JSON serializes");
            if peer.send_message(bytes).await.is_err() {
                break;
            }
        }
        Ok(n)
    }
}

/// The whole router: the service's methods, the topic methods,
/// aiohttp-json-rpc's `get_methods` and `rpc.discover`.
pub fn router(stats: &Stats) -> Result<Router, Box<dyn std::error::Error>> {
    let topics = Topics::new()
        .topic("news")
        .guarded_topic("private", guard::login_required);
    let service = Arc::new(WsMethods {
        updates: AtomicU64::new(0),
        admin_bumps: AtomicU64::new(0),
        topics: topics.clone(),
        stats: stats.clone(),
    });
    let mut router = WsMethods::router_from_arc(service);
    router
        .merge(topics.methods().accept_bare_params(true).router()?)?
        .serve_listing(Listing::aiohttp())?
        .serve_discover(
            ServiceInfo::new("ws_methods", env!("CARGO_PKG_VERSION")).description(
                "The reference server for WebSocket conformance tools: the specification's \
             examples, topics, calls to the caller, guards and a typed subscription.",
            ),
        )?;
    Ok(router)
}

/// Starts the server on `addr` (`"127.0.0.1:3000"`, or port 0 for any):
/// the router at `/`, calls to clients timing out after 5 s, statistics on.
pub async fn start(addr: &str) -> Result<ServerHandle, Box<dyn std::error::Error>> {
    let stats = Stats::new();
    let websocket = WsConfig::new()
        .with_connection(ConnectionConfig::new().with_peer_call_timeout(Duration::from_secs(5)));
    let server = Server::bind(addr)
        .mount("/", router(&stats)?)
        .config(HttpConfig::new().with_websocket(websocket))
        .stats(&stats)
        .start()
        .await?;
    Ok(server)
}
