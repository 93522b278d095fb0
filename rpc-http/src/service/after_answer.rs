//! The queue of notifications an HTTP/1 connection of the server runs after
//! its answers.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};

use super::parked::Parked;

/// Notification-only messages of synchronous methods that an HTTP/1
/// connection of the [`Server`](crate::Server) runs itself, after the poll
/// of the connection that produced their answer (hyper has then normally
/// written it): no task to spawn, and the client does not wait for them.
/// They run in the order they arrived. Requests pipelined behind one may be
/// answered in the same poll, before it runs.
///
/// The server makes one per connection and hands it to the service with
/// each HTTP/1 request; HTTP/2 requests, answered in tasks of their own,
/// and requests from an embedding app come without one and use the
/// background pool instead.
#[derive(Default)]
pub(crate) struct AfterAnswer {
    queued: AtomicBool,
    jobs: Mutex<VecDeque<Parked>>,
}

impl AfterAnswer {
    #[inline]
    pub(super) fn push(&self, parked: Parked) {
        self.jobs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(parked);
        self.queued.store(true, Ordering::Release);
    }

    /// Runs the queued notifications, in order.
    pub(crate) fn run(&self) {
        // Runs after every poll of the connection: a plain load when there is nothing.
        if !self.queued.load(Ordering::Acquire) || !self.queued.swap(false, Ordering::AcqRel) {
            return;
        }
        loop {
            let (next, more) = {
                let mut jobs = self.jobs.lock().unwrap_or_else(PoisonError::into_inner);
                (jobs.pop_front(), !jobs.is_empty())
            };
            let Some(parked) = next else {
                return;
            };
            parked.run();
            if !more {
                return;
            }
        }
    }
}
