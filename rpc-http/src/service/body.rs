//! The request body, read up to its limit.

use bytes::{Buf, Bytes};

/// The request body read so far: its one chunk (no copy), or the chunks joined.
#[derive(Default)]
pub(super) struct Received {
    first: Option<Bytes>,
    joined: Vec<u8>,
}

impl Received {
    /// Adds a chunk; `false` when the body grows past `limit` bytes.
    /// `expected` is what the body says is still to come (its length, for
    /// a `Content-Length` body), to size the joined buffer once.
    #[inline]
    pub(super) fn push(&mut self, data: &mut impl Buf, limit: usize, expected: u64) -> bool {
        let had = self.first.as_ref().map_or(self.joined.len(), Bytes::len);
        if data.remaining() > limit.saturating_sub(had) {
            return false;
        }
        if self.first.is_none() && self.joined.is_empty() {
            self.first = Some(data.copy_to_bytes(data.remaining()));
            return true;
        }
        if let Some(first) = self.first.take() {
            let total = (first.len() + data.remaining())
                .saturating_add(usize::try_from(expected).unwrap_or(usize::MAX));
            // Capped: a declared length is only a claim until the bytes come.
            self.joined.reserve(total.min(limit).min(1 << 20));
            self.joined.extend_from_slice(&first);
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            self.joined.extend_from_slice(chunk);
            let read = chunk.len();
            data.advance(read);
        }
        true
    }

    pub(super) fn take(&mut self) -> Bytes {
        match self.first.take() {
            Some(first) => first,
            None => Bytes::from(std::mem::take(&mut self.joined)),
        }
    }
}
