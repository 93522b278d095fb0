//! The connection's bounded outgoing queue, made on first use.
//!
//! Most connections of a busy server sit idle, and a queue costs about
//! 1.5 KB before its first message (Tokio allocates a block of slots up
//! front). So the queue is made when something first goes through it (a
//! call to the peer, a topic message, the answer of a call that waited),
//! and the connection's loop, woken for it, takes the receiving end.
//! Answers of synchronous calls never use it: the loop writes them itself.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use bytes::Bytes;
use tokio::sync::mpsc;

use super::dormant::Flag;

pub(super) struct Outbox {
    capacity: usize,
    sender: OnceLock<mpsc::Sender<Bytes>>,
    /// The receiving end, from when the queue is made until the loop takes it.
    parked: Mutex<Option<mpsc::Receiver<Bytes>>>,
    /// Whether `parked` holds a receiver: what the loop checks each turn.
    is_parked: AtomicBool,
    /// Set once the connection has ended: no queue is made after that.
    ended: AtomicBool,
}

impl Outbox {
    pub(super) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            sender: OnceLock::new(),
            parked: Mutex::new(None),
            is_parked: AtomicBool::new(false),
            ended: AtomicBool::new(false),
        }
    }

    /// The sending end, making the queue (and waking the loop to take its
    /// other end) on first use; `None` once the connection has ended.
    pub(super) fn sender(&self, wake_loop: &Flag) -> Option<&mpsc::Sender<Bytes>> {
        if let Some(sender) = self.sender.get() {
            return Some(sender);
        }
        let mut parked = self.parked();
        if self.ended.load(Ordering::Acquire) {
            return None;
        }
        // Made under the lock, so two first uses make one queue.
        let sender = self.sender.get_or_init(|| {
            let (sender, receiver) = mpsc::channel(self.capacity);
            *parked = Some(receiver);
            self.is_parked.store(true, Ordering::Release);
            sender
        });
        drop(parked);
        wake_loop.raise();
        Some(sender)
    }

    /// The receiving end, once, for the loop; cheap when there is none.
    pub(super) fn take_receiver(&self) -> Option<mpsc::Receiver<Bytes>> {
        if !self.is_parked.load(Ordering::Acquire) {
            return None;
        }
        self.is_parked.store(false, Ordering::Relaxed);
        self.parked().take()
    }

    /// Whether a receiver waits for the loop to take it.
    pub(super) fn has_receiver(&self) -> bool {
        self.is_parked.load(Ordering::Acquire)
    }

    /// The connection has ended: no queue is made from now on, and one
    /// nobody took is dropped (its senders see it closed).
    pub(super) fn end(&self) {
        let mut parked = self.parked();
        self.ended.store(true, Ordering::Release);
        self.is_parked.store(false, Ordering::Relaxed);
        parked.take();
    }

    fn parked(&self) -> std::sync::MutexGuard<'_, Option<mpsc::Receiver<Bytes>>> {
        self.parked.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::{Flag, Outbox};

    #[test]
    fn the_queue_is_made_on_first_use_and_not_after_the_end() {
        let flag = Arc::new(Flag::default());
        let outbox = Outbox::new(2);
        assert!(!outbox.has_receiver(), "no queue before it is used");
        let sender = outbox.sender(&flag).expect("made on first use");
        sender.try_send(Bytes::from_static(b"1")).unwrap();
        assert!(flag.is_raised(), "the loop is woken to take the receiver");
        let mut receiver = outbox.take_receiver().expect("parked for the loop");
        assert!(outbox.take_receiver().is_none(), "taken once");
        assert_eq!(receiver.try_recv().unwrap(), Bytes::from_static(b"1"));

        let late = Outbox::new(2);
        late.end();
        assert!(late.sender(&flag).is_none(), "no queue after the end");

        let untaken = Outbox::new(2);
        let sender = untaken.sender(&flag).unwrap().clone();
        untaken.end();
        assert!(
            sender.is_closed(),
            "a queue nobody took is dropped at the end"
        );
    }
}
