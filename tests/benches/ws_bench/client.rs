//! The generator's side: a raw WebSocket client (`Ws`, the same for every
//! server), where it connects (`Target`), and what the runs share: opening
//! many sockets, the open files limit, CPU times, callgrind's window.

use std::io;

use bytes::{Buf, BytesMut};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::{current_thread, BoxError};

/// Connections opened at once by the generator.
const OPEN_CONCURRENCY: usize = 64;

pub(crate) fn generate(
    run: impl std::future::Future<Output = Result<(), BoxError>>,
) -> Result<(), BoxError> {
    current_thread()?.block_on(run)
}

/// Where the server is: `ws://host:port/path`.
#[derive(Clone, Debug)]
pub(crate) struct Target {
    authority: String,
    path: String,
}

impl Target {
    pub(crate) fn parse(url: &str) -> Result<Self, BoxError> {
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
pub(crate) struct Ws {
    stream: TcpStream,
    read: BytesMut,
    write: Vec<u8>,
    /// A fragmented message being joined.
    partial: Option<Vec<u8>>,
}

impl Ws {
    /// Connects and upgrades.
    pub(crate) async fn open(target: &Target, zero_linger: bool) -> Result<Self, BoxError> {
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
    pub(crate) fn push_frame(&mut self, opcode: u8, payload: &[u8]) {
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
    pub(crate) async fn flush(&mut self) -> io::Result<()> {
        if !self.write.is_empty() {
            self.stream.write_all(&self.write).await?;
            self.write.clear();
        }
        Ok(())
    }

    /// Reads what the socket has (at least one byte).
    pub(crate) async fn fill(&mut self) -> io::Result<()> {
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
    pub(crate) fn next_message(&mut self) -> Result<Option<BytesMut>, String> {
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
    pub(crate) async fn message(&mut self) -> Result<BytesMut, BoxError> {
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

pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
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
pub(crate) fn need_files(sockets: usize) -> Result<(), BoxError> {
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
pub(crate) fn cpu_ns(pid: u32) -> io::Result<u64> {
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

pub(crate) fn own_cpu_ns() -> u64 {
    cpu_ns(std::process::id()).unwrap_or(0)
}

/// With `WS_BENCH_CALLGRIND` in the environment, runs `callgrind_control
/// <action> <pid>` on the server (`-z` to zero its counters, `-d` to dump
/// them) at the edges of the measured window; whether it did.
pub(crate) fn callgrind_control(pid: Option<u32>, action: &str) -> Result<bool, BoxError> {
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
pub(crate) async fn open_many<F, Fut>(
    target: &Target,
    count: usize,
    ready: F,
) -> Result<Vec<Ws>, BoxError>
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
