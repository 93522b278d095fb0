//! The connection's rare events (shutdown, a close asked by its owner, the
//! idle and ping timer), polled only after one of them woke the task.
//!
//! Polling a registered `Notify` or timer again takes a lock to check its
//! waker; the loop turns once or twice per message, and these events come
//! once in seconds. So they get a waker of their own that raises a flag
//! before waking the task, and each turn costs one flag check instead.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use futures_util::task::AtomicWaker;

/// Wakes the loop's task, remembering that it was for a rare event; also
/// raised by hand (a close asked for, the outgoing queue made).
#[derive(Default)]
pub(super) struct Flag {
    raised: AtomicBool,
    task: AtomicWaker,
}

impl Flag {
    /// Wakes the loop to poll its rare events.
    pub(super) fn raise(&self) {
        self.raised.store(true, Ordering::Release);
        self.task.wake();
    }

    /// Wakes `waker`'s task when the flag is raised (for a loop polling
    /// without [`Dormant`]).
    pub(super) fn register(&self, waker: &Waker) {
        self.task.register(waker);
    }

    #[cfg(test)]
    pub(super) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }
}

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.raise();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.raise();
    }
}

/// Polls a group of rare futures only when one of them has woken the task.
pub(super) struct Dormant {
    flag: Arc<Flag>,
    waker: Waker,
}

impl Dormant {
    pub(super) fn new(flag: Arc<Flag>) -> Self {
        // Raised, so that the first turn polls (and registers) every future.
        flag.raised.store(true, Ordering::Relaxed);
        Self {
            waker: Waker::from(Arc::clone(&flag)),
            flag,
        }
    }

    /// Calls `poll` with the group's own context if a rare future woke the
    /// task since the last call; pending otherwise. Once an event is
    /// ready, the next turn polls the group again: another may be ready too.
    pub(super) fn poll<T>(
        &self,
        cx: &mut Context<'_>,
        poll: impl FnOnce(&mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        // Registered before the flag is read: a wake in between is not lost.
        self.flag.task.register(cx.waker());
        if !self.flag.raised.swap(false, Ordering::AcqRel) {
            return Poll::Pending;
        }
        let ready = poll(&mut Context::from_waker(&self.waker));
        if ready.is_ready() {
            self.flag.raised.store(true, Ordering::Release);
        }
        ready
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::future::{poll_fn, Future};
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::Poll;
    use std::time::Duration;

    use tokio::sync::futures::Notified;
    use tokio::sync::Notify;

    use super::Dormant;

    async fn turn(
        dormant: &Dormant,
        notified: &mut Pin<Box<Notified<'_>>>,
        polls: &Cell<u32>,
    ) -> Poll<()> {
        poll_fn(|cx| {
            Poll::Ready(dormant.poll(cx, |inner| {
                polls.set(polls.get() + 1);
                notified.as_mut().poll(inner)
            }))
        })
        .await
    }

    #[tokio::test]
    async fn a_rare_future_is_polled_once_it_wakes_the_task_and_not_before() {
        let dormant = Dormant::new(Arc::default());
        let notify = Arc::new(Notify::new());
        let mut notified = Box::pin(notify.notified());
        let polls = Cell::new(0);
        assert!(turn(&dormant, &mut notified, &polls).await.is_pending());
        assert!(turn(&dormant, &mut notified, &polls).await.is_pending());
        assert_eq!(polls.get(), 1, "not polled again before it woke the task");

        let notifier = Arc::clone(&notify);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            notifier.notify_waiters();
        });
        let woke = tokio::time::timeout(
            Duration::from_secs(5),
            poll_fn(|cx| dormant.poll(cx, |inner| notified.as_mut().poll(inner))),
        )
        .await;
        assert!(
            woke.is_ok(),
            "the wake reached the task and the future was polled"
        );
    }
}
