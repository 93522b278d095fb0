//! Parking: a notification parsed once, held with its bytes just before it
//! runs.
//!
//! A notification-only message of synchronous methods that reaches an
//! HTTP/1 connection of the [`Server`](crate::Server) is answered first (an
//! empty `200`) and run after the connection has written that answer (see
//! `after_answer.rs`). It has to be parsed before it is answered (only a
//! message of notifications gets the empty answer, and only one whose
//! methods all run at once may wait for its connection to run it), and its
//! parse borrows from its bytes, so the two must travel together to the
//! queue. An `async` block is how Rust builds such a self-borrowing value:
//! the block below parses, and stops at [`ParkOnce`] when the message is one
//! to park. [`park`] polls it that first time, with a waker that does
//! nothing (nothing will wake it: the queue polls it once more to run it,
//! and that poll finishes it). Parsing again after the answer would be the
//! plainer way; it costs a second parse of every such notification.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use rpc_core::{Call, Context};

use super::message::Message;

/// A notification-only message, parsed, held just before its methods run.
pub(super) struct Parked(Pin<Box<dyn Future<Output = Option<GivenBack>> + Send>>);

/// A message that is not one to park, handed back untouched.
pub(super) struct GivenBack {
    pub(super) message: Message,
    /// Whether it is notification-only (then it waits, and belongs to the
    /// background pool); otherwise it has something to answer.
    pub(super) notification_only: bool,
}

/// Parses `message` and parks it if it is notification-only and runs at
/// once; otherwise gives it back.
#[allow(
    clippy::result_large_err,
    reason = "handed back by value once per message; a box would cost an allocation"
)]
pub(super) fn park(message: Message) -> Result<Parked, GivenBack> {
    let mut future = Box::pin(async move {
        let notification_only = {
            let call = message.router().parse(&message.bytes);
            let notification_only = call.is_notification_only();
            if notification_only && call.is_immediate() {
                ParkOnce::default().await;
                if let Some(rest) = run_immediate(call, message.ctx.get()) {
                    rest.await;
                }
                return None;
            }
            notification_only
        };
        Some(GivenBack {
            message,
            notification_only,
        })
    });
    match poll_once(future.as_mut()) {
        Poll::Pending => Ok(Parked(future)),
        Poll::Ready(given_back) => Err(given_back.expect("a message runs only once parked")),
    }
}

impl Parked {
    /// Runs the message's methods, in one poll. Should that poll not finish
    /// them (only messages that run at once are parked: it cannot happen),
    /// they still run, in a task, rather than being lost.
    pub(super) fn run(mut self) {
        if poll_once(self.0.as_mut()).is_pending() {
            tracing::error!("a parked notification had to wait; running it in a task");
            tokio::spawn(async move {
                self.0.await;
            });
        }
    }
}

/// One poll, with a waker that does nothing.
fn poll_once<F: Future + ?Sized>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut TaskContext::from_waker(Waker::noop()))
}

/// A future that is pending once (without asking to be woken), then ready.
#[derive(Default)]
struct ParkOnce {
    parked: bool,
}

impl Future for ParkOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, _: &mut TaskContext<'_>) -> Poll<()> {
        if std::mem::replace(&mut self.parked, true) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Runs a message known to run at once. Should it not, the future that runs
/// it, boxed so that the parked future stays small.
#[inline]
fn run_immediate<'c>(call: Call<'c, 'c>, ctx: &'c Context) -> Option<BoxFuture<'c>> {
    let call = call.run_now(ctx).err()?;
    Some(Box::pin(async move {
        call.run(ctx).await;
    }))
}

/// A boxed future with nothing to give back.
type BoxFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use bytes::Bytes;
    use rpc_core::{Error, Method, Params, Router};

    use super::*;
    use crate::config::HttpConfig;
    use crate::handoff::Meta;
    use crate::service::context::MessageContext;
    use crate::service::shared::Shared;

    /// A message to a router whose `tick` (synchronous) and `later`
    /// (asynchronous) methods count their calls.
    fn message(body: &'static str, calls: &Arc<AtomicUsize>) -> Message {
        let mut router = Router::new();
        let sync_calls = Arc::clone(calls);
        router
            .method("tick", move |_: Params<'_>, _: &rpc_core::Context| {
                sync_calls.fetch_add(1, Ordering::SeqCst);
                Ok::<_, Error>(())
            })
            .unwrap();
        let async_calls = Arc::clone(calls);
        router
            .add(
                "later",
                Method::asynchronous(move |_: Params<'_>, _: &rpc_core::Context| {
                    async_calls.fetch_add(1, Ordering::SeqCst);
                    Box::pin(async { Ok::<_, Error>(()) })
                }),
            )
            .unwrap();
        let shared = Arc::new(Shared::new(
            vec![(String::new(), router)],
            true,
            HttpConfig::default(),
            None,
            None,
        ));
        let (mut parts, ()) = http::Request::new(()).into_parts();
        let ctx = MessageContext::new(true, &mut parts, Meta::default(), None);
        Message::new(shared, 0, Bytes::from_static(body.as_bytes()), ctx)
    }

    #[test]
    fn a_notification_of_synchronous_methods_is_parked_and_runs_when_asked() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batch = r#"[{"jsonrpc":"2.0","method":"tick"},{"jsonrpc":"2.0","method":"tick"}]"#;
        for body in [r#"{"jsonrpc":"2.0","method":"tick"}"#, batch] {
            calls.store(0, Ordering::SeqCst);
            let Ok(parked) = park(message(body, &calls)) else {
                panic!("{body}: not parked");
            };
            assert_eq!(
                calls.load(Ordering::SeqCst),
                0,
                "{body}: ran before it was asked to"
            );
            parked.run();
            assert!(calls.load(Ordering::SeqCst) > 0, "{body}: did not run");
        }
    }

    #[test]
    fn what_is_not_to_park_is_given_back_unrun() {
        let calls = Arc::new(AtomicUsize::new(0));
        for (body, notification_only) in [
            (r#"{"jsonrpc":"2.0","method":"tick","id":1}"#, false),
            (r#"{"jsonrpc":"2.0","method":"tick""#, false),
            (
                r#"[{"jsonrpc":"2.0","method":"tick"},{"jsonrpc":"2.0","method":"tick","id":2}]"#,
                false,
            ),
            (r#"{"jsonrpc":"2.0","method":"later"}"#, true),
            (
                r#"[{"jsonrpc":"2.0","method":"tick"},{"jsonrpc":"2.0","method":"later"}]"#,
                true,
            ),
        ] {
            let Err(given_back) = park(message(body, &calls)) else {
                panic!("{body}: parked");
            };
            assert_eq!(given_back.notification_only, notification_only, "{body}");
            assert_eq!(given_back.message.bytes, body.as_bytes(), "{body}");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 0, "nothing given back ran");
    }
}
