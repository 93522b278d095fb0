//! WebSocket JSON-RPC servers and the load generator that measures them, for
//! `scripts/ws_duel.sh`.
//!
//! ```text
//! ws_bench server <floor|ours|jsonrpsee> <port>
//! ws_bench server ours <port> <redis_url>
//! ws_bench load <url> <add|echo4k|batch10> <connections> <in_flight> <seconds> [server_pid]
//! ws_bench fanout <url[,url...]> <subscribers> <rounds> [server_pid]
//! ws_bench idle <url> <connections> <server_pid>
//! ws_bench check <url>
//! ```
//!
//! Without arguments (as `cargo bench` runs it) it prints this usage and
//! exits successfully; `--` flags from cargo are ignored.
//!
//! # Servers
//!
//! Each serves WebSocket on `127.0.0.1:<port>`, path `/`, on a
//! single-threaded tokio runtime (one core, whatever `taskset` allows), until
//! it is killed, with the same methods: `add(a, b)`, `echo(s)`,
//! `subscribe(["bench"])` (the connection receives what is published to the
//! topic `bench`) and `publish(data)` (one message to every subscriber;
//! answers how many it was queued for).
//!
//! - `ours`: `rpc_http::Server` with its production defaults (`WsConfig` and
//!   `ConnectionConfig` defaults: 64 calls in flight, outgoing queue of 1024,
//!   ping every 30 s, idle timeout 90 s), `max_connections` raised to 20,000;
//!   `add`, `echo`, `publish` from `#[rpc]`, merged with `Topics::methods()`
//!   of a `Topics` declaring `bench`. A publish is `Topics::publish`.
//!   Given a Redis URL, the topics have a `rpc_redis::RedisBroker` on it
//!   (defaults): run several, and a publish on one reaches the subscribers
//!   of all (`publish` then answers 0).
//! - `floor`: what a competent engineer writes by hand on fastwebsockets +
//!   serde_json. A tokio `TcpListener` (`TCP_NODELAY` on), hyper 1.x `http1`
//!   with upgrades answering the upgrade with `fastwebsockets::upgrade`
//!   (anything else gets `426`), then one task per connection. The socket is
//!   split with `tokio::io::split` (as rpc-http does), the read half wrapped in
//!   `FragmentCollectorRead` (fragments joined, UTF-8 checked), the write
//!   half in a write buffer (`WriteBuffer`: what `tokio::io::BufWriter` does,
//!   but allocated on first use instead of 8 KiB up front, so that an idle
//!   connection holds none; past 64 KiB a write flushes first). The task loops on a biased
//!   `select!` over (1) the next frame, whose read future is kept across
//!   iterations (fastwebsockets' reads are not cancel-safe), (2) the
//!   connection's topic queue, when it subscribes, and (3) a flush, enabled
//!   only while the buffer holds unflushed frames. So every answer is
//!   encoded into the buffer, frames that are already readable (in
//!   fastwebsockets' read buffer or in the socket) are read and answered
//!   first, and the buffer is flushed -- one `write` -- as soon as nothing
//!   else is ready: answers that are ready together leave in one write, and
//!   a lone answer leaves at once. Dispatch is one borrowed serde_json parse
//!   and a `match` on the method (the same checks as `common::floor`:
//!   `"2.0"`, id and params shapes, strict params, proper errors, batches),
//!   answers serialized into a buffer the connection reuses. Pings are
//!   answered with pongs, a close with a close. Fan-out: `subscribe` creates
//!   the connection's bounded `mpsc` of `Bytes` (1024, as rpc-core's outgoing
//!   queue) and registers its sender in a shared map; `publish` serializes the
//!   notification once and `try_send`s the same `Bytes` to every subscriber
//!   (a full queue drops the message, a closed one leaves the map); each
//!   connection task writes what its queue holds (and up to 64 more already
//!   waiting) and flushes as above.
//! - `jsonrpsee`: jsonrpsee 0.26 `Server` (WebSocket and HTTP on one port)
//!   with `max_connections` raised to 20,000, the `add` and `echo` of
//!   `common::jsonrpsee_module()`, a subscription `subscribe`/`unsubscribe`
//!   whose notifications are the method `bench` (the sink is accepted and
//!   kept in a shared list) and `publish`, which `try_send`s to every sink
//!   (jsonrpsee formats the message per subscription, with its id).
//!
//! # Load generator
//!
//! A raw client, the same for every server, kept cheap: its own HTTP/1.1
//! upgrade request (checking the `101` and `Sec-WebSocket-Accept`), frames
//! written by hand (masked, with an all-zero key so the payload needs no
//! XOR; servers unmask every frame anyway) and parsed by hand from one read
//! buffer per connection. One current-thread runtime, one task per
//! connection; each read is followed by handling every complete frame in the
//! buffer and by one `write` of everything that handling queued.
//!
//! - `load`: `connections` sockets, each keeping `in_flight` calls
//!   outstanding: it writes `in_flight` requests at once, then for each
//!   answer one new request. Every answer is checked (`"2.0"`, an id that is
//!   outstanding, the right result, no error; a batch must hold its ten ids).
//!   After a warm-up of 0.5 s, answers are counted for `seconds`. Prints
//!   `LOAD_RESULT requests=<calls answered> messages=<answer frames>
//!   duration_us=.. errors=.. server_cpu_us=.. generator_cpu_us=..`
//!   (CPU times over the counted window, from `/proc/<pid>/task/*/schedstat`;
//!   0 without a pid). A connection that has not finished 5 s after the end
//!   counts as an error (stalled).
//! - `fanout`: `subscribers` sockets each call `subscribe(["bench"])`
//!   (spread evenly over the URLs, when several are given), plus one
//!   publisher (on the first URL). Per round the publisher calls `publish(["round-<k>"])`;
//!   the time from just before that write to the moment the last subscriber
//!   has read the notification (one carrying `"round-<k>"`) is the round's
//!   time. The server's CPU time from before the publish to 50 ms after the
//!   last delivery, over the subscribers, is its CPU per delivered message.
//!   Prints `FANOUT_RESULT subscribers=.. rounds=.. median_us=.. min_us=..
//!   max_us=.. cpu_ns_per_msg=<median> generator_cpu_ns_per_msg=<median>
//!   errors=..` (the generator's own CPU from the publish to the last
//!   delivery, per delivery: when it nears the time per delivery, the
//!   generator, not the server, sets the time to the last).
//! - `idle`: reads the server's `VmRSS`, opens `connections` sockets (the
//!   handshake and nothing else), waits a second, reads it again; prints
//!   `IDLE_RESULT connections=.. rss_before_kb=.. rss_after_kb=..
//!   per_connection_bytes=..`.
//! - `check`: one short run of each workload on one connection and a
//!   fan-out to 3 subscribers; fails on any wrong answer.
//!
//! With `WS_BENCH_CALLGRIND` set and a server pid given, `load` and `fanout`
//! zero the server's callgrind counters where their measured window begins
//! and dump them where it ends, and print `CALLGRIND_WINDOW messages=..`
//! (the answers, or deliveries, in between), for
//! `scripts/ws_instructions.sh`.
//!
//! Many connections need as many file descriptors: run under `ulimit -n`
//! (the script raises it); the generator says so when its limit is too low.

use std::borrow::Cow;
use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use fastwebsockets::upgrade::{is_upgrade_request, upgrade};
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, WebSocket, WebSocketError, WebSocketWrite,
};
use futures_util::StreamExt;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use jsonrpsee::types::ErrorObjectOwned;
use jsonrpsee::{RpcModule, SubscriptionSink};
use rpc_core::{Error, Topics};
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};

#[allow(dead_code, reason = "only jsonrpsee_module is used here")]
mod common;

const USAGE: &str = "usage: ws_bench server <floor|ours|jsonrpsee> <port>\n       \
     ws_bench server ours <port> <redis_url>\n       \
     ws_bench load <url> <add|echo4k|batch10> <connections> <in_flight> <seconds> [server_pid]\n       \
     ws_bench fanout <url[,url...]> <subscribers> <rounds> [server_pid]\n       \
     ws_bench idle <url> <connections> <server_pid>\n       \
     ws_bench check <url>";

/// The topic of the fan-out.
const TOPIC: &str = "bench";

/// The connection limit of `ours` and `jsonrpsee` (jsonrpsee's default, 100,
/// would cap WebSocket connections for their whole life).
const MAX_CONNECTIONS: u32 = 20_000;

/// Length of the `echo4k` string.
const ECHO_LEN: usize = 4096;

/// Capacity of a floor connection's topic queue (rpc-core's outgoing queue holds as many).
const FLOOR_QUEUE: usize = 1024;

/// Connections opened at once by the generator.
const OPEN_CONCURRENCY: usize = 64;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    if args.is_empty() {
        // `cargo bench` (with or without a filter) lands here: nothing to do.
        println!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = match args.as_slice() {
        ["server", kind, port] => port
            .parse::<u16>()
            .map_err(|_| format!("bad port `{port}`").into())
            .and_then(|port| serve(kind, port, None)),
        ["server", "ours", port, redis_url] => port
            .parse::<u16>()
            .map_err(|_| format!("bad port `{port}`").into())
            .and_then(|port| serve("ours", port, Some(redis_url))),
        ["load", url, workload, connections, in_flight, seconds, rest @ ..] if rest.len() <= 1 => {
            parse_load(
                url,
                workload,
                connections,
                in_flight,
                seconds,
                rest.first().copied(),
            )
            .and_then(|run| generate(load(run)))
        }
        ["fanout", url, subscribers, rounds, rest @ ..] if rest.len() <= 1 => {
            parse_fanout(url, subscribers, rounds, rest.first().copied())
                .and_then(|run| generate(fanout(run)))
        }
        ["idle", url, connections, pid] => parse_idle(url, connections, pid)
            .and_then(|(target, connections, pid)| generate(idle(target, connections, pid))),
        ["check", url] => Target::parse(url).and_then(|target| generate(check(target))),
        _ => Err("bad arguments".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ws_bench: {err}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

fn current_thread() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

// ------------------------------------------------------------------ servers

fn serve(kind: &str, port: u16, redis_url: Option<&str>) -> Result<(), BoxError> {
    let runtime = current_thread()?;
    runtime.block_on(async {
        match kind {
            "ours" => ours(port, redis_url).await,
            "floor" => floor_server(port).await,
            "jsonrpsee" => jsonrpsee_server(port).await,
            other => Err(format!("unknown server `{other}`").into()),
        }
    })
}

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
async fn ours(port: u16, redis_url: Option<&str>) -> Result<(), BoxError> {
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

/// The subscription sinks of the jsonrpsee server.
type Sinks = Mutex<Vec<SubscriptionSink>>;

/// jsonrpsee's server: `add` and `echo` as in the other benches, a
/// subscription and `publish`.
async fn jsonrpsee_server(port: u16) -> Result<(), BoxError> {
    let mut module = RpcModule::new(Sinks::default());
    module.merge(common::jsonrpsee_module())?;
    module.register_subscription(
        "subscribe",
        TOPIC,
        "unsubscribe",
        |_params, pending, sinks, _| async move {
            let sink = pending.accept().await?;
            sinks
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(sink);
            Ok::<_, jsonrpsee::core::SubscriptionError>(())
        },
    )?;
    module.register_method("publish", |params, sinks, _| {
        let data: String = params.one()?;
        let message = serde_json::value::to_raw_value(&data)
            .map_err(|err| ErrorObjectOwned::owned(-32603, err.to_string(), None::<()>))?;
        let mut queued = 0_usize;
        sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .retain_mut(|sink| match sink.try_send(message.clone()) {
                Ok(()) => {
                    queued += 1;
                    true
                }
                Err(jsonrpsee::TrySendError::Full(_)) => true,
                Err(jsonrpsee::TrySendError::Closed(_)) => false,
            });
        Ok::<_, ErrorObjectOwned>(queued)
    })?;
    let config = jsonrpsee::server::ServerConfig::builder()
        .max_connections(MAX_CONNECTIONS)
        .build();
    let server = jsonrpsee::server::Server::builder()
        .set_config(config)
        .build(format!("127.0.0.1:{port}"))
        .await?;
    let handle = server.start(module);
    handle.stopped().await;
    Ok(())
}

/// The floor's subscribers: one queue sender per subscribed connection.
#[derive(Default)]
struct Hub {
    next_id: AtomicU64,
    subscribers: Mutex<HashMap<u64, mpsc::Sender<Bytes>>>,
}

impl Hub {
    fn subscribers(&self) -> std::sync::MutexGuard<'_, HashMap<u64, mpsc::Sender<Bytes>>> {
        self.subscribers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Serializes the notification once and offers it to every subscriber.
    fn publish(&self, data: &str) -> usize {
        let mut message = Vec::with_capacity(48 + data.len());
        message.extend_from_slice(br#"{"jsonrpc":"2.0","method":"bench","params":"#);
        serde_json::to_writer(&mut message, data).expect("a string serializes");
        message.push(b'}');
        let message = Bytes::from(message);
        let mut queued = 0;
        self.subscribers()
            .retain(|_, queue| match queue.try_send(message.clone()) {
                Ok(()) => {
                    queued += 1;
                    true
                }
                // A reader too slow to keep up misses the message.
                Err(mpsc::error::TrySendError::Full(_)) => true,
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        queued
    }
}

/// The hand-written server: hyper for the upgrade, fastwebsockets after it.
async fn floor_server(port: u16) -> Result<(), BoxError> {
    let listener = TcpListener::bind(("127.0.0.1", port)).await?;
    let hub = Arc::new(Hub::default());
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(err) => {
                eprintln!("accept failed: {err}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let hub = Arc::clone(&hub);
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let hub = Arc::clone(&hub);
                async move { Ok::<_, Infallible>(floor_upgrade(request, hub)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

/// Answers the upgrade and serves the socket in a task of its own.
fn floor_upgrade(mut request: Request<Incoming>, hub: Arc<Hub>) -> Response<Empty<Bytes>> {
    if !is_upgrade_request(&request) {
        return status(StatusCode::UPGRADE_REQUIRED);
    }
    match upgrade(&mut request) {
        Ok((response, upgrading)) => {
            tokio::spawn(async move {
                if let Ok(socket) = upgrading.await {
                    floor_connection(socket, hub).await;
                }
            });
            response
        }
        Err(_) => status(StatusCode::BAD_REQUEST),
    }
}

fn status(code: StatusCode) -> Response<Empty<Bytes>> {
    let mut response = Response::new(Empty::new());
    *response.status_mut() = code;
    response
}

type FloorIo = TokioIo<Upgraded>;
type FloorRead = FragmentCollectorRead<ReadHalf<FloorIo>>;
type FloorWrite = WebSocketWrite<WriteBuffer<WriteHalf<FloorIo>>>;

/// What the floor's frames are written into: `tokio::io::BufWriter`'s job
/// (writes gather in a buffer, a flush writes them out in as few `write`s as
/// the socket takes), but the buffer is allocated on first use rather than
/// 8 KiB up front, so that an idle connection holds none. Past
/// `WRITE_BUFFER_LIMIT` bytes a write first flushes what is buffered.
struct WriteBuffer<W> {
    inner: W,
    buffer: Vec<u8>,
    /// How much of `buffer` is written out already.
    written: usize,
}

const WRITE_BUFFER_LIMIT: usize = 64 * 1024;

impl<W: AsyncWrite + Unpin> WriteBuffer<W> {
    fn new(inner: W) -> Self {
        Self {
            inner,
            buffer: Vec::new(),
            written: 0,
        }
    }

    /// Writes the buffer out.
    fn poll_write_out(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.written < self.buffer.len() {
            let n = ready!(Pin::new(&mut self.inner).poll_write(cx, &self.buffer[self.written..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.written += n;
        }
        self.buffer.clear();
        self.written = 0;
        Poll::Ready(Ok(()))
    }
}

impl<W: AsyncWrite + Unpin> AsyncWrite for WriteBuffer<W> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buffer.len() >= WRITE_BUFFER_LIMIT {
            ready!(this.poll_write_out(cx))?;
        }
        this.buffer.extend_from_slice(data);
        Poll::Ready(Ok(data.len()))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.buffer.len() >= WRITE_BUFFER_LIMIT {
            ready!(this.poll_write_out(cx))?;
        }
        let mut total = 0;
        for slice in data {
            this.buffer.extend_from_slice(slice);
            total += slice.len();
        }
        Poll::Ready(Ok(total))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_out(cx))?;
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.poll_write_out(cx))?;
        Pin::new(&mut this.inner).poll_shutdown(cx)
    }
}

/// Reads one message, handing the reader back with it (the read future is
/// kept across `select!` iterations: fastwebsockets' reads are not cancel-safe).
async fn next_frame(mut read: FloorRead) -> (FloorRead, Result<Frame<'static>, WebSocketError>) {
    let frame = read
        .read_frame(&mut |_| async { Ok::<(), Infallible>(()) })
        .await;
    (read, frame)
}

/// Waits for the next topic message, or forever without a subscription.
async fn next_published(queue: &mut Option<mpsc::Receiver<Bytes>>) -> Option<Bytes> {
    match queue {
        Some(queue) => queue.recv().await,
        None => std::future::pending().await,
    }
}

/// One floor connection: what its messages ask, what it subscribes to.
struct FloorConn {
    hub: Arc<Hub>,
    id: u64,
    /// The topic queue, once the connection subscribes.
    queue: Option<mpsc::Receiver<Bytes>>,
    /// Answers are serialized here (reused from message to message).
    out: Vec<u8>,
}

async fn floor_connection(socket: WebSocket<FloorIo>, hub: Arc<Hub>) {
    let (mut read, mut write) = socket.split(|io| {
        let (read, write) = tokio::io::split(io);
        (read, WriteBuffer::new(write))
    });
    // Pings and closes are answered below, through the writer.
    read.set_auto_pong(false);
    read.set_auto_close(false);
    let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
    let mut conn = FloorConn {
        hub,
        id,
        queue: None,
        out: Vec::new(),
    };
    let _ = floor_loop(FragmentCollectorRead::new(read), &mut write, &mut conn).await;
    if conn.queue.is_some() {
        conn.hub.subscribers().remove(&conn.id);
    }
}

async fn floor_loop(
    read: FloorRead,
    write: &mut FloorWrite,
    conn: &mut FloorConn,
) -> Result<(), WebSocketError> {
    let mut reading = std::pin::pin!(next_frame(read));
    // Whether the buffer holds frames not flushed yet.
    let mut dirty = false;
    loop {
        tokio::select! {
            biased;
            (read, frame) = &mut reading => {
                let frame = frame?;
                match frame.opcode {
                    OpCode::Text | OpCode::Binary => {
                        conn.out.clear();
                        floor::handle(&frame.payload, conn);
                        if !conn.out.is_empty() {
                            write.write_frame(Frame::text(Payload::Borrowed(&conn.out))).await?;
                            dirty = true;
                        }
                    }
                    OpCode::Ping => {
                        write.write_frame(Frame::pong(frame.payload)).await?;
                        dirty = true;
                    }
                    OpCode::Close => {
                        write.write_frame(Frame::close_raw(frame.payload)).await?;
                        write.flush().await?;
                        return Ok(());
                    }
                    OpCode::Pong | OpCode::Continuation => {}
                }
                reading.set(next_frame(read));
            }
            Some(message) = next_published(&mut conn.queue) => {
                write.write_frame(Frame::text(Payload::Borrowed(&message))).await?;
                // And what else waits already (bounded, so reading is not starved).
                if let Some(queue) = &mut conn.queue {
                    for _ in 0..64 {
                        let Ok(message) = queue.try_recv() else { break };
                        write.write_frame(Frame::text(Payload::Borrowed(&message))).await?;
                    }
                }
                dirty = true;
            }
            () = std::future::ready(()), if dirty => {
                // Nothing else is ready: what is buffered leaves in one write.
                write.flush().await?;
                dirty = false;
            }
        }
    }
}

/// The floor's JSON-RPC 2.0 dispatcher: one borrowed parse and a `match`,
/// with the checks of `common::floor` (which knows only `add` and `echo`).
mod floor {
    use std::borrow::Cow;

    use serde::de::{Deserializer, IgnoredAny};
    use serde::{Deserialize, Serialize};
    use serde_json::value::RawValue;
    use tokio::sync::mpsc;

    use super::FloorConn;

    type Failed = (i32, &'static str);

    const PARSE_ERROR: Failed = (-32700, "Parse error");
    const INVALID_REQUEST: Failed = (-32600, "Invalid Request");
    const METHOD_NOT_FOUND: Failed = (-32601, "Method not found");
    const INVALID_PARAMS: Failed = (-32602, "Invalid params");

    #[derive(Deserialize)]
    struct Req<'a> {
        jsonrpc: &'a str,
        #[serde(borrow)]
        method: Cow<'a, str>,
        #[serde(borrow, default, deserialize_with = "present")]
        params: Option<&'a RawValue>,
        #[serde(borrow, default, deserialize_with = "present")]
        id: Option<&'a RawValue>,
    }

    /// A member that is there, whatever its value (`null` included).
    fn present<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<&'de RawValue>, D::Error> {
        <&RawValue>::deserialize(deserializer).map(Some)
    }

    #[derive(Serialize)]
    struct Success<'a, T> {
        jsonrpc: &'static str,
        result: T,
        id: &'a RawValue,
    }

    #[derive(Serialize)]
    struct Failure<'a> {
        jsonrpc: &'static str,
        error: ErrorObject,
        id: Option<&'a RawValue>,
    }

    #[derive(Serialize)]
    struct ErrorObject {
        code: i32,
        message: &'static str,
    }

    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct AddNamed {
        a: i64,
        b: i64,
    }

    /// A string borrowed from the input unless it holds escapes.
    #[derive(Deserialize)]
    struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

    /// Answers one message into `conn.out` (left empty when nothing is to be sent).
    pub(super) fn handle(input: &[u8], conn: &mut FloorConn) {
        match input.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[') => batch(input, conn),
            _ => match serde_json::from_slice::<Req<'_>>(input) {
                Ok(request) => call(&request, conn),
                Err(_) => not_a_request(input, &mut conn.out),
            },
        }
    }

    fn batch(input: &[u8], conn: &mut FloorConn) {
        conn.out.push(b'[');
        if let Ok(requests) = serde_json::from_slice::<Vec<Req<'_>>>(input) {
            if requests.is_empty() {
                conn.out.clear();
                return write_error(&mut conn.out, INVALID_REQUEST, None);
            }
            for request in &requests {
                append(conn, |conn| call(request, conn));
            }
        } else {
            match serde_json::from_slice::<Vec<&RawValue>>(input) {
                Ok(entries) if !entries.is_empty() => {
                    for entry in entries {
                        append(conn, |conn| {
                            match serde_json::from_str::<Req<'_>>(entry.get()) {
                                Ok(request) => call(&request, conn),
                                Err(_) => write_error(&mut conn.out, INVALID_REQUEST, None),
                            }
                        });
                    }
                }
                Ok(_) => {
                    conn.out.clear();
                    return write_error(&mut conn.out, INVALID_REQUEST, None);
                }
                Err(_) => {
                    conn.out.clear();
                    return write_error(&mut conn.out, PARSE_ERROR, None);
                }
            }
        }
        if conn.out.len() == 1 {
            conn.out.clear(); // only notifications
        } else {
            conn.out.push(b']');
        }
    }

    /// Appends one batch answer with its comma; nothing if `write` wrote nothing.
    fn append(conn: &mut FloorConn, write: impl FnOnce(&mut FloorConn)) {
        let mark = conn.out.len();
        if mark > 1 {
            conn.out.push(b',');
        }
        let start = conn.out.len();
        write(conn);
        if conn.out.len() == start {
            conn.out.truncate(mark);
        }
    }

    /// Valid JSON that is not a request is `-32600`; anything else `-32700`.
    #[cold]
    fn not_a_request(input: &[u8], out: &mut Vec<u8>) {
        let error = match serde_json::from_slice::<IgnoredAny>(input) {
            Ok(_) => INVALID_REQUEST,
            Err(_) => PARSE_ERROR,
        };
        write_error(out, error, None);
    }

    fn call(request: &Req<'_>, conn: &mut FloorConn) {
        let id = request.id;
        if let Some(raw) = id {
            if !matches!(raw.get().as_bytes()[0], b'"' | b'-' | b'0'..=b'9' | b'n') {
                return write_error(&mut conn.out, INVALID_REQUEST, None);
            }
        }
        if request.jsonrpc != "2.0" {
            return write_error(&mut conn.out, INVALID_REQUEST, id);
        }
        let params = request.params.map(RawValue::get);
        if params.is_some_and(|p| !matches!(p.as_bytes()[0], b'[' | b'{')) {
            return write_error(&mut conn.out, INVALID_REQUEST, id);
        }
        match &*request.method {
            "add" => respond(&mut conn.out, id, add(params)),
            "echo" => respond(&mut conn.out, id, echo(params)),
            "subscribe" => {
                let result = subscribe(params, conn);
                respond(&mut conn.out, id, result);
            }
            "publish" => {
                let result = one_string(params).map(|data| conn.hub.publish(&data));
                respond(&mut conn.out, id, result);
            }
            _ => respond::<()>(&mut conn.out, id, Err(METHOD_NOT_FOUND)),
        }
    }

    fn add(params: Option<&str>) -> Result<i64, Failed> {
        let (a, b) = match params {
            Some(text) if text.starts_with('{') => {
                let AddNamed { a, b } = serde_json::from_str(text).map_err(|_| INVALID_PARAMS)?;
                (a, b)
            }
            Some(text) => serde_json::from_str::<(i64, i64)>(text).map_err(|_| INVALID_PARAMS)?,
            None => return Err(INVALID_PARAMS),
        };
        Ok(a + b)
    }

    fn echo(params: Option<&str>) -> Result<Cow<'_, str>, Failed> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct EchoNamed<'a> {
            #[serde(borrow)]
            s: Cow<'a, str>,
        }
        match params {
            Some(text) if text.starts_with('{') => serde_json::from_str::<EchoNamed<'_>>(text)
                .map(|named| named.s)
                .map_err(|_| INVALID_PARAMS),
            _ => one_string(params),
        }
    }

    /// `["..."]`.
    fn one_string(params: Option<&str>) -> Result<Cow<'_, str>, Failed> {
        let text = params.ok_or(INVALID_PARAMS)?;
        serde_json::from_str::<(Text<'_>,)>(text)
            .map(|(Text(s),)| s)
            .map_err(|_| INVALID_PARAMS)
    }

    /// `["bench", ...]`: the connection gets its topic queue; answers its topics.
    fn subscribe(params: Option<&str>, conn: &mut FloorConn) -> Result<Vec<&'static str>, Failed> {
        let names: Vec<Cow<'_, str>> = params
            .map_or(Ok(Vec::new()), serde_json::from_str)
            .map_err(|_| INVALID_PARAMS)?;
        if names.iter().any(|name| name == super::TOPIC) && conn.queue.is_none() {
            let (sender, receiver) = mpsc::channel(super::FLOOR_QUEUE);
            conn.queue = Some(receiver);
            conn.hub.subscribers().insert(conn.id, sender);
        }
        Ok(if conn.queue.is_some() {
            vec![super::TOPIC]
        } else {
            Vec::new()
        })
    }

    /// Writes the answer, unless the request is a notification.
    fn respond<T: Serialize>(out: &mut Vec<u8>, id: Option<&RawValue>, result: Result<T, Failed>) {
        let Some(id) = id else { return };
        match result {
            Ok(result) => serde_json::to_writer(
                &mut *out,
                &Success {
                    jsonrpc: "2.0",
                    result,
                    id,
                },
            )
            .expect("results serialize"),
            Err(error) => write_error(out, error, Some(id)),
        }
    }

    fn write_error(out: &mut Vec<u8>, (code, message): Failed, id: Option<&RawValue>) {
        let failure = Failure {
            jsonrpc: "2.0",
            error: ErrorObject { code, message },
            id,
        };
        serde_json::to_writer(out, &failure).expect("errors serialize");
    }
}

// ------------------------------------------------------------------ generator

fn generate(run: impl std::future::Future<Output = Result<(), BoxError>>) -> Result<(), BoxError> {
    current_thread()?.block_on(run)
}

/// Where the server is: `ws://host:port/path`.
#[derive(Clone, Debug)]
struct Target {
    authority: String,
    path: String,
}

impl Target {
    fn parse(url: &str) -> Result<Self, BoxError> {
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| format!("`{url}` is not a ws:// URL"))?;
        let (authority, path) = match rest.find('/') {
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        if !authority.contains(':') {
            return Err(format!("`{url}` has no port").into());
        }
        Ok(Self {
            authority: authority.to_owned(),
            path: path.to_owned(),
        })
    }
}

/// The RFC 6455 example key, and the accept value it calls for.
const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
const ACCEPT: &[u8] = b"s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// One client socket: its read buffer and what waits to be written.
struct Ws {
    stream: TcpStream,
    read: BytesMut,
    write: Vec<u8>,
    /// A fragmented message being joined.
    partial: Option<Vec<u8>>,
}

impl Ws {
    /// Connects and upgrades.
    async fn open(target: &Target, zero_linger: bool) -> Result<Self, BoxError> {
        let mut stream = TcpStream::connect(&target.authority)
            .await
            .map_err(|err| connect_error(target, err))?;
        stream.set_nodelay(true)?;
        if zero_linger {
            // Closed with a reset: thousands of sockets leave no TIME_WAIT behind.
            stream.set_zero_linger()?;
        }
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            target.path, target.authority
        );
        stream.write_all(request.as_bytes()).await?;
        let mut read = BytesMut::with_capacity(1024);
        loop {
            if stream.read_buf(&mut read).await? == 0 {
                return Err("the server closed the connection during the handshake".into());
            }
            if let Some(end) = find(&read, b"\r\n\r\n") {
                let head = &read[..end];
                if !head.starts_with(b"HTTP/1.1 101") {
                    let line = head.split(|b| *b == b'\r').next().unwrap_or_default();
                    return Err(
                        format!("upgrade refused: {}", String::from_utf8_lossy(line)).into(),
                    );
                }
                if find(head, ACCEPT).is_none() {
                    return Err("the 101 lacks the right Sec-WebSocket-Accept".into());
                }
                read.advance(end + 4);
                return Ok(Self {
                    stream,
                    read,
                    write: Vec::new(),
                    partial: None,
                });
            }
            if read.len() > 16 * 1024 {
                return Err("no end to the handshake's answer".into());
            }
        }
    }

    /// Queues a frame, masked with an all-zero key.
    fn push_frame(&mut self, opcode: u8, payload: &[u8]) {
        let len = payload.len();
        self.write.push(0x80 | opcode);
        if len < 126 {
            self.write.push(0x80 | len as u8);
        } else if let Ok(len) = u16::try_from(len) {
            self.write.push(0x80 | 126);
            self.write.extend_from_slice(&len.to_be_bytes());
        } else {
            self.write.push(0x80 | 127);
            self.write.extend_from_slice(&(len as u64).to_be_bytes());
        }
        self.write.extend_from_slice(&[0; 4]);
        self.write.extend_from_slice(payload);
    }

    /// Writes what is queued.
    async fn flush(&mut self) -> io::Result<()> {
        if !self.write.is_empty() {
            self.stream.write_all(&self.write).await?;
            self.write.clear();
        }
        Ok(())
    }

    /// Reads what the socket has (at least one byte).
    async fn fill(&mut self) -> io::Result<()> {
        if self.read.capacity() - self.read.len() < 4096 {
            self.read.reserve(16 * 1024);
        }
        if self.stream.read_buf(&mut self.read).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            ));
        }
        Ok(())
    }

    /// The next complete message in the read buffer, if there is one; pings
    /// are answered (queued), fragments joined.
    fn next_message(&mut self) -> Result<Option<BytesMut>, String> {
        loop {
            let buf = &self.read[..];
            if buf.len() < 2 {
                return Ok(None);
            }
            let (fin, opcode) = (buf[0] & 0x80 != 0, buf[0] & 0x0f);
            if buf[1] & 0x80 != 0 {
                return Err("the server sent a masked frame".into());
            }
            let (len, head) = match buf[1] & 0x7f {
                126 if buf.len() >= 4 => (usize::from(u16::from_be_bytes([buf[2], buf[3]])), 4),
                127 if buf.len() >= 10 => {
                    let len = u64::from_be_bytes(buf[2..10].try_into().expect("8 bytes"));
                    (usize::try_from(len).map_err(|_| "a huge frame")?, 10)
                }
                126 | 127 => return Ok(None),
                len => (usize::from(len), 2),
            };
            if buf.len() < head + len {
                return Ok(None);
            }
            let mut frame = self.read.split_to(head + len);
            frame.advance(head);
            match (opcode, self.partial.as_mut()) {
                (0x1 | 0x2, None) if fin => return Ok(Some(frame)),
                (0x1 | 0x2, None) => self.partial = Some(frame.to_vec()),
                (0x0, Some(joined)) => {
                    joined.extend_from_slice(&frame);
                    if fin {
                        let joined = self.partial.take().expect("matched");
                        return Ok(Some(BytesMut::from(&joined[..])));
                    }
                }
                (0x8, _) => {
                    let code = (frame.len() >= 2).then(|| u16::from_be_bytes([frame[0], frame[1]]));
                    let reason = String::from_utf8_lossy(frame.get(2..).unwrap_or_default());
                    return Err(format!(
                        "the server closed the connection (code {code:?}, `{reason}`)"
                    ));
                }
                (0x9, _) => self.push_frame(0xA, &frame),
                (0xA, _) => {}
                (opcode, _) => return Err(format!("unexpected frame (opcode {opcode:#x})")),
            }
        }
    }

    /// Reads until a whole message is there.
    async fn message(&mut self) -> Result<BytesMut, BoxError> {
        loop {
            if let Some(message) = self.next_message()? {
                return Ok(message);
            }
            self.flush().await?;
            self.fill().await?;
        }
    }
}

fn connect_error(target: &Target, err: io::Error) -> BoxError {
    let limit = open_files_limit().map_or_else(String::new, |limit| {
        format!(" (this process may open {limit} files; raise it with `ulimit -n`)")
    });
    format!("connecting to {} failed: {err}{limit}", target.authority).into()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// The soft limit of open files, from `/proc/self/limits`.
fn open_files_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Fails early when `sockets` more would not fit under the open files limit.
fn need_files(sockets: usize) -> Result<(), BoxError> {
    match open_files_limit() {
        Some(limit) if limit < sockets as u64 + 64 => Err(format!(
            "{sockets} connections need more open files than the limit of {limit}: run under `ulimit -n {}`",
            sockets + 1024
        )
        .into()),
        _ => Ok(()),
    }
}

/// CPU time of a process, all threads, in nanoseconds (`/proc/<pid>/task/*/schedstat`).
fn cpu_ns(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
        total += stat
            .split_whitespace()
            .next()
            .and_then(|ns| ns.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(total)
}

fn own_cpu_ns() -> u64 {
    cpu_ns(std::process::id()).unwrap_or(0)
}

/// With `WS_BENCH_CALLGRIND` in the environment, runs `callgrind_control
/// <action> <pid>` on the server (`-z` to zero its counters, `-d` to dump
/// them) at the edges of the measured window; whether it did.
fn callgrind_control(pid: Option<u32>, action: &str) -> Result<bool, BoxError> {
    let (Some(pid), Some(_)) = (pid, std::env::var_os("WS_BENCH_CALLGRIND")) else {
        return Ok(false);
    };
    let status = std::process::Command::new("callgrind_control")
        .arg(action)
        .arg(pid.to_string())
        .stdout(std::process::Stdio::null())
        .status()?;
    if !status.success() {
        return Err(format!("callgrind_control {action} {pid} failed: {status}").into());
    }
    Ok(true)
}

/// Opens `count` sockets, `OPEN_CONCURRENCY` at a time, each readied by `ready`.
async fn open_many<F, Fut>(target: &Target, count: usize, ready: F) -> Result<Vec<Ws>, BoxError>
where
    F: Fn(Ws) -> Fut,
    Fut: std::future::Future<Output = Result<Ws, BoxError>>,
{
    let zero_linger = count > 100;
    let opened: Vec<Result<Ws, BoxError>> = futures_util::stream::iter(0..count)
        .map(|_| async {
            let ws = Ws::open(target, zero_linger).await?;
            ready(ws).await
        })
        .buffer_unordered(OPEN_CONCURRENCY)
        .collect()
        .await;
    opened.into_iter().collect()
}

// ------------------------------------------------------------------ load

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Workload {
    Add,
    Echo4k,
    Batch10,
}

impl Workload {
    fn parse(name: &str) -> Result<Self, BoxError> {
        match name {
            "add" => Ok(Self::Add),
            "echo4k" => Ok(Self::Echo4k),
            "batch10" => Ok(Self::Batch10),
            other => Err(format!("unknown workload `{other}`").into()),
        }
    }

    /// Calls per message.
    fn calls(self) -> u64 {
        match self {
            Self::Batch10 => 10,
            Self::Add | Self::Echo4k => 1,
        }
    }
}

struct LoadRun {
    target: Target,
    workload: Workload,
    connections: usize,
    in_flight: usize,
    seconds: f64,
    pid: Option<u32>,
}

fn parse_load(
    url: &str,
    workload: &str,
    connections: &str,
    in_flight: &str,
    seconds: &str,
    pid: Option<&str>,
) -> Result<LoadRun, BoxError> {
    let positive = |what: &str, text: &str| -> Result<usize, BoxError> {
        match text.parse::<usize>() {
            Ok(n) if n > 0 => Ok(n),
            _ => Err(format!("{what} must be a positive integer, not `{text}`").into()),
        }
    };
    let seconds: f64 = seconds
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("bad duration `{seconds}`"))?;
    Ok(LoadRun {
        target: Target::parse(url)?,
        workload: Workload::parse(workload)?,
        connections: positive("connections", connections)?,
        in_flight: positive("in_flight", in_flight)?,
        seconds,
        pid: pid.map(str::parse).transpose()?,
    })
}

/// What a connection sends, and what it expects back.
struct Calls {
    workload: Workload,
    /// `"aaa..."`: the answer's result for `echo4k`.
    echo_result: String,
    /// The request being built.
    scratch: Vec<u8>,
    /// Ids (message ids for batches) of the requests in flight.
    outstanding: Vec<u64>,
    next_id: u64,
}

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    jsonrpc: Cow<'a, str>,
    id: u64,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

impl Calls {
    fn new(workload: Workload) -> Self {
        Self {
            workload,
            echo_result: format!("\"{}\"", "a".repeat(ECHO_LEN)),
            scratch: Vec::new(),
            outstanding: Vec::new(),
            next_id: 1,
        }
    }

    /// Queues the next request on `ws`.
    fn push(&mut self, ws: &mut Ws) {
        use std::io::Write;
        let id = self.next_id;
        self.next_id += 1;
        self.outstanding.push(id);
        let out = &mut self.scratch;
        out.clear();
        match self.workload {
            Workload::Add => {
                let _ = write!(
                    out,
                    r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#
                );
            }
            Workload::Echo4k => {
                out.extend_from_slice(br#"{"jsonrpc":"2.0","method":"echo","params":["#);
                out.extend_from_slice(self.echo_result.as_bytes());
                let _ = write!(out, r#"],"id":{id}}}"#);
            }
            Workload::Batch10 => {
                out.push(b'[');
                for entry in 1..=10 {
                    if entry > 1 {
                        out.push(b',');
                    }
                    let _ = write!(
                        out,
                        r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{}}}"#,
                        id * 16 + entry
                    );
                }
                out.push(b']');
            }
        }
        ws.push_frame(0x1, out);
    }

    /// Checks an answer against the requests in flight.
    fn check(&mut self, message: &[u8]) -> Result<(), String> {
        let shown = || String::from_utf8_lossy(&message[..message.len().min(300)]).into_owned();
        let id = match self.workload {
            Workload::Add | Workload::Echo4k => {
                let answer: Answer<'_> = serde_json::from_slice(message)
                    .map_err(|err| format!("not an answer ({err}): {}", shown()))?;
                let expected = match self.workload {
                    Workload::Echo4k => self.echo_result.as_str(),
                    _ => "3",
                };
                if !ok(&answer, expected) {
                    return Err(format!("wrong answer: {}", shown()));
                }
                answer.id
            }
            Workload::Batch10 => {
                let answers: Vec<Answer<'_>> = serde_json::from_slice(message)
                    .map_err(|err| format!("not a batch answer ({err}): {}", shown()))?;
                let base = answers.first().map_or(0, |answer| answer.id / 16);
                let mut seen = 0_u32;
                for answer in &answers {
                    if !ok(answer, "3") || answer.id / 16 != base {
                        return Err(format!("wrong batch answer: {}", shown()));
                    }
                    seen |= 1 << (answer.id % 16);
                }
                if answers.len() != 10 || seen != 0b111_1111_1110 {
                    return Err(format!("a batch answer without its ten ids: {}", shown()));
                }
                base
            }
        };
        match self.outstanding.iter().position(|waiting| *waiting == id) {
            Some(at) => {
                self.outstanding.swap_remove(at);
                Ok(())
            }
            None => Err(format!("an answer to no request in flight: {}", shown())),
        }
    }
}

fn ok(answer: &Answer<'_>, expected: &str) -> bool {
    answer.jsonrpc == "2.0"
        && answer.error.is_none()
        && answer.result.is_some_and(|result| result.get() == expected)
}

/// Counters all connections of a run share.
#[derive(Default)]
struct Counts {
    /// Answers in the counted window.
    messages: AtomicU64,
    /// Every answer.
    answered: AtomicU64,
    errors: AtomicU64,
    finished: AtomicUsize,
}

async fn load(run: LoadRun) -> Result<(), BoxError> {
    need_files(run.connections)?;
    let sockets = open_many(&run.target, run.connections, |ws| async { Ok(ws) }).await?;
    let warm_up = Duration::from_millis(500);
    let started = Instant::now();
    let from = started + warm_up;
    let until = from + Duration::from_secs_f64(run.seconds);
    let counts = Arc::new(Counts::default());
    for ws in sockets {
        let counts = Arc::clone(&counts);
        let (workload, in_flight) = (run.workload, run.in_flight);
        tokio::spawn(async move {
            if let Err(err) = drive(ws, workload, in_flight, from, until, &counts).await {
                if counts.errors.fetch_add(1, Ordering::Relaxed) < 3 {
                    eprintln!("ws_bench load: {err}");
                }
            }
            counts.finished.fetch_add(1, Ordering::Relaxed);
        });
    }
    tokio::time::sleep_until(from.into()).await;
    let callgrind = callgrind_control(run.pid, "-z")?;
    let answered0 = counts.answered.load(Ordering::Relaxed);
    let (server0, own0) = (run.pid.map(cpu_ns), own_cpu_ns());
    let messages0 = counts.messages.load(Ordering::Relaxed);
    tokio::time::sleep_until(until.into()).await;
    let (server1, own1) = (run.pid.map(cpu_ns), own_cpu_ns());
    let elapsed = from.elapsed().min(until - from);
    let messages = counts.messages.load(Ordering::Relaxed) - messages0;
    let answered = counts.answered.load(Ordering::Relaxed) - answered0;
    if callgrind {
        callgrind_control(run.pid, "-d")?;
        println!("CALLGRIND_WINDOW messages={answered}");
    }
    // Each connection stops at its first read after the end.
    let stalled_by = Instant::now() + Duration::from_secs(5);
    while counts.finished.load(Ordering::Relaxed) < run.connections && Instant::now() < stalled_by {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stalled = run.connections - counts.finished.load(Ordering::Relaxed);
    if stalled > 0 {
        eprintln!("ws_bench load: {stalled} connection(s) had no answer for 5 s after the end");
    }
    let errors = counts.errors.load(Ordering::Relaxed) + stalled as u64;
    let server_cpu_us = match (server0, server1) {
        (Some(Ok(a)), Some(Ok(b))) => (b - a) / 1000,
        _ => 0,
    };
    println!(
        "LOAD_RESULT requests={} messages={messages} duration_us={} errors={errors} server_cpu_us={server_cpu_us} generator_cpu_us={}",
        messages * run.workload.calls(),
        elapsed.as_micros(),
        (own1 - own0) / 1000
    );
    if errors > 0 {
        return Err(format!("{errors} error(s)").into());
    }
    Ok(())
}

/// One connection of a load run: `in_flight` requests out, one more per
/// answer, until `until`; answers from `from` on are counted.
async fn drive(
    mut ws: Ws,
    workload: Workload,
    in_flight: usize,
    from: Instant,
    until: Instant,
    counts: &Counts,
) -> Result<(), BoxError> {
    let mut calls = Calls::new(workload);
    for _ in 0..in_flight {
        calls.push(&mut ws);
    }
    ws.flush().await?;
    loop {
        ws.fill().await?;
        let now = Instant::now();
        let mut answered = 0;
        while let Some(message) = ws.next_message()? {
            calls.check(&message)?;
            answered += 1;
            if now < until {
                calls.push(&mut ws);
            }
        }
        counts.answered.fetch_add(answered, Ordering::Relaxed);
        if now >= from && now < until {
            counts.messages.fetch_add(answered, Ordering::Relaxed);
        }
        if now >= until {
            return Ok(());
        }
        ws.flush().await?;
    }
}

// ------------------------------------------------------------------ fan-out

struct FanoutRun {
    /// Subscribers are spread over these; the publisher uses the first.
    targets: Vec<Target>,
    subscribers: usize,
    rounds: usize,
    pid: Option<u32>,
}

fn parse_fanout(
    url: &str,
    subscribers: &str,
    rounds: &str,
    pid: Option<&str>,
) -> Result<FanoutRun, BoxError> {
    Ok(FanoutRun {
        targets: url
            .split(',')
            .map(Target::parse)
            .collect::<Result<_, _>>()?,
        subscribers: subscribers.parse()?,
        rounds: rounds.parse()?,
        pid: pid.map(str::parse).transpose()?,
    })
}

/// What the subscribers of a fan-out share.
struct Delivery {
    started: Instant,
    /// The round whose message the subscribers wait for.
    round: AtomicU64,
    received: AtomicUsize,
    /// When the last one came, in ns since `started`.
    last_ns: AtomicU64,
    errors: AtomicU64,
    all: Notify,
    subscribers: usize,
}

/// Sends `{"jsonrpc":"2.0","method":<method>,"params":<params>,"id":<id>}` and
/// returns the result of the answer.
async fn call(ws: &mut Ws, method: &str, params: &str, id: u64) -> Result<String, BoxError> {
    let request = format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":{id}}}"#);
    ws.push_frame(0x1, request.as_bytes());
    ws.flush().await?;
    loop {
        let message = ws.message().await?;
        let value: serde_json::Value = serde_json::from_slice(&message)?;
        if value.get("id").is_none() {
            continue; // a notification
        }
        if value["id"] != id || value["jsonrpc"] != "2.0" || value.get("error").is_some() {
            return Err(format!("`{method}` failed: {value}").into());
        }
        return Ok(value["result"].to_string());
    }
}

async fn fanout(run: FanoutRun) -> Result<(), BoxError> {
    need_files(run.subscribers + 1)?;
    let mut subscribed = Vec::with_capacity(run.subscribers);
    for (k, target) in run.targets.iter().enumerate() {
        // An even share, the first targets taking the remainder.
        let share = run.subscribers / run.targets.len()
            + usize::from(k < run.subscribers % run.targets.len());
        subscribed.extend(
            open_many(target, share, |mut ws| async move {
                call(&mut ws, "subscribe", &format!(r#"["{TOPIC}"]"#), 1).await?;
                Ok(ws)
            })
            .await?,
        );
    }
    let mut publisher = Ws::open(&run.targets[0], false).await?;
    let delivery = Arc::new(Delivery {
        started: Instant::now(),
        round: AtomicU64::new(0),
        received: AtomicUsize::new(0),
        last_ns: AtomicU64::new(0),
        errors: AtomicU64::new(0),
        all: Notify::new(),
        subscribers: run.subscribers,
    });
    for ws in subscribed {
        let delivery = Arc::clone(&delivery);
        tokio::spawn(async move {
            if let Err(err) = subscriber(ws, &delivery).await {
                if delivery.errors.fetch_add(1, Ordering::Relaxed) < 3 {
                    eprintln!("ws_bench fanout: a subscriber: {err}");
                }
            }
        });
    }
    // Settle: every subscription is in place before the first publish.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut times = Vec::with_capacity(run.rounds);
    let mut cpu_per_msg = Vec::with_capacity(run.rounds);
    let mut own_cpu_per_msg = Vec::with_capacity(run.rounds);
    let mut missing = 0;
    let callgrind = callgrind_control(run.pid, "-z")?;
    for round in 1..=run.rounds as u64 {
        delivery.received.store(0, Ordering::SeqCst);
        delivery.last_ns.store(0, Ordering::SeqCst);
        delivery.round.store(round, Ordering::SeqCst);
        let cpu0 = run.pid.map(cpu_ns).transpose()?;
        let own0 = own_cpu_ns();
        let sent = Instant::now();
        let params = format!(r#"["round-{round}"]"#);
        let queued = call(&mut publisher, "publish", &params, round);
        let queued = tokio::time::timeout(Duration::from_secs(30), queued)
            .await
            .map_err(|_| "no answer to `publish` within 30 s")??;
        // A server with a broker answers 0: delivery follows from the broker.
        if queued != run.subscribers.to_string() && queued != "0" {
            eprintln!(
                "ws_bench fanout: round {round}: publish says {queued} subscribers, not {}",
                run.subscribers
            );
        }
        if run.subscribers > 0
            && tokio::time::timeout(Duration::from_secs(30), delivery.all.notified())
                .await
                .is_err()
        {
            let got = delivery.received.load(Ordering::SeqCst);
            eprintln!(
                "ws_bench fanout: round {round}: {got} of {} subscribers had the message after 30 s",
                run.subscribers
            );
            missing += run.subscribers - got;
            continue;
        }
        let last = delivery.started + Duration::from_nanos(delivery.last_ns.load(Ordering::SeqCst));
        times.push(last.saturating_duration_since(sent));
        own_cpu_per_msg.push((own_cpu_ns() - own0) / run.subscribers.max(1) as u64);
        // The server finishes what the publish left (flushes, wake-ups).
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(cpu0) = cpu0 {
            let cpu1 = cpu_ns(run.pid.expect("cpu0 has a pid"))?;
            cpu_per_msg.push((cpu1 - cpu0) / run.subscribers.max(1) as u64);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let errors = delivery.errors.load(Ordering::Relaxed) + missing as u64;
    if callgrind {
        callgrind_control(run.pid, "-d")?;
        println!(
            "CALLGRIND_WINDOW messages={}",
            times.len() * run.subscribers
        );
    }
    times.sort_unstable();
    cpu_per_msg.sort_unstable();
    own_cpu_per_msg.sort_unstable();
    let us = |d: Option<&Duration>| d.map_or(0, Duration::as_micros);
    let median = |v: &[u64]| v.get(v.len() / 2).copied().unwrap_or(0);
    println!(
        "FANOUT_RESULT subscribers={} rounds={} median_us={} min_us={} max_us={} cpu_ns_per_msg={} generator_cpu_ns_per_msg={} errors={errors}",
        run.subscribers,
        times.len(),
        us(times.get(times.len() / 2)),
        us(times.first()),
        us(times.last()),
        median(&cpu_per_msg),
        median(&own_cpu_per_msg),
    );
    if errors > 0 {
        return Err(format!("{errors} error(s)").into());
    }
    Ok(())
}

/// A subscriber: records when each round's message comes.
async fn subscriber(mut ws: Ws, delivery: &Delivery) -> Result<(), BoxError> {
    const MARK: &[u8] = b"\"round-";
    loop {
        ws.fill().await?;
        let now = Instant::now();
        while let Some(message) = ws.next_message()? {
            let round = find(&message, MARK).and_then(|at| {
                let digits = &message[at + MARK.len()..];
                let end = digits.iter().position(|b| !b.is_ascii_digit())?;
                std::str::from_utf8(&digits[..end])
                    .ok()?
                    .parse::<u64>()
                    .ok()
            });
            if round.is_some() && round == Some(delivery.round.load(Ordering::SeqCst)) {
                let at = u64::try_from((now - delivery.started).as_nanos()).unwrap_or(u64::MAX);
                delivery.last_ns.fetch_max(at, Ordering::SeqCst);
                if delivery.received.fetch_add(1, Ordering::SeqCst) + 1 == delivery.subscribers {
                    delivery.all.notify_one();
                }
            } else if round.is_none() {
                return Err(format!(
                    "an unexpected message: {}",
                    String::from_utf8_lossy(&message[..message.len().min(200)])
                )
                .into());
            }
        }
        // Pongs, if the server pinged.
        ws.flush().await?;
    }
}

// ------------------------------------------------------------------ idle

fn parse_idle(url: &str, connections: &str, pid: &str) -> Result<(Target, usize, u32), BoxError> {
    Ok((Target::parse(url)?, connections.parse()?, pid.parse()?))
}

/// `VmRSS` of a process, in KiB.
fn rss_kib(pid: u32) -> Result<u64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| format!("no VmRSS for process {pid}").into())
}

async fn idle(target: Target, connections: usize, pid: u32) -> Result<(), BoxError> {
    need_files(connections)?;
    let before = rss_kib(pid)?;
    let sockets = open_many(&target, connections, |ws| async { Ok(ws) }).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after = rss_kib(pid)?;
    let per_connection = (after.saturating_sub(before) * 1024) / connections.max(1) as u64;
    println!(
        "IDLE_RESULT connections={connections} rss_before_kb={before} rss_after_kb={after} per_connection_bytes={per_connection}"
    );
    drop(sockets);
    Ok(())
}

// ------------------------------------------------------------------ check

async fn check(target: Target) -> Result<(), BoxError> {
    for workload in [Workload::Add, Workload::Echo4k, Workload::Batch10] {
        for in_flight in [1, 8] {
            let counts = Counts::default();
            let ws = Ws::open(&target, false).await?;
            let now = Instant::now();
            drive(
                ws,
                workload,
                in_flight,
                now,
                now + Duration::from_millis(200),
                &counts,
            )
            .await
            .map_err(|err| format!("{workload:?} with {in_flight} in flight: {err}"))?;
            if counts.messages.load(Ordering::Relaxed) == 0 {
                return Err(format!("{workload:?}: no answer").into());
            }
        }
    }
    fanout(FanoutRun {
        targets: vec![target],
        subscribers: 3,
        rounds: 2,
        pid: None,
    })
    .await?;
    println!("CHECK_OK");
    Ok(())
}
