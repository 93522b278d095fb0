//! Request ids, kept as the exact JSON text the peer sent.

use std::borrow::Cow;
use std::fmt;

/// A request id: a JSON number, string or `null`, kept as the exact text that
/// was on the wire.
///
/// The server copies it back byte for byte, so ids such as `1.0`, `1e3`,
/// `"\u00e9"` or a 30-digit integer survive unchanged: nothing is converted
/// through a float or re-escaped. A *missing* id (a notification) is not an
/// `Id` at all; it is `None` where an `Option<Id>` is expected.
///
/// ```
/// use rpc_core::Id;
///
/// let id = Id::from_json("123456789012345678901234567890").unwrap();
/// assert_eq!(id.as_json(), "123456789012345678901234567890");
/// assert!(id.is_number());
/// assert_eq!(Id::number(7).as_u64(), Some(7));
/// assert_eq!(Id::string("a\"b").as_json(), r#""a\"b""#);
/// assert!(Id::from_json("[1]").is_none());
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Id<'a>(Cow<'a, str>);

impl<'a> Id<'a> {
    /// The `null` id.
    pub const NULL: Id<'static> = Id(Cow::Borrowed("null"));

    /// An id from JSON text, if the text is one valid JSON number, string or
    /// `null` (surrounding whitespace is not allowed).
    pub fn from_json(json: &'a str) -> Option<Self> {
        if json.ends_with(|c: char| c.is_ascii_whitespace()) {
            return None;
        }
        let kind = classify(json)?;
        // A cheap first-byte check decides the kind; a full parse proves the text is exactly one value.
        let valid = match kind {
            IdKind::Null => json == "null",
            IdKind::Number => serde_json::from_str::<&serde_json::value::RawValue>(json).is_ok(),
            IdKind::String => serde_json::from_str::<Cow<'_, str>>(json).is_ok(),
        };
        valid.then_some(Id(Cow::Borrowed(json)))
    }

    /// Wraps JSON text the parser has already checked to be a number, string or null.
    pub(crate) fn from_checked(json: &'a str) -> Self {
        Id(Cow::Borrowed(json))
    }

    /// A numeric id.
    pub fn number(n: u64) -> Id<'static> {
        Id(Cow::Owned(n.to_string()))
    }

    /// A string id (escaped as JSON needs).
    pub fn string(s: &str) -> Id<'static> {
        Id(Cow::Owned(
            serde_json::to_string(s).expect("a string always serializes"),
        ))
    }

    /// The JSON text of the id, exactly as received.
    pub fn as_json(&self) -> &str {
        &self.0
    }

    /// Whether the id is a JSON number.
    pub fn is_number(&self) -> bool {
        classify(&self.0) == Some(IdKind::Number)
    }

    /// Whether the id is a JSON string.
    pub fn is_string(&self) -> bool {
        classify(&self.0) == Some(IdKind::String)
    }

    /// Whether the id is `null`.
    pub fn is_null(&self) -> bool {
        &*self.0 == "null"
    }

    /// The id as an unsigned integer, when it is written as one.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }

    /// The id's string value with escapes decoded, when it is a string.
    pub fn as_str(&self) -> Option<Cow<'_, str>> {
        if self.is_string() {
            serde_json::from_str(&self.0).ok()
        } else {
            None
        }
    }

    /// Detaches the id from the buffer it was parsed from.
    pub fn into_owned(self) -> Id<'static> {
        Id(Cow::Owned(self.0.into_owned()))
    }
}

impl fmt::Debug for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Id({})", self.0)
    }
}

impl fmt::Display for Id<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    Number,
    String,
    Null,
}

/// Tells an id's kind from the first byte of valid JSON text; `None` for
/// booleans, arrays and objects, which the specification does not allow as ids.
pub(crate) fn classify(json: &str) -> Option<IdKind> {
    match json.as_bytes().first()? {
        b'"' => Some(IdKind::String),
        b'-' | b'0'..=b'9' => Some(IdKind::Number),
        b'n' => Some(IdKind::Null),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_numbers_byte_for_byte() {
        for text in [
            "1",
            "1.0",
            "1e3",
            "-0",
            "123456789012345678901234567890",
            "1.5E-7",
        ] {
            let id = Id::from_json(text).unwrap();
            assert_eq!(id.as_json(), text);
            assert!(id.is_number());
        }
    }

    #[test]
    fn keeps_strings_with_escapes() {
        let id = Id::from_json(r#""\u00e9\n""#).unwrap();
        assert_eq!(id.as_json(), r#""\u00e9\n""#);
        assert_eq!(id.as_str().unwrap(), "é\n");
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        for text in [
            "true", "false", "[1]", "{}", "", " 1", "1 ", "\"open", "01x", "nul",
        ] {
            assert!(Id::from_json(text).is_none(), "{text:?} accepted");
        }
    }

    #[test]
    fn null_is_an_id() {
        assert!(Id::from_json("null").unwrap().is_null());
        assert_eq!(Id::NULL.as_json(), "null");
    }
}
