//! `load`: connections each keeping calls in flight, every answer checked,
//! answers counted over a window (`drive` is one connection of it).

use std::borrow::Cow;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::client::{callgrind_control, cpu_ns, need_files, open_many, own_cpu_ns, Target, Ws};
use crate::BoxError;

/// Length of the `echo4k` string.
const ECHO_LEN: usize = 4096;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Workload {
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

pub(crate) struct LoadRun {
    target: Target,
    workload: Workload,
    connections: usize,
    in_flight: usize,
    seconds: f64,
    pid: Option<u32>,
}

pub(crate) fn parse_load(
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
pub(crate) struct Counts {
    /// Answers in the counted window.
    pub(crate) messages: AtomicU64,
    /// Every answer.
    answered: AtomicU64,
    errors: AtomicU64,
    finished: AtomicUsize,
}

pub(crate) async fn load(run: LoadRun) -> Result<(), BoxError> {
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
pub(crate) async fn drive(
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
