//! One-pass, borrowing parse of request messages.
//!
//! A message of the common shape is read by the scanner of `fast.rs`; any
//! other goes through `serde_json` once, here. The method name is borrowed
//! (`Cow` only allocates when the name holds escapes), `params` and `id` are
//! kept as raw slices of the input. Every value is accepted by the visitors
//! here, whatever its type, so a wrong type in one member turns that entry
//! into an "invalid request" instead of aborting the parse; only malformed
//! JSON aborts it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::id::{classify, Id};
use crate::error::Error;
use crate::params::Params;

/// A well-formed request or notification, borrowed from the message it came in.
///
/// Transports and middleware see this type; methods see its parts through
/// [`Params`](crate::Params) and [`Context`](crate::Context).
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub(super) method: Cow<'a, str>,
    /// The member's JSON text, proven valid by the parser.
    pub(super) params: Option<&'a str>,
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

/// The nesting depth at which `serde_json` itself stops recursing; deeper
/// limits could not be honoured for the parts it recurses into.
pub(crate) const PARSER_MAX_DEPTH: usize = 128;

/// Parses a message body in one pass.
#[inline]
pub(crate) fn parse_message(
    input: &[u8],
    max_batch_len: usize,
    max_depth: usize,
) -> Result<Message<'_>, MessageError> {
    // `serde_json` skips raw values (our `params`) without a depth guard, so
    // the limit is checked here: a message can only be too deep if it holds
    // more than `max_depth` opening brackets, which a SIMD search rules out
    // for nearly every message; the exact scan runs only past that bound.
    if has_more_openings_than(input, max_depth) && exceeds_depth(input, max_depth) {
        return Err(MessageError::TooDeep { limit: max_depth });
    }
    // One validation of the whole text: a bad byte anywhere is a parse error,
    // and the parser need not check strings again.
    let text = std::str::from_utf8(input).map_err(|err| {
        MessageError::Parse(format!("invalid UTF-8 at byte {}", err.valid_up_to()))
    })?;
    match super::fast::parse_message(text, max_batch_len) {
        Some(message) => Ok(message),
        None => parse_with_serde(text, max_batch_len),
    }
}

/// The full parse, for the messages the fast scanner gives up on: each gets
/// its exact entry or error here.
///
/// Only text that is not JSON is a parse error. Values are read raw before
/// they are judged, so that valid JSON `serde_json` cannot turn into a value
/// (a number beyond `f64`, a lone surrogate escape) is an invalid entry, not
/// a failed message.
pub(super) fn parse_with_serde(
    text: &str,
    max_batch_len: usize,
) -> Result<Message<'_>, MessageError> {
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    let mut de = serde_json::Deserializer::from_str(text);
    let parse_error = |err: serde_json::Error| MessageError::Parse(describe(&err));
    let message = match first {
        Some(b'[') => {
            let mut too_large = false;
            let seed = BatchSeed {
                max_len: max_batch_len,
                too_large: &mut too_large,
            };
            let entries = seed.deserialize(&mut de).map_err(parse_error)?;
            // Text that is not JSON is a parse error whatever else is wrong.
            de.end().map_err(parse_error)?;
            if too_large {
                return Err(MessageError::BatchTooLarge {
                    limit: max_batch_len,
                });
            }
            if entries.is_empty() {
                return Err(MessageError::EmptyBatch);
            }
            Message::Batch(entries)
        }
        Some(b'{') => Message::Single(EntrySeed.deserialize(&mut de).map_err(parse_error)?),
        _ => {
            IgnoredAny::deserialize(&mut de).map_err(parse_error)?;
            de.end().map_err(parse_error)?;
            return Err(MessageError::NotAMessage);
        }
    };
    de.end().map_err(parse_error)?;
    Ok(message)
}

/// A `serde_json` error's text without the position suffix when it has one.
pub(crate) fn describe(err: &serde_json::Error) -> String {
    let mut text = err.to_string();
    if err.line() > 0 {
        if let Some(at) = text.rfind(" at line ") {
            text.truncate(at);
            text.push_str(&format!(" (line {}, column {})", err.line(), err.column()));
        }
    }
    text
}

/// Whether `input` holds more than `limit` `[` and `{` bytes, strings
/// included: the cheap necessary condition for being nested deeper than `limit`.
fn has_more_openings_than(input: &[u8], limit: usize) -> bool {
    input.len() > limit && memchr::memchr2_iter(b'[', b'{', input).nth(limit).is_some()
}

/// Whether `input` nests arrays/objects deeper than `limit`, ignoring brackets inside strings.
fn exceeds_depth(input: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in input {
        if in_string {
            if escaped {
                escaped = false;
            } else if byte == b'\\' {
                escaped = true;
            } else if byte == b'"' {
                in_string = false;
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

struct BatchSeed<'f> {
    max_len: usize,
    too_large: &'f mut bool,
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_> {
    type Value = Vec<Entry<'de>>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_> {
    type Value = Vec<Entry<'de>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a batch of requests")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(seq.size_hint().unwrap_or(8).min(64));
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            if entries.len() == self.max_len {
                // Too many; the rest is still read, so that text which is
                // not JSON is told as such.
                *self.too_large = true;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                break;
            }
            entries.push(entry_of(raw));
        }
        Ok(entries)
    }
}

/// One element of a batch, read raw (so it is valid JSON), judged as a request.
fn entry_of(raw: &RawValue) -> Entry<'_> {
    if !raw.get().starts_with('{') {
        return Entry::Invalid {
            id: None,
            reason: "a request must be a JSON object",
        };
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    EntrySeed.deserialize(&mut de).unwrap_or(Entry::Invalid {
        id: None,
        reason: "the request object could not be read",
    })
}

/// Reads one request object, judged without failing on its members' types.
struct EntrySeed;

impl<'de> DeserializeSeed<'de> for EntrySeed {
    type Value = Entry<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(EntryVisitor)
    }
}

struct EntryVisitor;

/// A request member's name (the fast scanner reads only the four known ones).
#[derive(Clone, Copy)]
pub(super) enum Member {
    JsonRpc,
    Method,
    Params,
    Id,
    Other,
}

impl<'de> Deserialize<'de> for Member {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Raw, as member values are: the name is checked as JSON text (no
        // raw control characters) without failing on what it decodes to; a
        // name that is not valid Unicode (a lone surrogate escape) is just
        // another unknown member.
        let raw = <&'de RawValue>::deserialize(deserializer)?;
        Ok(match string_value(raw).as_deref() {
            Ok("jsonrpc") => Member::JsonRpc,
            Ok("method") => Member::Method,
            Ok("params") => Member::Params,
            Ok("id") => Member::Id,
            _ => Member::Other,
        })
    }
}

/// The string a raw member holds: borrowed when it has no escapes (the usual
/// case, and no second parse), decoded otherwise. Reading members raw keeps a
/// bad value (a number, a lone surrogate escape) an error of its own entry
/// instead of the whole message.
fn string_value(raw: &RawValue) -> Result<Cow<'_, str>, &'static str> {
    let text = raw.get();
    let Some(inner) = text
        .strip_prefix('"')
        .and_then(|rest| rest.strip_suffix('"'))
    else {
        return Err("`method` must be a string");
    };
    if !inner.contains('\\') {
        return Ok(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text)
        .map(Cow::Owned)
        .map_err(|_| "`method` must be a valid string (it holds a bad escape)")
}

impl<'de> Visitor<'de> for EntryVisitor {
    type Value = Entry<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a request object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut version: Option<&'de RawValue> = None;
        let mut method: Option<&'de RawValue> = None;
        let mut params: Option<&'de RawValue> = None;
        let mut id: Option<&'de RawValue> = None;
        let mut duplicate = false;

        while let Some(member) = map.next_key::<Member>()? {
            match member {
                Member::JsonRpc => {
                    duplicate |= version.is_some();
                    version = Some(map.next_value()?);
                }
                Member::Method => {
                    duplicate |= method.is_some();
                    method = Some(map.next_value()?);
                }
                Member::Params => {
                    duplicate |= params.is_some();
                    params = Some(map.next_value()?);
                }
                Member::Id => {
                    duplicate |= id.is_some();
                    id = Some(map.next_value()?);
                }
                Member::Other => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }

        // The id is judged first so that an otherwise invalid request still
        // carries a readable id back to the caller.
        let id = match id {
            None => None,
            Some(raw) if classify(raw.get()).is_some() => Some(Id::from_checked(raw.get())),
            Some(_) => {
                return Ok(Entry::Invalid {
                    id: None,
                    reason: "`id` must be a string, a number or null",
                })
            }
        };
        let invalid = |reason| {
            Ok(Entry::Invalid {
                id: id.clone(),
                reason,
            })
        };
        if duplicate {
            return invalid("a member appears more than once");
        }
        match version.map(string_value) {
            Some(Ok(version)) if version == "2.0" => {}
            Some(_) => return invalid("`jsonrpc` must be exactly \"2.0\""),
            None => return invalid("missing `jsonrpc` member"),
        }
        let method = match method.map(string_value) {
            Some(Ok(name)) => name,
            Some(Err(reason)) => return invalid(reason),
            None => return invalid("missing `method` member"),
        };
        if let Some(raw) = params {
            if !matches!(raw.get().as_bytes().first(), Some(b'[' | b'{')) {
                return invalid("`params` must be an array or an object");
            }
        }
        Ok(Entry::Valid(Request {
            method,
            params: params.map(RawValue::get),
            id,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(input: &str) -> Entry<'_> {
        match parse_message(input.as_bytes(), 1000, 128).unwrap() {
            Message::Single(entry) => entry,
            Message::Batch(_) => panic!("batch"),
        }
    }

    fn valid(input: &str) -> Request<'_> {
        match single(input) {
            Entry::Valid(request) => request,
            Entry::Invalid { reason, .. } => panic!("invalid: {reason}"),
        }
    }

    fn invalid(input: &str) -> (Option<String>, &'static str) {
        match single(input) {
            Entry::Invalid { id, reason } => (id.map(|id| id.as_json().to_owned()), reason),
            Entry::Valid(request) => panic!("valid: {request:?}"),
        }
    }

    #[test]
    fn borrows_method_params_and_id() {
        let request = valid(r#"{"jsonrpc":"2.0","method":"add","params":[1, 2],"id":1e3}"#);
        assert!(matches!(request.method, Cow::Borrowed("add")));
        assert_eq!(request.params().text(), Some("[1, 2]"));
        assert_eq!(request.id().unwrap().as_json(), "1e3");
    }

    #[test]
    fn absent_id_is_a_notification_and_null_id_is_not() {
        assert!(valid(r#"{"jsonrpc":"2.0","method":"a"}"#).is_notification());
        let request = valid(r#"{"jsonrpc":"2.0","method":"a","id":null}"#);
        assert!(!request.is_notification());
        assert!(request.id().unwrap().is_null());
    }

    #[test]
    fn escaped_method_names_are_decoded() {
        let request = valid(r#"{"jsonrpc":"2.0","method":"a\u0064d","id":1}"#);
        assert_eq!(request.method(), "add");
    }

    #[test]
    fn member_order_and_unknown_members_do_not_matter() {
        let request =
            valid(r#"{"id":"x","extra":{"deep":[1]},"params":{},"method":"m","jsonrpc":"2.0"}"#);
        assert_eq!(request.method(), "m");
        assert_eq!(request.id().unwrap().as_json(), r#""x""#);
    }

    #[test]
    fn version_must_be_exactly_2_0() {
        for version in [r#""1.0""#, r#""2""#, "2.0", "null", r#"["2.0"]"#] {
            let text = format!(r#"{{"jsonrpc":{version},"method":"m","id":1}}"#);
            let (id, reason) = invalid(&text);
            assert_eq!(id.as_deref(), Some("1"));
            assert!(reason.contains("jsonrpc"), "{reason}");
        }
        assert!(invalid(r#"{"method":"m","id":1}"#).1.contains("jsonrpc"));
    }

    #[test]
    fn method_must_be_a_string() {
        for method in ["1", "null", "{}", "[\"a\"]", "true"] {
            let text = format!(r#"{{"jsonrpc":"2.0","method":{method},"id":1}}"#);
            assert!(invalid(&text).1.contains("method"));
        }
        assert!(invalid(r#"{"jsonrpc":"2.0","id":1}"#).1.contains("method"));
    }

    #[test]
    fn params_must_be_structured() {
        for params in ["1", "\"a\"", "null", "true"] {
            let text = format!(r#"{{"jsonrpc":"2.0","method":"m","params":{params},"id":1}}"#);
            assert!(invalid(&text).1.contains("params"));
        }
    }

    #[test]
    fn ids_of_the_wrong_type_are_refused_and_not_echoed() {
        for id in ["true", "[1]", "{}"] {
            let text = format!(r#"{{"jsonrpc":"2.0","method":"m","id":{id}}}"#);
            let (echoed, reason) = invalid(&text);
            assert_eq!(echoed, None);
            assert!(reason.contains("id"));
        }
    }

    #[test]
    fn duplicate_members_are_refused() {
        assert!(
            invalid(r#"{"jsonrpc":"2.0","method":"a","method":"b","id":1}"#)
                .1
                .contains("more than once")
        );
    }

    #[test]
    fn message_level_errors() {
        fn parse(s: &str) -> Result<Message<'_>, MessageError> {
            parse_message(s.as_bytes(), 3, 128)
        }
        assert!(matches!(parse(""), Err(MessageError::Parse(_))));
        assert!(matches!(parse("{"), Err(MessageError::Parse(_))));
        assert!(matches!(parse("1"), Err(MessageError::NotAMessage)));
        assert!(matches!(parse("\"x\""), Err(MessageError::NotAMessage)));
        assert!(matches!(parse("[]"), Err(MessageError::EmptyBatch)));
        assert!(matches!(
            parse("[1,2,3,4]"),
            Err(MessageError::BatchTooLarge { limit: 3 })
        ));
        assert!(matches!(
            parse(r#"{"jsonrpc":"2.0","method":"a"} x"#),
            Err(MessageError::Parse(_))
        ));
        assert!(matches!(parse("[1,2,3]"), Ok(Message::Batch(entries)) if entries.len() == 3));
        assert!(matches!(parse(" \n[1] \n"), Ok(Message::Batch(_))));
        // Text that is not JSON is a parse error, whatever else is wrong with it.
        for not_json in ["[]x", "[] ]", "[1,2,3,4,", "[1,2,3,4] x", "[1,2,3,4,}]"] {
            assert!(
                matches!(parse(not_json), Err(MessageError::Parse(_))),
                "{not_json}"
            );
        }
    }

    #[test]
    fn valid_json_that_serde_cannot_build_is_an_invalid_entry() {
        // A number beyond f64 and a lone surrogate escape are valid JSON.
        for scalar in ["1e400", r#""\udc00""#, "-1e999"] {
            assert!(
                matches!(
                    parse_message(scalar.as_bytes(), 10, 128),
                    Err(MessageError::NotAMessage)
                ),
                "{scalar}"
            );
            let batch = format!(r#"[{{"jsonrpc":"2.0","method":"a","id":1}},{scalar}]"#);
            let Ok(Message::Batch(entries)) = parse_message(batch.as_bytes(), 10, 128) else {
                panic!("{batch}: not read as a batch");
            };
            assert!(matches!(&entries[0], Entry::Valid(request) if request.method() == "a"));
            assert!(
                matches!(&entries[1], Entry::Invalid { id: None, .. }),
                "{batch}"
            );
        }
        // A member name that is not valid Unicode is just an unknown member.
        let request = valid(r#"{"jsonrpc":"2.0","method":"a","id":1,"\ud800":0}"#);
        assert_eq!(request.id().unwrap().as_json(), "1");
        let in_batch = r#"[{"jsonrpc":"2.0","method":"a","\ud800":1e400,"id":2}]"#;
        let Ok(Message::Batch(entries)) = parse_message(in_batch.as_bytes(), 10, 128) else {
            panic!("not read as a batch");
        };
        assert!(
            matches!(&entries[0], Entry::Valid(request) if request.id().unwrap().as_json() == "2")
        );
    }

    #[test]
    fn invalid_utf8_is_a_parse_error() {
        let input = b"{\"jsonrpc\":\"2.0\",\"method\":\"\xff\",\"id\":1}";
        assert!(matches!(
            parse_message(input, 10, 128),
            Err(MessageError::Parse(_))
        ));
    }

    #[test]
    fn depth_limit_below_the_parser_guard_is_enforced_outside_strings() {
        let deep = r#"{"jsonrpc":"2.0","method":"m","params":[[[["x"]]]],"id":1}"#;
        assert!(matches!(
            parse_message(deep.as_bytes(), 10, 4),
            Err(MessageError::TooDeep { limit: 4 })
        ));
        assert!(parse_message(deep.as_bytes(), 10, 5).is_ok());
        let brackets_in_string = r#"{"jsonrpc":"2.0","method":"m","params":["[[[[[\"[[["],"id":1}"#;
        assert!(parse_message(brackets_in_string.as_bytes(), 10, 2).is_ok());
    }

    #[test]
    fn very_deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_message(deep.as_bytes(), 10, 128),
            Err(MessageError::TooDeep { limit: 128 })
        ));
        let deep_params = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":{}"#,
            "[".repeat(100_000)
        );
        assert!(matches!(
            parse_message(deep_params.as_bytes(), 10, 128),
            Err(MessageError::TooDeep { .. })
        ));
        // Many brackets inside strings are not depth.
        let in_strings = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":["{}"],"id":1}}"#,
            "[".repeat(1000)
        );
        assert!(parse_message(in_strings.as_bytes(), 10, 128).is_ok());
    }
}
