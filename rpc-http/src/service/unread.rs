//! Answers given before a request's body is read (a refusal, `404`, `405`,
//! `OPTIONS`): the body is read and dropped, up to a limit, so that the
//! connection stays open for the client's next request.
//!
//! Left unread, an HTTP/1 connection cannot go on: hyper drains what is
//! already in its buffer and otherwise closes the connection after the
//! answer, without saying so. A client that sent the head and the body in
//! two writes (Python's `http.client` does) then sends its next request
//! into a closing socket and sees it fail. A body larger than the limit is
//! not read: its answer says `Connection: close`, so that the client opens
//! a new connection instead.

use bytes::Buf;
use http::header::{HeaderValue, CONNECTION};
use http::Response;
use http_body_util::BodyExt;

use super::future::ResponseFuture;
use super::response::ResponseBody;
use crate::config::HttpConfig;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// `response`, once `body` is read and dropped; with `Connection: close`
/// when the body is larger than [`HttpConfig::max_discarded_body`], fails,
/// or does not arrive within the body read timeout.
// Out of line: refusals are rare, and every call's way in stays short.
#[cold]
#[inline(never)]
pub(super) fn answer_unread<B>(
    body: B,
    response: Response<ResponseBody>,
    config: &HttpConfig,
) -> ResponseFuture<B>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if body.is_end_stream() {
        return ResponseFuture::ready(response);
    }
    let limit = config.max_discarded_body;
    if body.size_hint().lower() > limit as u64 {
        return ResponseFuture::ready(closing(response));
    }
    let timeout = config.body_read_timeout;
    ResponseFuture::waiting(async move {
        let discarded = match timeout {
            Some(timeout) => tokio::time::timeout(timeout, discard(body, limit))
                .await
                .unwrap_or(false),
            None => discard(body, limit).await,
        };
        if discarded {
            response
        } else {
            closing(response)
        }
    })
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

/// `response`, telling the client that the connection closes after it.
fn closing(mut response: Response<ResponseBody>) -> Response<ResponseBody> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use bytes::Bytes;
    use http::StatusCode;
    use http_body_util::Full;

    use super::*;
    use crate::service::response::empty;

    fn answer<B>(body: B, config: &HttpConfig) -> ResponseFuture<B>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        answer_unread(body, empty(StatusCode::NOT_FOUND), config)
    }

    fn closes(response: &Response<ResponseBody>) -> bool {
        response.headers().get(CONNECTION) == Some(&HeaderValue::from_static("close"))
    }

    #[tokio::test]
    async fn a_body_within_the_limit_is_read_and_the_connection_kept() {
        let config = HttpConfig::new().with_max_discarded_body(8);
        let response = answer(Full::new(Bytes::from_static(b"12345678")), &config).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert!(!closes(&response));
    }

    #[tokio::test]
    async fn a_body_declared_larger_than_the_limit_closes_the_connection() {
        let config = HttpConfig::new().with_max_discarded_body(8);
        let response = answer(Full::new(Bytes::from_static(b"123456789")), &config).await;
        assert!(closes(&response));
    }

    /// A body of unknown length (as a chunked request's is), in chunks.
    struct Chunks(std::collections::VecDeque<Bytes>);

    impl http_body::Body for Chunks {
        type Data = Bytes;
        type Error = Infallible;

        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
            std::task::Poll::Ready(
                self.0
                    .pop_front()
                    .map(|chunk| Ok(http_body::Frame::data(chunk))),
            )
        }
    }

    #[tokio::test]
    async fn a_body_of_unknown_length_is_read_up_to_the_limit() {
        let chunks = |sizes: &[usize]| {
            Chunks(
                sizes
                    .iter()
                    .map(|&size| Bytes::from(vec![b'x'; size]))
                    .collect(),
            )
        };
        let config = HttpConfig::new().with_max_discarded_body(8);
        assert!(!closes(&answer(chunks(&[4, 4]), &config).await));
        assert!(closes(&answer(chunks(&[4, 4, 1]), &config).await));
    }
}
