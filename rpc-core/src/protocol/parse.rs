//! The entry point of request parsing: the depth limit and UTF-8 are checked
//! first, then the byte scanner of `fast.rs` reads the common shape and the
//! full parse of `full.rs` everything else. The two are siblings: neither
//! calls the other.

use super::fast::DecodesFirst;
use super::message::{Message, MessageError};

/// The nesting depth at which `serde_json` itself stops recursing; deeper
/// limits could not be honoured for the parts it recurses into.
pub(crate) const PARSER_MAX_DEPTH: usize = 128;

/// Parses a message body in one pass.
#[inline]
///
/// `bare_params` names the methods whose `params` may be a bare value
/// instead of an array or object: a non-standard opt-in of the router
/// ([`Router::accept_bare_params`](crate::Router::accept_bare_params)),
/// empty unless a user asks.
///
/// With `decodes_first`, a single request's `params` may be left unchecked
/// for the methods that decode them first (see `fast::parse_message`).
pub(crate) fn parse_message<'a>(
    input: &'a [u8],
    max_batch_len: usize,
    max_depth: usize,
    bare_params: &[Box<str>],
    decodes_first: DecodesFirst<'_>,
) -> Result<Message<'a>, MessageError> {
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
    match super::fast::parse_message(text, max_batch_len, decodes_first) {
        Some(message) => Ok(message),
        None => super::full::parse_message(text, max_batch_len, bare_params),
    }
}

/// The byte scanner's reading of `input` beside the full parse's, both as
/// debug text, when the scanner takes the message; `None` when the limits
/// refuse it first or the scanner leaves it to the full parse. For the fuzz
/// targets (built with `--cfg fuzzing`), which hold the two in agreement.
#[cfg(fuzzing)]
pub fn scanner_and_full_parse(input: &[u8], max_batch_len: usize) -> Option<(String, String)> {
    let max_depth = PARSER_MAX_DEPTH;
    if has_more_openings_than(input, max_depth) && exceeds_depth(input, max_depth) {
        return None;
    }
    let text = std::str::from_utf8(input).ok()?;
    let fast = super::fast::parse_message(text, max_batch_len, None)?;
    let full = super::full::parse_message(text, max_batch_len, &[]);
    Some((
        format!("{:?}", Ok::<_, ()>(&fast)),
        format!("{:?}", full.as_ref().map_err(drop)),
    ))
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::super::message::{Entry, Request};
    use super::*;

    fn single(input: &str) -> Entry<'_> {
        match parse_message(input.as_bytes(), 1000, 128, &[], None).unwrap() {
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
            parse_message(s.as_bytes(), 3, 128, &[], None)
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
                    parse_message(scalar.as_bytes(), 10, 128, &[], None),
                    Err(MessageError::NotAMessage)
                ),
                "{scalar}"
            );
            let batch = format!(r#"[{{"jsonrpc":"2.0","method":"a","id":1}},{scalar}]"#);
            let Ok(Message::Batch(entries)) = parse_message(batch.as_bytes(), 10, 128, &[], None)
            else {
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
        let Ok(Message::Batch(entries)) = parse_message(in_batch.as_bytes(), 10, 128, &[], None)
        else {
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
            parse_message(input, 10, 128, &[], None),
            Err(MessageError::Parse(_))
        ));
    }

    #[test]
    fn depth_limit_below_the_parser_guard_is_enforced_outside_strings() {
        let deep = r#"{"jsonrpc":"2.0","method":"m","params":[[[["x"]]]],"id":1}"#;
        assert!(matches!(
            parse_message(deep.as_bytes(), 10, 4, &[], None),
            Err(MessageError::TooDeep { limit: 4 })
        ));
        assert!(parse_message(deep.as_bytes(), 10, 5, &[], None).is_ok());
        let brackets_in_string = r#"{"jsonrpc":"2.0","method":"m","params":["[[[[[\"[[["],"id":1}"#;
        assert!(parse_message(brackets_in_string.as_bytes(), 10, 2, &[], None).is_ok());
    }

    #[test]
    fn very_deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        assert!(matches!(
            parse_message(deep.as_bytes(), 10, 128, &[], None),
            Err(MessageError::TooDeep { limit: 128 })
        ));
        let deep_params = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":{}"#,
            "[".repeat(100_000)
        );
        assert!(matches!(
            parse_message(deep_params.as_bytes(), 10, 128, &[], None),
            Err(MessageError::TooDeep { .. })
        ));
        // Many brackets inside strings are not depth.
        let in_strings = format!(
            r#"{{"jsonrpc":"2.0","method":"m","params":["{}"],"id":1}}"#,
            "[".repeat(1000)
        );
        assert!(parse_message(in_strings.as_bytes(), 10, 128, &[], None).is_ok());
    }
}
