//! The HTTP answers the service writes: JSON-RPC bodies, empty
//! acknowledgements, refusals with a JSON-RPC error object saying why, and
//! the headers and cookies methods set.

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONNECTION, CONTENT_TYPE, SET_COOKIE};
use http::{Response, StatusCode};
use http_body_util::Full;
use rpc_core::{error_response, Error as RpcError, ErrorCode, Id, ResponseEffects};

use crate::handoff::SkipCompression;

/// The body of every response the service writes.
pub type ResponseBody = Full<Bytes>;

/// Adds the headers and cookies methods set; a header that is not valid HTTP is logged and left out.
pub(super) fn apply_effects(response: &mut Response<ResponseBody>, effects: ResponseEffects) {
    if effects.is_empty() {
        return;
    }
    if effects.extensions().get::<SkipCompression>().is_some() {
        // Read by the server's compression predicate.
        response.extensions_mut().insert(SkipCompression);
    }
    for (name, value) in effects.headers() {
        let headers = response.headers_mut();
        match (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            (Ok(name), Ok(value)) => {
                headers.append(name, value);
            }
            _ => {
                tracing::warn!(header = %name, "a method set a header that is not valid HTTP; left out")
            }
        }
    }
    for cookie in effects.cookies() {
        match HeaderValue::try_from(cookie.to_string()) {
            Ok(value) => {
                response.headers_mut().append(SET_COOKIE, value);
            }
            Err(_) => tracing::warn!(
                cookie = cookie.name(),
                "a cookie could not be written; left out"
            ),
        }
    }
}

pub(super) fn timed_out(limit: std::time::Duration, id: Option<&Id<'_>>) -> Vec<u8> {
    let error = RpcError::from(ErrorCode::SERVER_ERROR)
        .with_data(&format!("request timed out after {limit:?}"));
    error_response(&error, id)
}

pub(super) fn json(status: StatusCode, body: Vec<u8>) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `response`, telling an HTTP/1 client that the connection closes after
/// it (hyper drops the header on HTTP/2, where it has no meaning).
pub(crate) fn closing(mut response: Response<ResponseBody>) -> Response<ResponseBody> {
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

pub(super) fn empty(status: StatusCode) -> Response<ResponseBody> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = status;
    response
}

/// An HTTP-level refusal, with a JSON-RPC error object saying why.
// Cold, as every refusal here: mistakes are answered out of the way of the
// code that answers calls.
#[cold]
pub(crate) fn refusal(status: StatusCode, reason: String) -> Response<ResponseBody> {
    json(
        status,
        error_response(&RpcError::invalid_request().with_data(&reason), None),
    )
}

/// The `415` for a request `Content-Encoding` the server cannot undo.
#[cold]
pub(super) fn undecodable(encoding: &str) -> Response<ResponseBody> {
    let mut response = refusal(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        format!(
            "Content-Encoding `{encoding}` is not accepted; send one of gzip, br, zstd or none"
        ),
    );
    // What is accepted instead (RFC 9110, 15.5.16).
    response.headers_mut().insert(
        http::header::ACCEPT_ENCODING,
        HeaderValue::from_static("gzip, br, zstd"),
    );
    response
}

#[cold]
pub(super) fn too_large(limit: usize) -> Response<ResponseBody> {
    refusal(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!("the request body is larger than the limit of {limit} bytes"),
    )
}

#[cold]
pub(super) fn not_found(path: &str) -> Response<ResponseBody> {
    refusal(
        StatusCode::NOT_FOUND,
        format!("no JSON-RPC endpoint at `{path}`"),
    )
}
