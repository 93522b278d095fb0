//! What a client call can fail with.

use std::fmt;
use std::sync::Arc;

use crate::error::{Error, ErrorCode};

/// Why a client call failed.
///
/// The most common case, an error answer from the server, keeps the server's
/// code, message and data intact ([`call_error`](Self::call_error)). The
/// other cases say what went wrong on this side: encoding the params, the
/// transport, an answer that is not a valid response, or a result that does
/// not decode into the expected type. Match on the predicates, not on the
/// `Display` text, which may change.
#[derive(Clone)]
pub struct ClientError {
    kind: Arc<Kind>,
}

enum Kind {
    Call(Error),
    Transport(Box<dyn std::error::Error + Send + Sync>),
    Encode(Box<dyn std::error::Error + Send + Sync>),
    InvalidResponse(Box<dyn std::error::Error + Send + Sync>),
    Decode(serde_json::Error),
    EmptyBatch,
}

impl ClientError {
    pub(crate) fn call(error: Error) -> Self {
        Self::new(Kind::Call(error))
    }

    /// Wraps a transport's own error.
    pub fn transport(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::new(Kind::Transport(err.into()))
    }

    pub(crate) fn encode(err: serde_json::Error) -> Self {
        Self::new(Kind::Encode(Box::new(err)))
    }

    pub(crate) fn scalar_params() -> Self {
        Self::new(Kind::Encode(
            "params must serialize to an array (use a tuple), an object (a struct or map) or nothing (`()`)".into(),
        ))
    }

    pub(crate) fn invalid_response(
        err: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::new(Kind::InvalidResponse(err.into()))
    }

    pub(crate) fn decode(err: serde_json::Error) -> Self {
        Self::new(Kind::Decode(err))
    }

    pub(crate) fn empty_batch() -> Self {
        Self::new(Kind::EmptyBatch)
    }

    fn new(kind: Kind) -> Self {
        Self {
            kind: Arc::new(kind),
        }
    }

    /// The server's error object, when the server answered with one.
    pub fn call_error(&self) -> Option<&Error> {
        match &*self.kind {
            Kind::Call(error) => Some(error),
            _ => None,
        }
    }

    /// The server's error code, when the server answered with an error.
    pub fn code(&self) -> Option<ErrorCode> {
        self.call_error().map(Error::code)
    }

    /// Whether the server answered with an error object.
    pub fn is_call(&self) -> bool {
        matches!(*self.kind, Kind::Call(_))
    }

    /// Whether the transport failed (connection, I/O, timeout, HTTP status).
    pub fn is_transport(&self) -> bool {
        matches!(*self.kind, Kind::Transport(_))
    }

    /// Whether the params could not be encoded.
    pub fn is_encode(&self) -> bool {
        matches!(*self.kind, Kind::Encode(_))
    }

    /// Whether the answer was not a valid JSON-RPC response for this call.
    pub fn is_invalid_response(&self) -> bool {
        matches!(*self.kind, Kind::InvalidResponse(_))
    }

    /// Whether the result did not decode into the expected type.
    pub fn is_decode(&self) -> bool {
        matches!(*self.kind, Kind::Decode(_))
    }

    /// Whether an empty batch was sent.
    pub fn is_empty_batch(&self) -> bool {
        matches!(*self.kind, Kind::EmptyBatch)
    }
}

impl From<Error> for ClientError {
    fn from(error: Error) -> Self {
        Self::call(error)
    }
}

/// A method that calls another end (its client, over a
/// [`Peer`](crate::connection::Peer), or another server) answers with the
/// other end's error unchanged, or with a server error (`-32000`) saying
/// why the call failed; so `?` works on such calls.
///
/// ```
/// use rpc_core::client::ClientError;
/// use rpc_core::{Error, ErrorCode};
///
/// let refused = Error::new(ErrorCode::new(7), "no");
/// assert_eq!(Error::from(ClientError::from(refused.clone())), refused);
///
/// let broken = Error::from(ClientError::transport("connection reset"));
/// assert_eq!(broken.code(), ErrorCode::SERVER_ERROR);
/// assert!(broken.data().unwrap().get().contains("connection reset"));
/// ```
impl From<ClientError> for Error {
    fn from(err: ClientError) -> Self {
        match err.call_error() {
            Some(error) => error.clone(),
            None => Error::new(ErrorCode::SERVER_ERROR, "A call to another end failed")
                .with_data(&err.to_string()),
        }
    }
}

impl fmt::Debug for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            Kind::Call(error) => f.debug_tuple("Call").field(error).finish(),
            Kind::Transport(err) => f.debug_tuple("Transport").field(err).finish(),
            Kind::Encode(err) => f.debug_tuple("Encode").field(err).finish(),
            Kind::InvalidResponse(err) => f.debug_tuple("InvalidResponse").field(err).finish(),
            Kind::Decode(err) => f.debug_tuple("Decode").field(err).finish(),
            Kind::EmptyBatch => f.write_str("EmptyBatch"),
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.kind {
            Kind::Call(error) => answered(error, f),
            Kind::Transport(err) => write!(f, "transport error: {err}"),
            Kind::Encode(err) => write!(f, "could not encode the call: {err}"),
            Kind::InvalidResponse(err) => write!(f, "invalid response: {err}"),
            Kind::Decode(err) => write!(f, "could not decode the result: {err}"),
            Kind::EmptyBatch => f.write_str("a batch must hold at least one entry"),
        }
    }
}

/// "the server answered with error 404: not found", and for a code the
/// specification names, its name when the message does not already start
/// with it: "the server answered with error -32601 (Method not found): no
/// method `x`". The data, if any, follows.
fn answered(error: &Error, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let code = error.code();
    let message = error.message();
    write!(f, "the server answered with error {code}")?;
    match code.standard_message() {
        Some(name) if !message.starts_with(name) => write!(f, " ({name})")?,
        _ => {}
    }
    if !message.is_empty() {
        write!(f, ": {message}")?;
    }
    if let Some(data) = error.data() {
        write!(f, ", data: {}", data.get())?;
    }
    Ok(())
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &*self.kind {
            Kind::Call(error) => Some(error),
            Kind::Transport(err) | Kind::Encode(err) | Kind::InvalidResponse(err) => Some(&**err),
            Kind::Decode(err) => Some(err),
            Kind::EmptyBatch => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(error: Error) -> String {
        ClientError::call(error).to_string()
    }

    #[test]
    fn an_application_error_is_shown_with_its_code() {
        assert_eq!(
            text(Error::new(404, "no such key")),
            "the server answered with error 404: no such key"
        );
        assert_eq!(
            text(Error::new(7, "busy").with_data(&[1, 2])),
            "the server answered with error 7: busy, data: [1,2]"
        );
    }

    #[test]
    fn a_standard_error_is_named_once() {
        assert_eq!(
            text(Error::method_not_found()),
            "the server answered with error -32601: Method not found"
        );
        assert_eq!(
            text(Error::invalid_params("Invalid params: missing `b`")),
            "the server answered with error -32602: Invalid params: missing `b`"
        );
        assert_eq!(
            text(Error::new(-32601, "no method `x`")),
            "the server answered with error -32601 (Method not found): no method `x`"
        );
        assert_eq!(
            text(Error::new(-32001, "database down")),
            "the server answered with error -32001 (Server error): database down"
        );
    }

    #[test]
    fn local_failures_say_which_side_failed() {
        assert_eq!(
            ClientError::empty_batch().to_string(),
            "a batch must hold at least one entry"
        );
        assert!(ClientError::scalar_params()
            .to_string()
            .starts_with("could not encode the call: "));
    }
}
