//! Connection and call statistics, readable from Rust and servable as an RPC method.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::{Duration, Instant};

use rpc_core::{Context, ErrorCode, Method, Observer, Params, Router};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Live statistics of a server: connections, requests in flight, and per
/// method the number of calls, errors and latency (min, max, mean, p50, p99).
///
/// Cheap to clone (shared). Give it to [`Server::stats`](crate::Server::stats)
/// or [`RpcServiceBuilder::stats`](crate::RpcServiceBuilder::stats); read it
/// with [`snapshot`](Self::snapshot), or serve it with one line:
///
/// ```
/// use rpc_core::Router;
/// use rpc_http::Stats;
///
/// let stats = Stats::new();
/// let mut router = Router::new();
/// router.add("server.stats", stats.method()).unwrap();
/// ```
///
/// Recording takes no lock: counters are atomics in a table built when a
/// router is mounted. Latency percentiles come from a log-scale histogram
/// (four buckets per power of two), so they are exact to within 19%.
#[derive(Clone)]
pub struct Stats {
    inner: Arc<Inner>,
}

impl Default for Stats {
    /// The same as [`Stats::new`]: the uptime clock starts now.
    fn default() -> Self {
        Self::new()
    }
}

#[derive(Default)]
struct Inner {
    started: Option<Instant>,
    connections_total: AtomicU64,
    connections_active: AtomicU64,
    /// Per-second accept counts: `(second << 32) | count`, indexed by second modulo the length.
    connection_seconds: [AtomicU64; RATE_WINDOW],
    requests_total: AtomicU64,
    requests_in_flight: AtomicU64,
    websockets_total: AtomicU64,
    websockets_active: AtomicU64,
    /// Every method seen; locked only to mount a router or take a snapshot.
    methods: RwLock<HashMap<Box<str>, Arc<MethodStats>>>,
    /// The observers these statistics gave routers, to know them again.
    recorders: Mutex<Vec<Weak<Recorder>>>,
}

/// How many seconds the connection rate is averaged over.
const RATE_WINDOW: usize = 10;

/// Latency histogram: bucket `4 * log2(ns) + next two bits`, up to 2^48 ns (3 days).
const BUCKETS: usize = 4 * 48;

struct MethodStats {
    name: Box<str>,
    calls: AtomicU64,
    errors: AtomicU64,
    total_ns: AtomicU64,
    min_ns: AtomicU64,
    max_ns: AtomicU64,
    histogram: Box<[AtomicU64]>,
}

impl MethodStats {
    fn new(name: &str) -> Self {
        Self {
            name: name.into(),
            calls: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            total_ns: AtomicU64::new(0),
            min_ns: AtomicU64::new(u64::MAX),
            max_ns: AtomicU64::new(0),
            histogram: (0..BUCKETS).map(|_| AtomicU64::new(0)).collect(),
        }
    }

    fn record(&self, elapsed: Duration, error: bool) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        self.calls.fetch_add(1, Ordering::Relaxed);
        if error {
            self.errors.fetch_add(1, Ordering::Relaxed);
        }
        self.total_ns.fetch_add(ns, Ordering::Relaxed);
        self.min_ns.fetch_min(ns, Ordering::Relaxed);
        self.max_ns.fetch_max(ns, Ordering::Relaxed);
        self.histogram[bucket(ns)].fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> MethodSnapshot {
        let calls = self.calls.load(Ordering::Relaxed);
        let counts: Vec<u64> = self
            .histogram
            .iter()
            .map(|count| count.load(Ordering::Relaxed))
            .collect();
        let percentile = |p: f64| {
            let total: u64 = counts.iter().sum();
            if total == 0 {
                return Duration::ZERO;
            }
            let rank = ((total as f64) * p).ceil().max(1.0) as u64;
            let mut seen = 0;
            for (index, count) in counts.iter().enumerate() {
                seen += count;
                if seen >= rank {
                    return Duration::from_nanos(bucket_upper(index));
                }
            }
            Duration::from_nanos(bucket_upper(BUCKETS - 1))
        };
        let min = self.min_ns.load(Ordering::Relaxed);
        let max = self.max_ns.load(Ordering::Relaxed);
        MethodSnapshot {
            name: self.name.to_string(),
            calls,
            errors: self.errors.load(Ordering::Relaxed),
            // A call counted but not yet timed leaves `min` at its start value.
            min: Duration::from_nanos(if calls == 0 || min == u64::MAX {
                0
            } else {
                min
            }),
            max: Duration::from_nanos(max),
            mean: Duration::from_nanos(
                self.total_ns
                    .load(Ordering::Relaxed)
                    .checked_div(calls)
                    .unwrap_or(0),
            ),
            p50: percentile(0.50),
            p99: percentile(0.99),
        }
    }
}

fn bucket(ns: u64) -> usize {
    let ns = ns.max(1);
    let log = 63 - ns.leading_zeros() as usize;
    let sub = if log >= 2 {
        ((ns >> (log - 2)) & 0b11) as usize
    } else {
        0
    };
    (log * 4 + sub).min(BUCKETS - 1)
}

/// The largest value a bucket holds.
fn bucket_upper(index: usize) -> u64 {
    let (log, sub) = (index / 4, (index % 4) as u64);
    if log < 2 {
        return (1u64 << (log + 1)) - 1;
    }
    let base = 1u64 << log;
    let step = base / 4;
    base + step * (sub + 1) - 1
}

/// One method's figures, as read by [`Stats::snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MethodSnapshot {
    /// The name it was called by.
    pub name: String,
    /// Calls that reached the method (notifications included).
    pub calls: u64,
    /// Calls answered with an error (a panic counts, as `-32603`).
    pub errors: u64,
    /// Fastest call.
    pub min: Duration,
    /// Slowest call.
    pub max: Duration,
    /// Mean time per call.
    pub mean: Duration,
    /// Median time, to within 19%.
    pub p50: Duration,
    /// 99th percentile time, to within 19%.
    pub p99: Duration,
}

/// A reading of every figure, from [`Stats::snapshot`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Snapshot {
    /// Time since the statistics were created.
    pub uptime: Duration,
    /// Connections accepted since start.
    pub connections_total: u64,
    /// Connections open now.
    pub connections_active: u64,
    /// Connections accepted per second, averaged over the last ten seconds.
    pub connections_per_second: f64,
    /// Messages received since start.
    pub requests_total: u64,
    /// Messages being handled now (background notifications included).
    pub requests_in_flight: u64,
    /// WebSocket connections opened since start.
    pub websockets_total: u64,
    /// WebSocket connections open now.
    pub websockets_active: u64,
    /// Per method, sorted by name.
    pub methods: Vec<MethodSnapshot>,
}

impl Snapshot {
    /// The snapshot as JSON (durations in microseconds).
    pub fn to_json(&self) -> Value {
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        json!({
            "uptime_seconds": self.uptime.as_secs_f64(),
            "connections": {
                "total": self.connections_total,
                "active": self.connections_active,
                "per_second": self.connections_per_second,
            },
            "requests": {
                "total": self.requests_total,
                "in_flight": self.requests_in_flight,
            },
            "websockets": {
                "total": self.websockets_total,
                "active": self.websockets_active,
            },
            "methods": self.methods.iter().map(|m| json!({
                "name": m.name,
                "calls": m.calls,
                "errors": m.errors,
                "latency_us": {
                    "min": micros(m.min),
                    "max": micros(m.max),
                    "mean": micros(m.mean),
                    "p50": micros(m.p50),
                    "p99": micros(m.p99),
                },
            })).collect::<Vec<_>>(),
        })
    }
}

impl std::fmt::Debug for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stats")
            .field("snapshot", &self.snapshot())
            .finish()
    }
}

/// Marks one message in flight until dropped.
pub(crate) struct InFlight(Stats);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0
            .inner
            .requests_in_flight
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// Marks one WebSocket connection open until dropped.
pub(crate) struct OpenWebSocket(Stats);

impl Drop for OpenWebSocket {
    fn drop(&mut self) {
        self.0
            .inner
            .websockets_active
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// Marks one connection open until dropped.
pub(crate) struct OpenConnection(Stats);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0
            .inner
            .connections_active
            .fetch_sub(1, Ordering::Relaxed);
    }
}

impl Stats {
    /// Empty statistics; the uptime clock starts now.
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                started: Some(Instant::now()),
                ..Inner::default()
            }),
        }
    }

    fn started(&self) -> Instant {
        self.inner.started.unwrap_or_else(Instant::now)
    }

    /// Starts recording the calls of `router` (done for you when the router is
    /// mounted by a server or service built with these statistics).
    pub fn watch(&self, router: &mut Router) {
        let mut methods = self
            .inner
            .methods
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // The router's own table is fixed from here on, so recording needs no lock.
        let table: HashMap<Box<str>, Arc<MethodStats>> = router
            .method_names()
            .into_iter()
            .map(|name| {
                let stats = methods
                    .entry(name.into())
                    .or_insert_with(|| Arc::new(MethodStats::new(name)));
                (name.into(), Arc::clone(stats))
            })
            .collect();
        drop(methods);
        // An observer the router already had keeps seeing every call; one
        // of these same statistics is replaced instead (calls would count twice).
        let previous = match router.observer() {
            Some(observer) => match self.own_recorder(observer) {
                Some(own) => own.previous.clone(),
                None => Some(Arc::clone(observer)),
            },
            None => None,
        };
        let recorder = Arc::new(Recorder { table, previous });
        let mut recorders = self
            .inner
            .recorders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        recorders.retain(|recorder| recorder.strong_count() > 0);
        recorders.push(Arc::downgrade(&recorder));
        drop(recorders);
        router.set_observer(recorder);
    }

    /// `observer`, if it is a recorder of these statistics.
    fn own_recorder(&self, observer: &Arc<dyn Observer>) -> Option<Arc<Recorder>> {
        let address = Arc::as_ptr(observer).cast::<()>();
        self.inner
            .recorders
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .filter_map(Weak::upgrade)
            .find(|own| Arc::as_ptr(own).cast::<()>() == address)
    }

    pub(crate) fn request_started(&self) -> InFlight {
        self.inner.requests_total.fetch_add(1, Ordering::Relaxed);
        self.inner
            .requests_in_flight
            .fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    #[cfg_attr(not(feature = "ws"), allow(dead_code, reason = "used by WebSocket"))]
    pub(crate) fn websocket_opened(&self) -> OpenWebSocket {
        self.inner.websockets_total.fetch_add(1, Ordering::Relaxed);
        self.inner.websockets_active.fetch_add(1, Ordering::Relaxed);
        OpenWebSocket(self.clone())
    }

    pub(crate) fn connection_opened(&self) -> OpenConnection {
        self.inner.connections_total.fetch_add(1, Ordering::Relaxed);
        self.inner
            .connections_active
            .fetch_add(1, Ordering::Relaxed);
        let second = self.started().elapsed().as_secs();
        let slot = &self.inner.connection_seconds[(second % RATE_WINDOW as u64) as usize];
        let mut current = slot.load(Ordering::Relaxed);
        loop {
            let next = if current >> 32 == second {
                current + 1
            } else {
                (second << 32) | 1
            };
            match slot.compare_exchange_weak(current, next, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => break,
                Err(actual) => current = actual,
            }
        }
        OpenConnection(self.clone())
    }

    /// Reads every figure now.
    pub fn snapshot(&self) -> Snapshot {
        let uptime = self.started().elapsed();
        let now = uptime.as_secs();
        let recent: u64 = self
            .inner
            .connection_seconds
            .iter()
            .map(|slot| slot.load(Ordering::Relaxed))
            .filter(|packed| {
                let second = packed >> 32;
                second <= now && now - second < RATE_WINDOW as u64
            })
            .map(|packed| packed & 0xFFFF_FFFF)
            .sum();
        let window = uptime.as_secs_f64().clamp(1.0, RATE_WINDOW as f64);
        let mut methods: Vec<MethodSnapshot> = self
            .inner
            .methods
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .values()
            .map(|method| method.snapshot())
            .collect();
        methods.sort_by(|a, b| a.name.cmp(&b.name));
        Snapshot {
            uptime,
            connections_total: self.inner.connections_total.load(Ordering::Relaxed),
            connections_active: self.inner.connections_active.load(Ordering::Relaxed),
            connections_per_second: recent as f64 / window,
            requests_total: self.inner.requests_total.load(Ordering::Relaxed),
            requests_in_flight: self.inner.requests_in_flight.load(Ordering::Relaxed),
            websockets_total: self.inner.websockets_total.load(Ordering::Relaxed),
            websockets_active: self.inner.websockets_active.load(Ordering::Relaxed),
            methods,
        }
    }

    /// A method that answers with [`snapshot`](Self::snapshot) as JSON; add it
    /// to a router under the name of your choice.
    pub fn method(&self) -> Method {
        let stats = self.clone();
        Method::sync(move |_: Params<'_>, _: &Context| {
            Ok::<_, rpc_core::Error>(stats.snapshot().to_json())
        })
        .ignores_context()
    }
}

/// A router's observer: records each call into its method's counters.
struct Recorder {
    table: HashMap<Box<str>, Arc<MethodStats>>,
    previous: Option<Arc<dyn Observer>>,
}

impl Observer for Recorder {
    fn on_call(&self, method: &str, elapsed: Duration, error: Option<ErrorCode>) {
        if let Some(stats) = self.table.get(method) {
            stats.record(elapsed, error.is_some());
        }
        if let Some(previous) = &self.previous {
            previous.on_call(method, elapsed, error);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_bound_their_values() {
        for ns in [1u64, 2, 3, 4, 5, 7, 8, 100, 1_000, 123_456, 10_000_000_000] {
            let index = bucket(ns);
            assert!(bucket_upper(index) >= ns, "{ns} above its bucket");
            if index > 0 {
                assert!(bucket_upper(index - 1) < ns, "{ns} belongs lower");
            }
            assert!((bucket_upper(index) as f64) <= (ns as f64) * 1.25 + 1.0);
        }
    }

    #[test]
    fn records_calls_errors_and_latency() {
        let stats = Stats::new();
        let mut router = Router::new();
        router.add("a", stats.method()).unwrap();
        stats.watch(&mut router);
        let table = stats.inner.methods.read().unwrap().clone();
        let recorder = Recorder {
            table,
            previous: None,
        };
        recorder.on_call("a", Duration::from_micros(10), None);
        recorder.on_call(
            "a",
            Duration::from_micros(30),
            Some(ErrorCode::INTERNAL_ERROR),
        );
        recorder.on_call("unknown", Duration::from_micros(1), None);
        let snapshot = stats.snapshot();
        let a = &snapshot.methods[0];
        assert_eq!((a.calls, a.errors), (2, 1));
        assert_eq!(a.min, Duration::from_micros(10));
        assert_eq!(a.max, Duration::from_micros(30));
        assert_eq!(a.mean, Duration::from_micros(20));
        assert!(a.p99 >= Duration::from_micros(30) && a.p99 < Duration::from_micros(36));
        assert!(a.p50 >= Duration::from_micros(10) && a.p50 < Duration::from_micros(12));
        let json = snapshot.to_json();
        assert_eq!(json["methods"][0]["calls"], 2);
    }

    #[test]
    fn an_observer_the_router_had_keeps_seeing_calls() {
        struct Counter(AtomicU64);
        impl Observer for Counter {
            fn on_call(&self, _: &str, _: Duration, _: Option<ErrorCode>) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        let stats = Stats::new();
        let counter = Arc::new(Counter(AtomicU64::new(0)));
        let mut router = Router::new();
        router.add("a", stats.method()).unwrap();
        router.set_observer(counter.clone());
        // Watched again by the same statistics: replaced, not counted twice.
        for calls in [1, 2] {
            stats.watch(&mut router);
            router
                .observer()
                .expect("watched")
                .on_call("a", Duration::from_micros(5), None);
            assert_eq!(counter.0.load(Ordering::Relaxed), calls);
            assert_eq!(stats.snapshot().methods[0].calls, calls);
        }
    }

    #[test]
    fn a_call_counted_but_not_yet_timed_reads_as_no_minimum() {
        let stats = MethodStats::new("a");
        stats.calls.fetch_add(1, Ordering::Relaxed);
        assert_eq!(stats.snapshot().min, Duration::ZERO);
    }

    #[test]
    fn connections_and_requests() {
        let stats = Stats::new();
        let first = stats.connection_opened();
        let _second = stats.connection_opened();
        drop(first);
        let request = stats.request_started();
        let snapshot = stats.snapshot();
        assert_eq!(
            (snapshot.connections_total, snapshot.connections_active),
            (2, 1)
        );
        assert!(snapshot.connections_per_second >= 2.0);
        assert_eq!(
            (snapshot.requests_total, snapshot.requests_in_flight),
            (1, 1)
        );
        drop(request);
        assert_eq!(stats.snapshot().requests_in_flight, 0);
    }
}
