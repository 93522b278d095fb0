//! `fanout`: subscribers on one or more servers, one publisher, the time
//! from a publish to its last delivery and the CPU per delivery.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

use crate::client::{
    callgrind_control, cpu_ns, find, need_files, open_many, own_cpu_ns, Target, Ws,
};
use crate::{BoxError, TOPIC};

pub(crate) struct FanoutRun {
    /// Subscribers are spread over these; the publisher uses the first.
    pub(crate) targets: Vec<Target>,
    pub(crate) subscribers: usize,
    pub(crate) rounds: usize,
    pub(crate) pid: Option<u32>,
}

pub(crate) fn parse_fanout(
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

pub(crate) async fn fanout(run: FanoutRun) -> Result<(), BoxError> {
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
