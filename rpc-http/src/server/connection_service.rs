//! The service of one server connection: each request goes straight to the
//! RPC service, or through the CORS and compression layers when a header
//! asks for them; its answer counts as in flight until it is handed over.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use http::header::CONTENT_ENCODING;
use http::{Method, Request};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Either as EitherBody};
use hyper::body::Incoming;
use tower::ServiceExt;

use super::activity::{Activity, InFlightRequest};
use super::compression::{content_encodings, Coding};
use super::head::refusal_reason;
use super::layers::{LayerHeaders, Layered};
use crate::handoff::{ConnectionId, Meta, PeerAddr, UndecodableEncoding};
use crate::service::{closing, refusal, ResponseBody, ResponseFuture, RpcService};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the server writes: the service's own body, or the layers' (boxed: it is large).
pub(super) type HttpBody = EitherBody<ResponseBody, UnsyncBoxBody<Bytes, BoxError>>;

type LayeredFuture =
    Pin<Box<dyn Future<Output = Result<http::Response<HttpBody>, BoxError>> + Send>>;

/// The service of one connection: requests go straight to the RPC service,
/// or through the CORS and compression layers when a header asks for them.
pub(super) struct ConnectionService<S> {
    pub(super) rpc: RpcService,
    pub(super) layered: S,
    pub(super) peer: Option<SocketAddr>,
    pub(super) id: u64,
    pub(super) cors_on: bool,
    pub(super) compression_on: bool,
    pub(super) activity: Arc<Activity>,
}

/// The answer to one request on a server connection. Not boxed on the
/// direct path: hyper keeps it in the connection's own state.
pub(super) struct ConnectionFuture {
    inner: ConnectionFutureInner,
    /// Dropped with the future on HTTP/1; on HTTP/2 it moves into the
    /// answer's body, so the request stays in flight until that is sent.
    in_flight: Option<InFlightRequest>,
    http2: bool,
}

pin_project_lite::pin_project! {
    /// An HTTP/2 answer's body, keeping its request counted as in flight
    /// until the body is handed over whole.
    ///
    /// Its data goes out in slices of at most [`HTTP2_SLICE`] bytes, and h2
    /// buffers at most one slice per stream (the builders' send buffer
    /// size): hyper hands a data frame to h2 once the stream has any send
    /// capacity, and h2 takes the whole of it. Sliced, the body is taken
    /// only as fast as the client's flow-control window opens, so a slow
    /// reader's answer stays in flight (and its connection clear of the idle
    /// watchdog) until about two slices are left to send.
    struct InFlightBody<B> {
        #[pin]
        body: B,
        rest: Bytes,
        _in_flight: InFlightRequest,
    }
}

/// The largest data frame an HTTP/2 answer hands to hyper at once, and
/// the most h2 buffers for one stream.
pub(super) const HTTP2_SLICE: usize = 64 << 10;

impl<B> InFlightBody<B> {
    fn new(body: B, in_flight: InFlightRequest) -> Self {
        Self {
            body,
            rest: Bytes::new(),
            _in_flight: in_flight,
        }
    }
}

impl<B: http_body::Body<Data = Bytes>> http_body::Body for InFlightBody<B> {
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.project();
        if this.rest.is_empty() {
            match std::task::ready!(this.body.poll_frame(cx)) {
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) => *this.rest = data,
                    Err(frame) => return Poll::Ready(Some(Ok(frame))),
                },
                other => return Poll::Ready(other),
            }
        }
        let slice = this.rest.len().min(HTTP2_SLICE);
        Poll::Ready(Some(Ok(http_body::Frame::data(this.rest.split_to(slice)))))
    }

    fn is_end_stream(&self) -> bool {
        self.rest.is_empty() && self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        let inner = self.body.size_hint();
        let rest = self.rest.len() as u64;
        let mut hint = http_body::SizeHint::new();
        hint.set_lower(inner.lower() + rest);
        if let Some(upper) = inner.upper() {
            hint.set_upper(upper + rest);
        }
        hint
    }
}

/// The answer to a request whose head RFC 9112 makes us refuse; the
/// connection closes after it (its framing is not to be trusted).
#[cold]
#[inline(never)]
fn refused(status: http::StatusCode, headers: &http::HeaderMap) -> ResponseFuture<Incoming> {
    ResponseFuture::ready(closing(refusal(status, refusal_reason(status, headers))))
}

#[allow(
    clippy::large_enum_variant,
    reason = "the direct answer is every plain request's: kept inline, with no allocation, as hyper keeps it in the connection's state"
)]
enum ConnectionFutureInner {
    Direct(ResponseFuture<Incoming>),
    Layered(LayeredFuture),
}

impl Future for ConnectionFuture {
    type Output = Result<http::Response<HttpBody>, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        let response = match &mut this.inner {
            ConnectionFutureInner::Direct(future) => {
                // An HTTP/1 request's notifications wait in its connection's queue.
                let queue = match &this.in_flight {
                    Some(in_flight) if !this.http2 => Some(&*in_flight.0.after_answer),
                    _ => None,
                };
                std::task::ready!(Pin::new(future).poll_with(cx, queue)).map(EitherBody::Left)
            }
            ConnectionFutureInner::Layered(future) => std::task::ready!(future.as_mut().poll(cx))?,
        };
        if !this.http2 {
            return Poll::Ready(Ok(response));
        }
        let Some(in_flight) = this.in_flight.take() else {
            return Poll::Ready(Ok(response));
        };
        Poll::Ready(Ok(response.map(|body| {
            EitherBody::Right(InFlightBody::new(body, in_flight).boxed_unsync())
        })))
    }
}

impl<L: Layered> ConnectionService<L> {
    /// A request sent through the CORS and compression layers. Out of line:
    /// the direct way, every other request's, stays short.
    #[inline(never)]
    fn through_layers(
        &self,
        mut request: Request<Incoming>,
        content_encoding: bool,
        after_answer: Option<Arc<crate::service::AfterAnswer>>,
    ) -> ConnectionFutureInner {
        if content_encoding {
            // In the one spelling the decompression layer reads; a coding
            // that cannot be undone is refused by the service, inside the
            // layers, so that a browser may read why (CORS).
            let coding = Coding::of_request(request.headers());
            if coding.is_none() {
                let refused = UndecodableEncoding(content_encodings(request.headers()));
                request.extensions_mut().insert(refused);
            }
            let headers = request.headers_mut();
            headers.remove(CONTENT_ENCODING);
            if let Some(value) = coding.and_then(Coding::header_value) {
                headers.insert(CONTENT_ENCODING, value);
            }
        }
        if let Some(peer) = self.peer {
            request.extensions_mut().insert(PeerAddr(peer));
        }
        request.extensions_mut().insert(ConnectionId(self.id));
        if let Some(after_answer) = after_answer {
            request.extensions_mut().insert(after_answer);
        }
        let layered = self.layered.clone().oneshot(request);
        ConnectionFutureInner::Layered(Box::pin(async move {
            let response = layered.await.map_err(Into::into)?;
            Ok(response.map(|body| EitherBody::Right(body.map_err(Into::into).boxed_unsync())))
        }))
    }
}

impl<L: Layered> hyper::service::Service<Request<Incoming>> for ConnectionService<L> {
    type Response = http::Response<HttpBody>;
    type Error = BoxError;
    type Future = ConnectionFuture;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        self.activity.start();
        let in_flight = Some(InFlightRequest(Arc::clone(&self.activity)));
        let http2 = request.version() >= http::Version::HTTP_2;
        if !http2 && !self.activity.http1.load(Ordering::Relaxed) {
            self.activity.http1.store(true, Ordering::Relaxed);
        }
        let seen = LayerHeaders::of(request.headers());
        if let Some(status) = seen.head.refusal(request.version()) {
            return ConnectionFuture {
                inner: ConnectionFutureInner::Direct(refused(status, request.headers())),
                in_flight,
                http2,
            };
        }
        // HTTP/1 requests are answered inside the connection's own task,
        // which runs their synchronous notifications after each turn; HTTP/2
        // ones are answered in tasks of their own and use the background
        // pool. A direct request's answer borrows the queue while it is
        // polled (`ConnectionFuture::poll`); one through the layers carries it.
        // The layers only have work when one of these headers is there;
        // other requests skip them, and their large compression body.
        // tower-http's CORS layer takes every `OPTIONS` for a preflight; one
        // without an `Origin` is not, and gets the service's own `Allow`.
        let needs_layers = ((self.cors_on && seen.origin)
            || (self.compression_on && seen.accept_encoding)
            || seen.content_encoding)
            && (seen.origin || request.method() != Method::OPTIONS);
        let inner = if needs_layers {
            let after_answer = (!http2).then(|| Arc::clone(&self.activity.after_answer));
            self.through_layers(request, seen.content_encoding, after_answer)
        } else {
            let meta = Meta {
                peer: self.peer,
                connection: Some(self.id),
                content_type_accepted: seen.content_type_accepted,
            };
            let (mut head, body) = request.into_parts();
            ConnectionFutureInner::Direct(self.rpc.handle_direct(&mut head, body, meta, None))
        };
        ConnectionFuture {
            inner,
            in_flight,
            http2,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hyper keeps each answer's future in the connection's state and moves
    /// it a few times per request: a context or a request head inline in it
    /// (120 and 224 bytes) cost a `memcpy` of them on every call.
    #[test]
    fn an_answer_future_stays_small() {
        let response_future = std::mem::size_of::<ResponseFuture<Incoming>>();
        assert!(
            response_future <= 160,
            "ResponseFuture is {response_future} bytes"
        );
        let connection_future = std::mem::size_of::<ConnectionFuture>();
        assert!(
            connection_future <= 176,
            "ConnectionFuture is {connection_future} bytes"
        );
    }
}
