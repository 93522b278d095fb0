//! What a connection's idle watchdog reads (requests started and finished,
//! writes made), and how its watchdog and shutdown signal wake it.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Poll, Wake, Waker};

use tokio::io::{AsyncRead, AsyncWrite};

use crate::service::AfterAnswer;

/// Requests started and finished, and writes made, on one connection: what
/// its idle watchdog reads; and the waker of its watchdog and shutdown
/// signal. One allocation, read on every poll of the connection.
#[derive(Default)]
pub(super) struct Activity {
    started: AtomicU64,
    finished: AtomicU64,
    /// Writes that moved bytes, on HTTP/1: an answer still going out to a
    /// slow reader (its request counts as finished once its head is ready)
    /// is progress. Reads are not counted: a client dribbling a request head
    /// is not. Nor are HTTP/2's writes: a client's pings would keep an idle
    /// connection open; there an answer's request stays in flight until
    /// about two slices of its body are left to send (see [`InFlightBody`]).
    writes: AtomicU64,
    /// Set by the first HTTP/1 request.
    pub(super) http1: AtomicBool,
    /// The notifications that HTTP/1 answers leave to run after them.
    pub(super) after_answer: Arc<AfterAnswer>,
    /// Set when the watchdog or the shutdown signal woke the connection's
    /// task (see [`Activity::take_woken`]).
    woken: AtomicBool,
    /// The connection task's waker; kept (not taken) by a wake, so that it is
    /// registered once rather than on every poll.
    task: Mutex<Option<Waker>>,
}

/// The watchdog's and the shutdown signal's waker: wakes the connection's
/// task and remembers that it did.
impl Wake for Activity {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        if let Some(task) = &*self.task.lock().unwrap_or_else(PoisonError::into_inner) {
            task.wake_by_ref();
        }
    }
}

impl Activity {
    /// A connection's activity, with its watchdog due a first look.
    pub(super) fn new() -> Self {
        Self {
            woken: AtomicBool::new(true),
            ..Self::default()
        }
    }

    /// Makes `waker` the one the watchdog and shutdown signal wake.
    pub(super) fn register(&self, waker: &Waker) {
        *self.task.lock().unwrap_or_else(PoisonError::into_inner) = Some(waker.clone());
    }

    /// Whether the watchdog or the shutdown signal woke the task since the
    /// last call.
    #[inline]
    pub(super) fn take_woken(&self) -> bool {
        // A plain load first: the swap's locked write only when woken.
        self.woken.load(Ordering::Acquire) && self.woken.swap(false, Ordering::AcqRel)
    }

    /// Counts a request as started. Requests start only in the connection's
    /// own task: a plain store, not a locked add.
    pub(super) fn start(&self) {
        let started = self.started.load(Ordering::Relaxed);
        self.started
            .store(started.wrapping_add(1), Ordering::Release);
    }

    /// Whether a request is in flight, and a count that moves with every start, finish and write.
    pub(super) fn snapshot(&self) -> (bool, u64) {
        let finished = self.finished.load(Ordering::Acquire);
        let started = self.started.load(Ordering::Acquire);
        let writes = self.writes.load(Ordering::Relaxed);
        (
            started != finished,
            started.wrapping_add(finished).wrapping_add(writes),
        )
    }
}

pin_project_lite::pin_project! {
    /// A connection's stream, counting the writes that move bytes.
    pub(super) struct CountingWrites<I> {
        #[pin]
        io: I,
        activity: Arc<Activity>,
    }
}

impl<I> CountingWrites<I> {
    pub(super) fn new(io: I, activity: Arc<Activity>) -> Self {
        Self { io, activity }
    }
}

impl<I: AsyncRead> AsyncRead for CountingWrites<I> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.project().io.poll_read(cx, buf)
    }
}

impl<I: AsyncWrite> CountingWrites<I> {
    fn count(activity: &Activity, written: &Poll<std::io::Result<usize>>) {
        if matches!(written, Poll::Ready(Ok(n)) if *n > 0) && activity.http1.load(Ordering::Relaxed)
        {
            // Only the connection's own task writes: a plain store, not a locked add.
            let writes = activity.writes.load(Ordering::Relaxed);
            activity
                .writes
                .store(writes.wrapping_add(1), Ordering::Relaxed);
        }
    }
}

impl<I: AsyncWrite> AsyncWrite for CountingWrites<I> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.project();
        let written = this.io.poll_write(cx, buf);
        Self::count(this.activity, &written);
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.project();
        let written = this.io.poll_write_vectored(cx, bufs);
        Self::count(this.activity, &written);
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }
}

/// Counts a request as finished when its answer is ready, or when it is dropped unanswered.
pub(super) struct InFlightRequest(pub(super) Arc<Activity>);

impl Drop for InFlightRequest {
    fn drop(&mut self) {
        self.0.finished.fetch_add(1, Ordering::Release);
    }
}
