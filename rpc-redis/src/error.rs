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
    Refused,
}

impl ConnectError {
    pub(crate) fn invalid_url(source: redis::RedisError) -> Self {
        Self {
            kind: Kind::InvalidUrl,
            source,
        }
    }

    /// Sorts a failed first round trip: Redis answered with a refusal
    /// (a password wanted or wrong, no RESP3), or did not answer at all.
    pub(crate) fn failed(source: redis::RedisError) -> Self {
        let answered = !(source.is_io_error()
            || source.is_timeout()
            || source.is_connection_refusal()
            || source.is_connection_dropped());
        Self {
            kind: if answered {
                Kind::Refused
            } else {
                Kind::Unreachable
            },
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

    /// Whether Redis answered but would not take the broker: a password
    /// wanted or wrong, or a Redis older than 6 (no RESP3).
    pub fn is_refused(&self) -> bool {
        self.kind == Kind::Refused
    }
}

impl fmt::Display for ConnectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::InvalidUrl => write!(f, "invalid Redis URL: {}", self.source),
            Kind::Unreachable => write!(f, "Redis is unreachable: {}", self.source),
            Kind::Refused => write!(f, "Redis refused the connection: {}", self.source),
        }
    }
}

impl std::error::Error for ConnectError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}
