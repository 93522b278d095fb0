//! The parsed shape of a request message: requests, batch entries, and
//! why a message could not be read at all.
//!
//! Both readers of `parse.rs` (the byte scanner of `fast.rs` and the full
//! parse of `full.rs`) build these types; nothing here parses.

use std::borrow::Cow;

use super::id::Id;
use crate::error::Error;
use crate::params::Params;

/// A well-formed request or notification, borrowed from the message it came in.
///
/// Transports and middleware see this type; methods see its parts through
/// [`Params`](crate::Params) and [`Context`](crate::Context).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub(super) method: Cow<'a, str>,
    /// The member's JSON text: proven valid by the parser, or, when
    /// `params_checked` is false, only known to be a bracketed span.
    pub(super) params: Option<&'a str>,
    pub(super) params_checked: bool,
    pub(super) id: Option<Id<'a>>,
}

impl<'a> Request<'a> {
    /// The method name.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The `params` member (its [`text`](Params::text) is `None` when the
    /// request has none; otherwise it is an array or an object).
    pub fn params(&self) -> Params<'a> {
        Params::from_checked(self.params)
    }

    /// Whether the `params` text is known to be valid JSON: true unless the
    /// request was read for a method that decodes its params before
    /// anything else, which then checks them (see `Router::parse`).
    pub(crate) fn params_checked(&self) -> bool {
        self.params_checked
    }

    /// The id; `None` for a notification. `Some(Id::NULL)` is a request with
    /// an explicit `"id": null`, which is answered.
    pub fn id(&self) -> Option<&Id<'a>> {
        self.id.as_ref()
    }

    /// Whether this is a notification (no `id` member), which gets no answer.
    pub fn is_notification(&self) -> bool {
        self.id.is_none()
    }
}

/// One element of a message: a request, or why it is not one.
#[derive(Debug)]
pub(crate) enum Entry<'a> {
    Valid(Request<'a>),
    Invalid {
        /// The id, when one could be read; the answer then carries it.
        id: Option<Id<'a>>,
        reason: &'static str,
    },
}

/// A parsed message body.
#[derive(Debug)]
pub(crate) enum Message<'a> {
    Single(Entry<'a>),
    Batch(Vec<Entry<'a>>),
}

/// Why a body could not be turned into entries; answered with one error and a `null` id.
#[derive(Debug)]
pub(crate) enum MessageError {
    /// Not JSON at all, or JSON the parser refused (too deep, bad UTF-8, trailing bytes).
    Parse(String),
    /// Valid JSON that is neither an object nor an array: `1`, `"x"`, `null`.
    NotAMessage,
    /// `[]`.
    EmptyBatch,
    /// More entries than the configured limit.
    BatchTooLarge { limit: usize },
    /// Nested deeper than the configured limit.
    TooDeep { limit: usize },
}

impl MessageError {
    pub(crate) fn into_error(self) -> Error {
        match self {
            MessageError::Parse(reason) => Error::parse_error().with_data(&reason),
            MessageError::NotAMessage => Error::invalid_request()
                .with_data("a request must be a JSON object, or a batch: an array of them"),
            MessageError::EmptyBatch => Error::invalid_request().with_data("empty batch"),
            MessageError::BatchTooLarge { limit } => {
                Error::invalid_request().with_data(&format!("batch has more than {limit} entries"))
            }
            MessageError::TooDeep { limit } => {
                Error::parse_error().with_data(&format!("JSON nested deeper than {limit} levels"))
            }
        }
    }
}

/// A request member's name (the fast scanner reads only the four known ones).
#[derive(Clone, Copy)]
pub(super) enum Member {
    JsonRpc,
    Method,
    Params,
    Id,
    Other,
}
