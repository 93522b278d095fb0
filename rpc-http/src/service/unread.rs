//! Answers that do not need a request's body (a refusal, `404`, `405`,
//! `OPTIONS`, the `GET` fallback): on HTTP/1 the body is read and dropped,
//! up to a limit, so that the connection stays open for the client's next
//! request.
//!
//! Left unread, an HTTP/1 connection cannot go on: hyper drains what is
//! already in its buffer and otherwise closes the connection after the
//! answer, not always saying so. A client that sent the head and the body in
//! two writes (Python's `http.client` does) then sends its next request
//! into a closing socket and sees it fail. Where the body is not worth
//! waiting for, the answer says `Connection: close` at once.

use std::time::Duration;

use bytes::Buf;
use http::header::EXPECT;
use http::request::Parts;
use http::{Response, Version};
use http_body_util::BodyExt;

use super::future::ResponseFuture;
use super::response::{closing, ResponseBody};
use crate::config::HttpConfig;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `response` to the request of `head`, whose `body` the service does not
/// need.
///
/// On HTTP/1 it is given once the body is read and dropped; with
/// `Connection: close` instead (and at once) when the body is larger than
/// [`HttpConfig::max_discarded_body`] (or the body size limit), when the
/// client waits for `100 Continue` before sending it, when there is no body
/// read timeout to bound the wait, or when the body fails or is late.
// Out of line: refusals are rare, and every call's way in stays short.
#[cold]
#[inline(never)]
pub(super) fn answer_unread<B>(
    head: &Parts,
    body: B,
    response: Response<ResponseBody>,
    config: &HttpConfig,
) -> ResponseFuture<B>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    match Unread::of(head, body, config) {
        Unread::Nothing => ResponseFuture::ready(response),
        Unread::NotWorthIt => ResponseFuture::ready(closing(response)),
        unread @ Unread::Drop { .. } => ResponseFuture::waiting(async move {
            if unread.read_and_drop().await {
                response
            } else {
                closing(response)
            }
        }),
    }
}

/// What becomes of a request body nobody needs, decided from the head.
pub(super) enum Unread<B> {
    /// Nothing to read: no body, or an HTTP/2 stream's, whose unread body
    /// ends that stream alone.
    Nothing,
    /// Not to be read: the connection closes after the answer.
    NotWorthIt,
    /// To be read and dropped, up to `limit` bytes within `timeout`.
    Drop {
        body: B,
        limit: usize,
        timeout: Duration,
    },
}

impl<B: http_body::Body> Unread<B> {
    /// Decides from the head alone; call it before anything takes the
    /// head's headers.
    pub(super) fn of(head: &Parts, body: B, config: &HttpConfig) -> Self {
        if head.version >= Version::HTTP_2
            || body.is_end_stream()
            || body.size_hint().upper() == Some(0)
        {
            return Unread::Nothing;
        }
        let limit = config.max_discarded_body.min(config.max_body_size);
        let Some(timeout) = config.body_read_timeout else {
            return Unread::NotWorthIt;
        };
        if expects_continue(head) || body.size_hint().lower() > limit as u64 {
            return Unread::NotWorthIt;
        }
        Unread::Drop {
            body,
            limit,
            timeout,
        }
    }

    /// Reads and drops the body; `true` if the connection may go on.
    pub(super) async fn read_and_drop(self) -> bool {
        match self {
            Unread::Nothing => true,
            Unread::NotWorthIt => false,
            Unread::Drop {
                body,
                limit,
                timeout,
            } => tokio::time::timeout(timeout, discard(body, limit))
                .await
                .unwrap_or(false),
        }
    }
}

/// Whether the client sends its body only after `100 Continue`, which
/// reading it would make hyper send.
fn expects_continue(head: &Parts) -> bool {
    head.headers
        .get(EXPECT)
        .is_some_and(|value| value.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Reads `body` to its end and drops it; `false` past `limit` bytes or on
/// an error.
async fn discard<B: http_body::Body>(body: B, limit: usize) -> bool {
    let mut body = std::pin::pin!(body);
    let mut read = 0usize;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return false;
        };
        if let Some(data) = frame.data_ref() {
            read = read.saturating_add(data.remaining());
            if read > limit {
                return false;
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use std::time::Duration;

    use bytes::Bytes;
    use http::header::{HeaderValue, CONNECTION};
    use http::{Request, StatusCode};
    use http_body::Frame;
    use http_body_util::Full;

    use super::*;
    use crate::service::response::empty;

    /// The `404` to an HTTP/1.1 `POST` of `body`.
    async fn answer<B>(body: B, config: &HttpConfig) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        answer_to(Request::post("/").body(()).unwrap(), body, config).await
    }

    async fn answer_to<B>(head: Request<()>, body: B, config: &HttpConfig) -> Response<ResponseBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let (head, ()) = head.into_parts();
        answer_unread(&head, body, empty(StatusCode::NOT_FOUND), config).await
    }

    fn closes(response: &Response<ResponseBody>) -> bool {
        response.headers().get(CONNECTION) == Some(&HeaderValue::from_static("close"))
    }

    fn full(bytes: &'static [u8]) -> Full<Bytes> {
        Full::new(Bytes::from_static(bytes))
    }

    /// A body of unknown length (as a chunked request's is): its chunks, an
    /// error, or (once they are out) nothing more, ever.
    struct Chunks {
        chunks: VecDeque<Result<Bytes, &'static str>>,
        then_stalls: bool,
    }

    impl Chunks {
        /// A body that never sends anything.
        fn stalled() -> Self {
            Chunks {
                chunks: VecDeque::new(),
                then_stalls: true,
            }
        }

        fn new(sizes: &[usize]) -> Self {
            let chunks = sizes
                .iter()
                .map(|&size| Ok(Bytes::from(vec![b'x'; size])))
                .collect();
            Chunks {
                chunks,
                then_stalls: false,
            }
        }
    }

    impl http_body::Body for Chunks {
        type Data = Bytes;
        type Error = &'static str;

        fn poll_frame(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
            match self.chunks.pop_front() {
                Some(chunk) => Poll::Ready(Some(chunk.map(Frame::data))),
                None if self.then_stalls => Poll::Pending,
                None => Poll::Ready(None),
            }
        }
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_and_the_connection_kept() {
        let config = HttpConfig::new().with_max_discarded_body(8);
        let response = answer(full(b"12345678"), &config).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(!closes(&response));
        assert!(!closes(&answer(Chunks::new(&[4, 4]), &config).await));
    }

    #[tokio::test]
    async fn a_body_over_the_limit_closes_the_connection() {
        let config = HttpConfig::new().with_max_discarded_body(8);
        // Declared too large: not read at all.
        assert!(closes(&answer(full(b"123456789"), &config).await));
        // Found too large while read.
        assert!(closes(&answer(Chunks::new(&[4, 4, 1]), &config).await));
        // The body size limit bounds it too.
        let config = config
            .with_max_discarded_body(1 << 20)
            .with_max_body_size(8);
        assert!(closes(&answer(full(b"123456789"), &config).await));
    }

    #[tokio::test]
    async fn a_body_that_fails_closes_the_connection() {
        let body = Chunks {
            chunks: VecDeque::from([Ok(Bytes::from_static(b"x")), Err("reset")]),
            then_stalls: false,
        };
        assert!(closes(&answer(body, &HttpConfig::new()).await));
    }

    #[tokio::test]
    async fn a_body_that_does_not_come_closes_the_connection_after_the_read_timeout() {
        let timeout = Duration::from_millis(50);
        let config = HttpConfig::new().with_body_read_timeout(Some(timeout));
        let body = Chunks {
            chunks: VecDeque::from([Ok(Bytes::from_static(b"x"))]),
            then_stalls: true,
        };
        let started = std::time::Instant::now();
        assert!(closes(&answer(body, &config).await));
        assert!(started.elapsed() >= timeout);
    }

    #[tokio::test]
    async fn without_a_read_timeout_the_body_is_not_waited_for() {
        let config = HttpConfig::new().with_body_read_timeout(None);
        assert!(closes(&answer(Chunks::stalled(), &config).await));
    }

    #[tokio::test]
    async fn a_client_waiting_for_100_continue_is_answered_without_it() {
        let head = Request::post("/")
            .header(EXPECT, "100-continue")
            .body(())
            .unwrap();
        let config = HttpConfig::new();
        assert!(closes(&answer_to(head, Chunks::stalled(), &config).await));
    }

    #[tokio::test]
    async fn http2_and_empty_bodies_are_answered_at_once_and_kept() {
        let http2 = Request::post("/")
            .version(Version::HTTP_2)
            .body(())
            .unwrap();
        assert!(!closes(
            &answer_to(http2, Chunks::stalled(), &HttpConfig::new()).await
        ));
        assert!(!closes(&answer(full(b""), &HttpConfig::new()).await));
    }
}
