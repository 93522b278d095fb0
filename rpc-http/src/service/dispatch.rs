//! Running a message and building its HTTP answer: at once when nothing has
//! to wait, parked behind its answer, in the background pool, or as a
//! future bounded by a request slot and the request timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use http::{Response, StatusCode};
use rpc_core::{Call, Context};
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;

use super::after_answer::AfterAnswer;
use super::message::Message;
use super::parked::{park, GivenBack};
use super::response::{empty, timed_out, ResponseBody};

/// A message's answer: made at once, or a future to wait for.
pub(super) enum Answer {
    Now(Response<ResponseBody>),
    Later(Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>),
}

impl Message {
    /// Runs the message and builds the HTTP answer: at once when no method
    /// has to be waited for, else as a future. `after_answer` is the queue
    /// of the HTTP/1 server connection it came on, if any.
    pub(super) fn dispatch(self, after_answer: Option<&AfterAnswer>) -> Answer {
        // Without an `"id"` anywhere it is likely a notification: parsed
        // where it is parked to run after the answer, not twice. An id
        // written with escapes only sends a message the long way.
        let message = match after_answer {
            Some(after_answer) if !mentions_id(&self.bytes) => match park(self) {
                Ok(parked) => {
                    after_answer.push(parked);
                    return Answer::Now(empty(StatusCode::OK));
                }
                // Notification-only, but waits: the pool's.
                Err(GivenBack {
                    message,
                    notification_only: true,
                }) => return message.acknowledge(),
                Err(GivenBack { message, .. }) => message,
            },
            _ => self,
        };
        let call = message.router().parse(&message.bytes);
        if call.is_notification_only() {
            let immediate = call.is_immediate();
            drop(call);
            return match after_answer {
                Some(after_answer) if immediate => match park(message) {
                    Ok(parked) => {
                        after_answer.push(parked);
                        Answer::Now(empty(StatusCode::OK))
                    }
                    Err(given_back) => given_back.message.acknowledge(),
                },
                _ => message.acknowledge(),
            };
        }
        // A free slot means nobody is queued ahead; synchronous methods then
        // run here and now, done before the slot could matter (taking and
        // giving it back would cost a lock). A timeout could not interrupt
        // them anyway.
        if message.shared.requests.available_permits() > 0 {
            match call.run_now(message.ctx.get()) {
                Ok(answer) => return Answer::Now(message.ctx.respond(answer)),
                Err(call) => drop(call),
            }
        } else {
            drop(call);
        }
        message.answer()
    }

    /// Answers a message that has to wait: for a request slot, or for its
    /// asynchronous methods.
    fn answer(self) -> Answer {
        Answer::Later(Box::pin(async move {
            // Back-pressure, not refusal: past the limit, requests wait their turn.
            let _slot = self.shared.requests.acquire().await;
            // Parsed again: the first parse borrowed the bytes this future now owns.
            let call = self.router().parse(&self.bytes);
            let id = call.id().cloned();
            let answer = match self.shared.config.request_timeout {
                None => call.run(self.ctx.get()).await,
                Some(limit) => match tokio::time::timeout(limit, call.run(self.ctx.get())).await {
                    Ok(answer) => answer,
                    Err(_) => Some(timed_out(limit, id.as_ref())),
                },
            };
            self.ctx.respond(answer)
        }))
    }

    /// Acknowledges a notification-only message at once and runs it in the
    /// background, bounded by the notification pool; when the pool is full,
    /// the acknowledgement waits for a slot.
    fn acknowledge(self) -> Answer {
        match Arc::clone(&self.shared.notifications).try_acquire_owned() {
            Ok(permit) => {
                self.run_in_background(permit);
                Answer::Now(empty(StatusCode::OK))
            }
            Err(_) => Answer::Later(Box::pin(async move {
                let permit = Arc::clone(&self.shared.notifications)
                    .acquire_owned()
                    .await
                    .expect("the notification pool is never closed");
                self.run_in_background(permit);
                empty(StatusCode::OK)
            })),
        }
    }

    /// Runs a notification-only message after the answer is sent.
    fn run_in_background(self, permit: OwnedSemaphorePermit) {
        let shared = Arc::clone(&self.shared);
        // Kept small (the task is allocated and moved whole): synchronous
        // methods run in place; what waits is boxed.
        shared.background.spawn(async move {
            let _permit = permit;
            if let Err(call) = self.router().parse(&self.bytes).run_now(self.ctx.get()) {
                let shared = &self.shared;
                let timeout = shared.config.request_timeout;
                Box::pin(run_notification(
                    call,
                    self.ctx.get(),
                    timeout,
                    &shared.cancel_background,
                ))
                .await;
            }
        });
    }
}

/// Runs a notification-only message with asynchronous methods, within the
/// request timeout and until the shutdown grace period is over.
async fn run_notification(
    call: Call<'_, '_>,
    ctx: &Context,
    timeout: Option<std::time::Duration>,
    cancelled: &CancellationToken,
) {
    let run = async {
        match timeout {
            Some(limit) => {
                if tokio::time::timeout(limit, call.run(ctx)).await.is_err() {
                    tracing::warn!(timeout = ?limit, "notification cancelled: it ran past the request timeout");
                }
            }
            None => {
                call.run(ctx).await;
            }
        }
    };
    tokio::select! {
        () = run => {}
        () = cancelled.cancelled() => {
            tracing::warn!("notification cancelled: the shutdown grace period is over");
        }
    }
}

/// Whether `"id"` appears anywhere in the text. (JSON-RPC's own member
/// names have no `i` but `id`.)
///
/// Every request to an HTTP/1 connection of the server pays for it, so a
/// short text is read eight bytes at a time in a few instructions of code;
/// a long one with `memchr`, after its two ends, where clients put the id.
fn mentions_id(bytes: &[u8]) -> bool {
    if bytes.len() <= 4 * ID_EDGE {
        return mentions_id_in_short(bytes);
    }
    mentions_id_in_long(bytes)
}

/// How far from either end of a long text clients put the id.
const ID_EDGE: usize = 24;

/// Whether `"id"` is at `at` (the index of its `i`).
#[inline]
fn id_at(bytes: &[u8], at: usize) -> bool {
    at > 0
        && bytes[at] == b'i'
        && bytes[at - 1] == b'"'
        && bytes.get(at + 1..at + 3) == Some(b"d\"")
}

/// [`mentions_id`], eight bytes at a time: the bytes equal to `i` found
/// with the zero-byte test on the word XOR `i` (exact for the lowest one,
/// and every candidate is checked).
#[inline]
fn mentions_id_in_short(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    const LETTER_I: u64 = u64::from_ne_bytes([b'i'; 8]);
    let mut words = bytes.chunks_exact(8);
    let mut base = 0;
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        let x = word ^ LETTER_I;
        let mut found = x.wrapping_sub(ONES) & !x & HIGHS;
        while found != 0 {
            let at = base + (found.trailing_zeros() / 8) as usize;
            if id_at(bytes, at) {
                return true;
            }
            found &= found - 1;
        }
        base += 8;
    }
    (base..bytes.len()).any(|at| id_at(bytes, at))
}

/// [`mentions_id`] for a long text: its ends first, then all of it.
#[inline(never)]
fn mentions_id_in_long(bytes: &[u8]) -> bool {
    let tail = bytes.len() - ID_EDGE;
    memchr::memrchr_iter(b'i', &bytes[tail..]).any(|at| id_at(bytes, tail + at))
        || memchr::memchr_iter(b'i', &bytes[..ID_EDGE]).any(|at| id_at(bytes, at))
        || memchr::memchr_iter(b'i', bytes).any(|at| id_at(bytes, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_mentions() {
        assert!(mentions_id(br#"{"jsonrpc":"2.0","method":"a","id":1}"#));
        assert!(mentions_id(br#"{"id":1}"#));
        assert!(mentions_id(br#"["x","id"]"#));
        let middle = format!(
            r#"{{"jsonrpc":"2.0","method":"echo","id":7,"params":["{}"]}}"#,
            "x".repeat(100)
        );
        assert!(mentions_id(middle.as_bytes()), "past both ends");
        let long = "x".repeat(200);
        let first = format!(r#"{{"id":7,"method":"echo","params":["{long}"]}}"#);
        assert!(mentions_id(first.as_bytes()), "at the start of a long text");
        let last = format!(r#"{{"method":"echo","params":["{long}"],"id":7}}"#);
        assert!(mentions_id(last.as_bytes()), "at the end of a long text");
        let nowhere = format!(
            r#"{{"jsonrpc":"2.0","method":"echo","params":["{}i"]}}"#,
            "x".repeat(100)
        );
        assert!(!mentions_id(nowhere.as_bytes()));
        assert!(!mentions_id(
            br#"{"jsonrpc":"2.0","method":"ping","params":["idle"]}"#
        ));
        assert!(!mentions_id(
            br#"{"jsonrpc":"2.0","method":"i","params":{"uid":1}}"#
        ));
        assert!(!mentions_id(b"id\""));
        assert!(!mentions_id(b"\"i"));
        assert!(!mentions_id(b""));
    }

    /// The word-at-a-time reading agrees with a plain search, wherever the
    /// id falls against the eight-byte words, among bytes that trip the
    /// zero-byte test (`h` and `j` are `i` ± 1; `\x00`, `\x01`, `\x80`).
    #[test]
    fn id_mentions_agree_with_a_plain_search() {
        let plain = |bytes: &[u8]| bytes.windows(4).any(|w| w == b"\"id\"");
        let filler = b"hij\"d\x00\x01\x80x";
        for len in 0..=120 {
            for seed in 0..24u32 {
                let mut text: Vec<u8> = (0..len)
                    .map(|at| filler[(at * 7 + seed as usize * 13 + at / 5) % filler.len()])
                    .collect();
                assert_eq!(mentions_id(&text), plain(&text), "{text:?}");
                if len >= 4 {
                    let at = (seed as usize * 5) % (len - 3);
                    text[at..at + 4].copy_from_slice(b"\"id\"");
                    assert!(mentions_id(&text), "{text:?}");
                    text[at + 3] = b'x';
                    assert_eq!(mentions_id(&text), plain(&text), "{text:?}");
                }
            }
        }
    }
}
