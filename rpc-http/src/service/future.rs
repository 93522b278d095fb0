//! [`ResponseFuture`]: the answer to one request, from the body read to the
//! HTTP response.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use http::{Response, StatusCode};

use super::after_answer::AfterAnswer;
use super::body::Received;
use super::context::MessageContext;
use super::dispatch::Answer;
use super::message::Message;
use super::response::{closing, refusal, too_large, ResponseBody};
use super::shared::Shared;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

pin_project_lite::pin_project! {
    /// The answer to one request: [`RpcService`](super::RpcService)'s future.
    ///
    /// A hand-written state machine rather than an `async fn`: while the body
    /// is read it holds little, and a message whose methods are all
    /// synchronous is answered in the poll that completes the body, with no
    /// further future, timer or allocation. Only what must wait (asynchronous
    /// methods, a full pool, the `GET` fallback) is boxed.
    pub struct ResponseFuture<B>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        #[pin]
        state: State<B>,
    }
}

pin_project_lite::pin_project! {
    #[project = StateProj]
    enum State<B>
    where
        B: http_body::Body,
        B::Error: Into<BoxError>,
    {
        ReadingBody {
            #[pin]
            body: B,
            received: Received,
            then: Option<AfterBody>,
            // Armed the first time the body is not all there.
            deadline: Option<Pin<Box<tokio::time::Sleep>>>,
        },
        Waiting {
            future: Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>,
        },
        Ready {
            response: Option<Response<ResponseBody>>,
        },
    }
}

/// What a POST needs once its body is in.
pub(super) struct AfterBody {
    pub(super) shared: Arc<Shared>,
    /// Index of the router in `shared.routes`: no reference count to move.
    pub(super) route: usize,
    pub(super) ctx: MessageContext,
    /// The queue of the HTTP/1 server connection the request came on, which
    /// runs the notifications its answers leave behind.
    pub(super) after_answer: Option<Arc<AfterAnswer>>,
}

impl<B> std::fmt::Debug for ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = match &self.state {
            State::ReadingBody { .. } => "reading the body",
            State::Waiting { .. } => "waiting",
            State::Ready { .. } => "ready",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<B> ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    pub(crate) fn ready(response: Response<ResponseBody>) -> Self {
        Self {
            state: State::Ready {
                response: Some(response),
            },
        }
    }

    pub(super) fn waiting(
        future: impl Future<Output = Response<ResponseBody>> + Send + 'static,
    ) -> Self {
        Self {
            state: State::Waiting {
                future: Box::pin(future),
            },
        }
    }

    /// Reads `body`, then runs the message it holds.
    pub(super) fn reading(body: B, then: AfterBody) -> Self {
        Self {
            state: State::ReadingBody {
                body,
                received: Received::default(),
                then: Some(then),
                deadline: None,
            },
        }
    }
}

impl<B> Future for ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    type Output = Response<ResponseBody>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        self.poll_with(cx, None)
    }
}

impl<B> ResponseFuture<B>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    /// [`Future::poll`], with the after-answer queue of the server connection
    /// that polls it lent for the poll: the server's own connections lend
    /// theirs rather than hand each request a counted reference to it.
    #[inline]
    pub(crate) fn poll_with(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        lent: Option<&AfterAnswer>,
    ) -> Poll<Response<ResponseBody>> {
        let mut state = self.project().state;
        loop {
            let next = match state.as_mut().project() {
                StateProj::ReadingBody {
                    body,
                    received,
                    then,
                    deadline,
                } => {
                    let read = {
                        let config = &then
                            .as_ref()
                            .expect("ResponseFuture polled after completion")
                            .shared
                            .config;
                        std::task::ready!(read_body(body, received, deadline, config, cx))
                    };
                    // Answered either way: a later poll is a poll after completion.
                    let AfterBody {
                        shared,
                        route,
                        ctx,
                        after_answer,
                    } = then.take().expect("ResponseFuture polled after completion");
                    let bytes = match read {
                        Ok(bytes) => bytes,
                        Err(refused) => return Poll::Ready(refused),
                    };
                    let message = Message::new(shared, route, bytes, ctx);
                    match message.dispatch(after_answer.as_deref().or(lent)) {
                        Answer::Now(response) => return Poll::Ready(response),
                        Answer::Later(future) => State::Waiting { future },
                    }
                }
                StateProj::Waiting { future } => return future.as_mut().poll(cx),
                StateProj::Ready { response } => {
                    return Poll::Ready(
                        response
                            .take()
                            .expect("ResponseFuture polled after completion"),
                    )
                }
            };
            state.set(next);
        }
    }
}

/// Reads the body until it is all there: its bytes, or the refusal that
/// answers it (too large, unreadable, or too slow to arrive).
#[inline]
fn read_body<B>(
    mut body: Pin<&mut B>,
    received: &mut Received,
    deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    config: &crate::config::HttpConfig,
    cx: &mut TaskContext<'_>,
) -> Poll<Result<bytes::Bytes, Response<ResponseBody>>>
where
    B: http_body::Body,
    B::Error: Into<BoxError>,
{
    let limit = config.max_body_size;
    loop {
        let frame = match body.as_mut().poll_frame(cx) {
            Poll::Ready(frame) => frame,
            Poll::Pending => {
                return body_overdue(deadline, config.body_read_timeout, cx).map(Err);
            }
        };
        match frame {
            Some(Ok(frame)) => {
                // Trailers are not data: nothing to keep.
                if let Ok(mut data) = frame.into_data() {
                    let expected = body.size_hint().lower();
                    if !received.push(&mut data, limit, expected) {
                        // The rest is not read: the connection cannot go on.
                        return Poll::Ready(Err(closing(too_large(limit))));
                    }
                }
            }
            Some(Err(err)) => return Poll::Ready(Err(unreadable(err.into()))),
            None => return Poll::Ready(Ok(received.take())),
        }
    }
}

/// The `400` for a body that could not be read; the connection closes after it.
#[cold]
fn unreadable(err: BoxError) -> Response<ResponseBody> {
    closing(refusal(
        StatusCode::BAD_REQUEST,
        format!("could not read the request body: {err}"),
    ))
}

/// Pending while the body may still come; once it is overdue, the `408`
/// answer (which closes the connection: the rest of the body is not read).
// Kept out of line: the body usually comes with its head, and this never runs.
#[inline(never)]
fn body_overdue(
    deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    timeout: Option<std::time::Duration>,
    cx: &mut TaskContext<'_>,
) -> Poll<Response<ResponseBody>> {
    let Some(timeout) = timeout else {
        return Poll::Pending;
    };
    let deadline = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
    std::task::ready!(deadline.as_mut().poll(cx));
    Poll::Ready(closing(refusal(
        StatusCode::REQUEST_TIMEOUT,
        format!("the request body did not arrive within {timeout:?}"),
    )))
}
