//! `floor`: the hand-written server (hyper for the upgrade, fastwebsockets
//! after it): its subscribers, its `WriteBuffer`, the loop of each
//! connection. What a message asks is answered by [`dispatch`].

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use fastwebsockets::upgrade::{is_upgrade_request, upgrade};
use fastwebsockets::{
    FragmentCollectorRead, Frame, OpCode, Payload, WebSocket, WebSocketError, WebSocketWrite,
};
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::upgrade::Upgraded;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncWrite, ReadHalf, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use crate::BoxError;

mod dispatch;

/// Capacity of a floor connection's topic queue (rpc-core's outgoing queue holds as many).
const FLOOR_QUEUE: usize = 1024;

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
pub(super) async fn floor_server(port: u16) -> Result<(), BoxError> {
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
                        dispatch::handle(&frame.payload, conn);
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
