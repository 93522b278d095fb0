//! [`ConnectError`]: why a broker could not start.

use std::fmt;

/// Why [`RedisBroker::connect`](crate::RedisBroker::connect) failed.
///
/// Opaque on purpose: ask with the `is_*` predicates, and do not depend on
/// the `Display` text.
#[derive(Debug)]
pub struct ConnectError {
    kind: Kind,
    source: redis::RedisError,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    InvalidUrl,
    Unreachable,
}

impl ConnectError {
    pub(crate) fn invalid_url(source: redis::RedisError) -> Self {
        Self {
            kind: Kind::InvalidUrl,
            source,
        }
    }

    pub(crate) fn unreachable(source: redis::RedisError) -> Self {
        Self {
            kind: Kind::Unreachable,
            source,
        }
    }

    /// Whether the URL could not be read as a Redis address.
    pub fn is_invalid_url(&self) -> bool {
        self.kind == Kind::InvalidUrl
    }

    /// Whether Redis did not answer within the connect timeout.
    pub fn is_unreachable(&self) -> bool {
        self.kind == Kind::Unreachable
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::InvalidUrl => write!(f, "invalid Redis URL: {}", self.source),
            Kind::Unreachable => write!(f, "Redis is unreachable: {}", self.source),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
