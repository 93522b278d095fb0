//! The transport's error type.

use std::fmt;

use http::StatusCode;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What can go wrong in the HTTP transport: binding or serving, or a client
/// call on its way to the server and back.
///
/// Opaque on purpose (as hyper's): ask with the `is_*` predicates, and do not
/// depend on the `Display` text, which may change.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: Kind,
    /// What it happened to (an address, a path), when the source does not say.
    subject: Option<String>,
    source: Option<BoxError>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bind,
    Tls,
    InvalidUri,
    InvalidHeader,
    Connect,
    Timeout,
    Status(StatusCode),
    Body,
    TooLarge,
}

impl Error {
    fn new(kind: Kind, source: Option<BoxError>) -> Self {
        Self {
            inner: Box::new(Inner {
                kind,
                subject: None,
                source,
            }),
        }
    }

    /// Binding `subject` (an address or a socket path) failed; the
    /// `io::Error` stays the source, for callers to inspect its kind.
    pub(crate) fn bind(subject: impl std::fmt::Display, err: impl Into<BoxError>) -> Self {
        let mut error = Self::new(Kind::Bind, Some(err.into()));
        error.inner.subject = Some(subject.to_string());
        error
    }

    #[cfg_attr(
        not(feature = "tls"),
        allow(dead_code, reason = "used by the tls feature")
    )]
    pub(crate) fn tls(err: impl Into<BoxError>) -> Self {
        Self::new(Kind::Tls, Some(err.into()))
    }

    pub(crate) fn invalid_uri(err: impl Into<BoxError>) -> Self {
        Self::new(Kind::InvalidUri, Some(err.into()))
    }

    pub(crate) fn invalid_header(err: impl Into<BoxError>) -> Self {
        Self::new(Kind::InvalidHeader, Some(err.into()))
    }

    pub(crate) fn connect(err: impl Into<BoxError>) -> Self {
        Self::new(Kind::Connect, Some(err.into()))
    }

    pub(crate) fn timeout() -> Self {
        Self::new(Kind::Timeout, None)
    }

    pub(crate) fn http_status(status: StatusCode, body: String) -> Self {
        Self::new(
            Kind::Status(status),
            (!body.is_empty()).then(|| body.into()),
        )
    }

    pub(crate) fn body(err: impl Into<BoxError>) -> Self {
        Self::new(Kind::Body, Some(err.into()))
    }

    pub(crate) fn too_large(limit: usize) -> Self {
        Self::new(
            Kind::TooLarge,
            Some(format!("the answer is larger than {limit} bytes").into()),
        )
    }

    /// Whether the address could not be bound (in use, no permission, ...).
    pub fn is_bind(&self) -> bool {
        self.inner.kind == Kind::Bind
    }

    /// Whether TLS set-up failed (bad certificate or key, handshake).
    pub fn is_tls(&self) -> bool {
        self.inner.kind == Kind::Tls
    }

    /// Whether a client was given a URL it cannot use.
    pub fn is_invalid_uri(&self) -> bool {
        self.inner.kind == Kind::InvalidUri
    }

    /// Whether a header given to the client is not a valid HTTP header name or value.
    pub fn is_invalid_header(&self) -> bool {
        self.inner.kind == Kind::InvalidHeader
    }

    /// Whether the client could not reach the server or lost the connection.
    pub fn is_connect(&self) -> bool {
        self.inner.kind == Kind::Connect
    }

    /// Whether a client call ran out of time.
    pub fn is_timeout(&self) -> bool {
        self.inner.kind == Kind::Timeout
    }

    /// The HTTP status, when the server answered with one other than 200.
    pub fn status(&self) -> Option<StatusCode> {
        match self.inner.kind {
            Kind::Status(status) => Some(status),
            _ => None,
        }
    }

    /// Whether reading a body failed.
    pub fn is_body(&self) -> bool {
        self.inner.kind == Kind::Body
    }

    /// Whether an answer was larger than the client accepts.
    pub fn is_too_large(&self) -> bool {
        self.inner.kind == Kind::TooLarge
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("rpc_http::Error");
        debug.field("kind", &self.inner.kind);
        if let Some(subject) = &self.inner.subject {
            debug.field("subject", subject);
        }
        if let Some(source) = &self.inner.source {
            debug.field("source", source);
        }
        debug.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.inner.kind {
            Kind::Bind => match &self.inner.subject {
                Some(subject) => format!("could not bind `{subject}`"),
                None => "could not bind the address".to_owned(),
            },
            Kind::Tls => "TLS failed".to_owned(),
            Kind::InvalidUri => "invalid URL".to_owned(),
            Kind::InvalidHeader => "invalid header".to_owned(),
            Kind::Connect => "could not reach the server".to_owned(),
            Kind::Timeout => "the call timed out".to_owned(),
            Kind::Status(status) => format!("the server answered with HTTP {status}"),
            Kind::Body => "could not read the body".to_owned(),
            Kind::TooLarge => "the answer is too large".to_owned(),
        };
        f.write_str(&what)?;
        if let Some(source) = &self.inner.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|source| source as &(dyn std::error::Error + 'static))
    }
}
