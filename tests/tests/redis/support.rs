//! The real parts of the multi-process tests: a `redis-server` of the
//! test's own (a free loopback port, a temporary directory, stopped by its
//! process id), server processes running the `redis_node` example, and
//! WebSocket clients.
//!
//! Without `redis-server` on the PATH these tests say loudly what they
//! skipped; with `RPC_REQUIRE_INTEROP=1` (as CI sets it) that is a failure.

use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rpc_core::client::Client;
use rpc_http::WsClient;
use serde_json::Value;

/// Every wait is bounded by this, so a broken feature fails instead of hanging.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("the step finished within the time limit")
}

/// Whether `redis-server` can run here; `false` (said loudly) means skip.
fn redis_server_present() -> bool {
    let present = Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if present {
        return true;
    }
    let why = "SKIPPED Redis tests: no redis-server on the PATH (run `bash scripts/setup.sh`)";
    if std::env::var_os("RPC_REQUIRE_INTEROP").is_some() {
        panic!("{why}; RPC_REQUIRE_INTEROP is set, so this is a failure");
    }
    // Straight to the process's standard error, once: `eprintln!` would be
    // captured, and shown only for a failing test.
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        let _ = writeln!(std::io::stderr(), "\n*** {why} ***\n");
    });
    false
}

/// A loopback port nothing listens on now (outside 39000-39999, where the
/// benchmark scripts start their servers).
fn free_port() -> u16 {
    loop {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        if !(39000..40000).contains(&port) {
            return port;
        }
    }
}

/// A `redis-server` of the test's own, with an append-only file (written
/// at every command), so that what it stores outlives a kill.
pub(crate) struct Redis {
    port: u16,
    dir: PathBuf,
    child: Option<Child>,
}

impl Redis {
    /// Starts one, or `None` when `redis-server` is missing (see the module doc).
    pub(crate) fn start() -> Option<Self> {
        if !redis_server_present() {
            return None;
        }
        static RUN: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "rpc-redis-test-{}-{}",
            std::process::id(),
            RUN.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        let mut redis = Self {
            port: free_port(),
            dir,
            child: None,
        };
        redis.spawn();
        Some(redis)
    }

    pub(crate) fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.join("redis.log"))
            .expect("a log file");
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--dir")
            .arg(&self.dir)
            .args([
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + WAIT;
        while !self.answers_ping() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on port {} within {WAIT:?}; its log: {}",
                self.port,
                std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers_ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        let mut answer = [0; 7];
        stream.write_all(b"PING\r\n").is_ok()
            && stream.read_exact(&mut answer).is_ok()
            && &answer == b"+PONG\r\n"
    }

    /// Kills it at once (SIGKILL, by its process id), as a crash would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Removes what it persisted (while it is stopped): it comes back empty.
    pub(crate) fn wipe(&self) {
        assert!(self.child.is_none(), "wiped while running");
        for entry in std::fs::read_dir(&self.dir).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|extension| extension == "log") {
                continue;
            }
            let removed = if path.is_dir() {
                std::fs::remove_dir_all(&path)
            } else {
                std::fs::remove_file(&path)
            };
            removed.expect("its files can be removed");
        }
    }

    /// Starts it again on the same port and directory.
    pub(crate) fn restart(&mut self) {
        self.kill();
        self.spawn();
    }

    /// Runs one command on a connection of its own.
    pub(crate) fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> T {
        let client = redis::Client::open(self.url()).unwrap();
        let mut connection = client.get_connection().expect("the test connects to Redis");
        command.query(&mut connection).expect("Redis answers")
    }

    /// How many connections subscribe to `topic`'s channel (one per process).
    pub(crate) fn channel_subscribers(&self, topic: &str) -> i64 {
        let (_, count): (String, i64) = self.query(
            redis::cmd("PUBSUB")
                .arg("NUMSUB")
                .arg(format!("rpc:topic:{topic}")),
        );
        count
    }

    /// Waits until `count` processes subscribe to `topic`'s channel.
    pub(crate) fn wait_for_channel_subscribers(&self, topic: &str, count: i64) {
        let deadline = Instant::now() + WAIT;
        while self.channel_subscribers(topic) != count {
            assert!(
                Instant::now() < deadline,
                "{} processes subscribe to `{topic}`, not {count}",
                self.channel_subscribers(topic)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A server process running the `redis_node` example on a free port.
pub(crate) struct Node {
    child: Child,
    /// Held open: the node stops when it closes.
    _stdin: ChildStdin,
    log: PathBuf,
    pub(crate) url: String,
}

impl Node {
    pub(crate) fn start(redis: &Redis, name: &str) -> Self {
        let log = redis.dir.join(format!("{name}.log"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_redis_node"))
            .args([
                "--redis",
                &redis.url(),
                "--listen",
                "127.0.0.1:0",
                "--name",
                name,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&log).expect("a log file"))
            .spawn()
            .expect("the node starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx.recv_timeout(WAIT).unwrap_or_default();
        let addr = line.trim().strip_prefix("LISTENING ").unwrap_or_else(|| {
            panic!(
                "node {name} did not start: {line:?}; its log: {}",
                std::fs::read_to_string(&log).unwrap_or_default()
            )
        });
        Self {
            url: format!("ws://{addr}/"),
            child,
            _stdin: stdin,
            log,
        }
    }

    /// What it logged so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Kills it at once (SIGKILL), as a crash would.
    pub(crate) fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        self.kill();
    }
}

pub(crate) async fn connect(url: &str) -> WsClient {
    within(WsClient::connect(url))
        .await
        .expect("the client connects")
}

/// Calls `method` with `params` and returns its result.
pub(crate) async fn call(client: &WsClient, method: &str, params: impl serde::Serialize) -> Value {
    within(Client::new(client.clone()).request(method, params))
        .await
        .unwrap_or_else(|err| panic!("`{method}` failed: {err}"))
}

/// The node's statistics (`node_stats`), asked through `client`.
pub(crate) async fn stats(client: &WsClient) -> Value {
    call(client, "node_stats", ()).await
}

/// Waits until `ready` holds of the statistics of the node of `client`.
pub(crate) async fn wait_for_stats(client: &WsClient, what: &str, ready: impl Fn(&Value) -> bool) {
    let deadline = Instant::now() + WAIT;
    loop {
        let stats = stats(client).await;
        if ready(&stats) {
            return;
        }
        assert!(Instant::now() < deadline, "{what}: never so; last {stats}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Asserts that no message comes within `wait`.
pub(crate) async fn nothing_within(
    notifications: &mut rpc_core::connection::Notifications,
    wait: Duration,
) {
    if let Ok(Some(message)) = tokio::time::timeout(wait, notifications.next_raw()).await {
        panic!(
            "a message came that should not have: {}",
            String::from_utf8_lossy(&message)
        );
    }
}

/// The next notification's params.
pub(crate) async fn next(notifications: &mut rpc_core::connection::Notifications) -> Value {
    within(notifications.next::<Value>())
        .await
        .expect("the connection is open")
        .expect("the params decode")
}
