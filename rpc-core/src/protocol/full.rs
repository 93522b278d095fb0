//! The full parse, with `serde_json`, for every message the byte scanner
//! of `fast.rs` does not take: escapes, unknown or repeated members, wrong
//! types, syntax errors.
//!
//! The method name is borrowed (`Cow` only allocates when the name holds
//! escapes); `params` and `id` are kept as raw slices of the input. Every
//! value is accepted by the visitors here, whatever its type, so a wrong
//! type in one member turns that entry into an "invalid request" instead of
//! aborting the parse; only malformed JSON aborts it.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::id::{classify, Id};
use super::message::{Entry, Member, Message, MessageError, Request};

/// The full parse, for the messages the fast scanner gives up on: each gets
/// its exact entry or error here.
///
/// Only text that is not JSON is a parse error. Values are read raw before
/// they are judged, so that valid JSON `serde_json` cannot turn into a value
/// (a number beyond `f64`, a lone surrogate escape) is an invalid entry, not
/// a failed message.
///
/// `bare_params` names the methods whose `params` may be a bare value (a
/// router's non-standard opt-in); every other method's must be structured.
pub(super) fn parse_message<'a>(
    text: &'a str,
    max_batch_len: usize,
    bare_params: &[Box<str>],
) -> Result<Message<'a>, MessageError> {
    let entry = EntrySeed { bare_params };
    let first = text.bytes().find(|b| !b.is_ascii_whitespace());
    let mut de = serde_json::Deserializer::from_str(text);
    let parse_error = |err: serde_json::Error| MessageError::Parse(describe(&err));
    let message = match first {
        Some(b'[') => {
            let mut too_large = false;
            let seed = BatchSeed {
                max_len: max_batch_len,
                too_large: &mut too_large,
                entry,
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
        Some(b'{') => Message::Single(entry.deserialize(&mut de).map_err(parse_error)?),
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

struct BatchSeed<'f> {
    max_len: usize,
    too_large: &'f mut bool,
    entry: EntrySeed<'f>,
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
            entries.push(self.entry.entry_of(raw));
        }
        Ok(entries)
    }
}

/// Reads one request object, judged without failing on its members' types.
#[derive(Clone, Copy)]
struct EntrySeed<'b> {
    /// Methods whose `params` may be a bare value.
    bare_params: &'b [Box<str>],
}

impl EntrySeed<'_> {
    /// One element of a batch, read raw (so it is valid JSON), judged as a request.
    fn entry_of(self, raw: &RawValue) -> Entry<'_> {
        if !raw.get().starts_with('{') {
            return Entry::Invalid {
                id: None,
                reason: "a request must be a JSON object",
            };
        }
        let mut de = serde_json::Deserializer::from_str(raw.get());
        self.deserialize(&mut de).unwrap_or(Entry::Invalid {
            id: None,
            reason: "the request object could not be read",
        })
    }
}

impl<'de> DeserializeSeed<'de> for EntrySeed<'_> {
    type Value = Entry<'de>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(EntryVisitor {
            bare_params: self.bare_params,
        })
    }
}

struct EntryVisitor<'b> {
    bare_params: &'b [Box<str>],
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

impl<'de> Visitor<'de> for EntryVisitor<'_> {
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
            if !matches!(raw.get().as_bytes().first(), Some(b'[' | b'{'))
                && !self.bare_params.iter().any(|bare| **bare == *method)
            {
                return invalid("`params` must be an array or an object");
            }
        }
        Ok(Entry::Valid(Request {
            method,
            params: params.map(RawValue::get),
            params_checked: true,
            id,
        }))
    }
}
