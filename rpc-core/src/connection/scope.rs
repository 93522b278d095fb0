//! Work a call leaves to run once its answer is on its way: a subscription
//! whose items must not overtake the answer that carries its id.

use std::cell::RefCell;
use std::future::Future;

/// Something to run after a call's answer has been queued.
pub(crate) type AfterAnswer = Box<dyn FnOnce() + Send>;

tokio::task_local! {
    static AFTER_ANSWER: RefCell<Vec<AfterAnswer>>;
}

thread_local! {
    /// The queue of the synchronous call running on this thread: it cannot
    /// yield, so a thread-local is enough, and cheaper than a task-local.
    static AFTER_SYNC_ANSWER: RefCell<Option<Vec<AfterAnswer>>> = const { RefCell::new(None) };
}

/// Runs `f` (a call, in place), collecting what it leaves for after its answer.
pub(crate) fn run_sync<R>(f: impl FnOnce() -> R) -> (R, Vec<AfterAnswer>) {
    /// Ends the scope even if `f` unwinds.
    struct Scope(Option<Vec<AfterAnswer>>);
    impl Drop for Scope {
        fn drop(&mut self) {
            let outer = self.0.take();
            AFTER_SYNC_ANSWER.with(|queue| {
                *queue.borrow_mut() = outer;
            });
        }
    }
    let outer = AFTER_SYNC_ANSWER.with(|queue| queue.borrow_mut().replace(Vec::new()));
    let scope = Scope(outer);
    let result = f();
    let after = AFTER_SYNC_ANSWER.with(|queue| queue.borrow_mut().take().unwrap_or_default());
    drop(scope);
    (result, after)
}

/// Runs `future` (a call that waits), collecting what it leaves for after its answer.
pub(crate) async fn run_async<R>(future: impl Future<Output = R>) -> (R, Vec<AfterAnswer>) {
    AFTER_ANSWER
        .scope(RefCell::new(Vec::new()), async move {
            let result = future.await;
            (result, AFTER_ANSWER.with(RefCell::take))
        })
        .await
}

/// Leaves `f` to run once the answer of the call running now is queued.
/// `Err(f)` when no call of a connection is running here (a transport that
/// carries one answer per request has nothing to run it after).
pub(crate) fn after_answer(f: AfterAnswer) -> Result<(), AfterAnswer> {
    let mut f = Some(f);
    AFTER_SYNC_ANSWER.with(|queue| {
        if let Some(queue) = queue.borrow_mut().as_mut() {
            queue.push(f.take().expect("taken once"));
        }
    });
    let Some(f) = f else {
        return Ok(());
    };
    let mut f = Some(f);
    let queued = AFTER_ANSWER.try_with(|queue| {
        queue.borrow_mut().push(f.take().expect("taken once"));
    });
    match queued {
        Ok(()) => Ok(()),
        Err(_) => Err(f.expect("not taken")),
    }
}

/// Runs what a call left for after its answer.
pub(crate) fn run_all(after: Vec<AfterAnswer>) {
    for f in after {
        f();
    }
}
