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

use std::process::ExitCode;

use crate::check::check;
use crate::client::{generate, Target};
use crate::fanout::{fanout, parse_fanout};
use crate::idle::{idle, parse_idle};
use crate::load::{load, parse_load};
use crate::servers::serve;

mod check;
mod client;
mod fanout;
mod idle;
mod load;
mod servers;

#[allow(dead_code, reason = "only jsonrpsee_module is used here")]
#[path = "../common/mod.rs"]
mod common;

const USAGE: &str = "usage: ws_bench server <floor|ours|jsonrpsee> <port>\n       \
     ws_bench server ours <port> <redis_url>\n       \
     ws_bench load <url> <add|echo4k|batch10> <connections> <in_flight> <seconds> [server_pid]\n       \
     ws_bench fanout <url[,url...]> <subscribers> <rounds> [server_pid]\n       \
     ws_bench idle <url> <connections> <server_pid>\n       \
     ws_bench check <url>";

/// The topic of the fan-out.
pub(crate) const TOPIC: &str = "bench";

/// The connection limit of `ours` and `jsonrpsee` (jsonrpsee's default, 100,
/// would cap WebSocket connections for their whole life).
pub(crate) const MAX_CONNECTIONS: u32 = 20_000;

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

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

pub(crate) fn current_thread() -> Result<tokio::runtime::Runtime, BoxError> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}
