//! Limits the dispatcher enforces on every message.

use crate::protocol::PARSER_MAX_DEPTH;

/// Bounds on what one message may ask of the server.
///
/// | limit | default | when exceeded |
/// |---|---|---|
/// | [`max_batch_len`](Self::max_batch_len) | 1000 entries (as go-ethereum) | one `-32600` error, id `null` |
/// | [`max_depth`](Self::max_depth) | 128 levels of arrays/objects | one `-32700` error, id `null` |
/// | [`batch_concurrency`](Self::batch_concurrency) | 32 entries at once | further entries wait for a free slot |
///
/// Transports add their own (body size, connections, timeouts).
///
/// ```
/// use rpc_core::{Limits, Router};
///
/// let limits = Limits::default().with_max_batch_len(50).with_max_depth(16);
/// let router = Router::new().with_limits(limits);
/// assert_eq!(router.limits().max_batch_len(), 50);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    max_batch_len: usize,
    max_depth: usize,
    batch_concurrency: usize,
}

impl Limits {
    /// Default for [`max_batch_len`](Self::max_batch_len).
    pub const DEFAULT_MAX_BATCH_LEN: usize = 1000;
    /// Default for [`max_depth`](Self::max_depth), and its highest value.
    pub const DEFAULT_MAX_DEPTH: usize = PARSER_MAX_DEPTH;
    /// Default for [`batch_concurrency`](Self::batch_concurrency).
    pub const DEFAULT_BATCH_CONCURRENCY: usize = 32;

    /// The most entries a batch may hold. `0` refuses every batch.
    pub fn max_batch_len(&self) -> usize {
        self.max_batch_len
    }

    /// The deepest nesting of arrays and objects a message may have, counting
    /// the request object itself.
    pub fn max_depth(&self) -> usize {
        self.max_depth
    }

    /// How many entries of one batch may run at the same time. Synchronous
    /// entries before the first asynchronous one run in place and do not
    /// count; from the first asynchronous entry on, every entry takes a slot.
    pub fn batch_concurrency(&self) -> usize {
        self.batch_concurrency
    }

    /// Sets [`max_batch_len`](Self::max_batch_len).
    #[must_use]
    pub fn with_max_batch_len(mut self, len: usize) -> Self {
        self.max_batch_len = len;
        self
    }

    /// Sets [`max_depth`](Self::max_depth). Values above 128 are lowered to
    /// 128, the depth at which the JSON parser itself stops, which is what
    /// keeps a deeply nested message from ever overflowing the stack.
    #[must_use]
    pub fn with_max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth.min(PARSER_MAX_DEPTH);
        self
    }

    /// Sets [`batch_concurrency`](Self::batch_concurrency) (at least 1).
    #[must_use]
    pub fn with_batch_concurrency(mut self, width: usize) -> Self {
        self.batch_concurrency = width.max(1);
        self
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_batch_len: Self::DEFAULT_MAX_BATCH_LEN,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            batch_concurrency: Self::DEFAULT_BATCH_CONCURRENCY,
        }
    }
}
