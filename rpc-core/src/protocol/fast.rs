//! A byte scanner for the common shape of a request message.
//!
//! Nearly every message a server sees is an object (or a batch of objects)
//! with plain members: `"jsonrpc":"2.0"`, a method name without escapes, an
//! id that is a number, a plain string or `null`, and structured `params`.
//! This scanner reads exactly that shape in one pass over the bytes, several
//! times cheaper than driving `serde_json`'s visitors member by member. It
//! checks `params` itself when their strings have no escapes (arrays and
//! objects, nested, of such strings, numbers, `true`, `false`, `null`);
//! other `params` go through `serde_json` as one raw value, which proves
//! them valid JSON. A single request's `params` may instead be only
//! delimited, left for the method's own decoding to check (see
//! `Router::parse`): one pass over them instead of two.
//!
//! It never decides anything the full parse would decide differently: on
//! anything else (escapes, unknown or repeated members, a wrong type, a
//! syntax error, a batch past its limit) it gives up and the full parse in
//! `full.rs` reads the message from the start, errors and all.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::id::Id;
use super::message::{Entry, Member, Message, Request};

/// The message, if it has the common shape; `None` sends it to the full parse.
///
/// `text` must be valid UTF-8 (it is a `str`) and within the depth limit,
/// which the caller checked: `serde_json` skips `params` without a depth guard.
///
/// With `decodes_first`, which says of a method name whether that method
/// decodes its params before anything else, a single request to such a
/// method (named before its params, with an id) has its `params` only
/// delimited here, not checked (see [`Scanner::delimited`]): the decoding
/// checks them. A notification's are checked (it is acknowledged before it
/// runs), and so are a batch's: one bad entry makes the whole batch a parse
/// error, which must be known before any entry runs.
#[inline]
pub(super) fn parse_message<'a>(
    text: &'a str,
    max_batch_len: usize,
    decodes_first: DecodesFirst<'_>,
) -> Option<Message<'a>> {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let message = match scanner.next()? {
        b'{' => Message::Single(Entry::Valid(scanner.request(decodes_first)?)),
        b'[' => {
            scanner.at += 1;
            let mut entries = Vec::with_capacity(8);
            loop {
                if scanner.next()? != b'{' || entries.len() == max_batch_len {
                    return None;
                }
                entries.push(Entry::Valid(scanner.request(None)?));
                match scanner.next()? {
                    b',' => scanner.at += 1,
                    b']' => break,
                    _ => return None,
                }
            }
            scanner.at += 1;
            Message::Batch(entries)
        }
        _ => return None,
    };
    // Only whitespace may follow.
    scanner.skip_whitespace();
    (scanner.at == scanner.bytes.len()).then_some(message)
}

/// Which methods decode their params before they do anything else, by
/// name; `None`: check every request's params as it is read.
pub(crate) type DecodesFirst<'d> = Option<&'d dyn Fn(&str) -> bool>;

/// How many bytes a search reads one by one before it turns to `memchr`,
/// whose setup costs more than it saves on a short span.
const SHORT: usize = 16;

/// Just past the closing quote of the string whose inside starts at
/// `from`, escapes skipped; nothing else checked.
#[inline]
fn skip_string(bytes: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    let mut run = 0;
    loop {
        match *bytes.get(at)? {
            b'"' => return Some(at + 1),
            // The escaped byte is never the end.
            b'\\' => {
                at += 2;
                run = 0;
            }
            _ => {
                at += 1;
                run += 1;
                if run == SHORT {
                    at += memchr::memchr2(b'"', b'\\', bytes.get(at..)?)?;
                    run = 0;
                }
            }
        }
    }
}

/// Whether `text` (a request's `params`: an array or an object) is valid JSON.
pub(crate) fn params_are_valid(text: &str) -> bool {
    let mut scanner = Scanner {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    scanner.params().is_some() && scanner.at == text.len()
}

struct Scanner<'a> {
    text: &'a str,
    bytes: &'a [u8],
    /// The next byte to read.
    at: usize,
}

impl<'a> Scanner<'a> {
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn next(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.bytes.get(self.at).copied()
    }

    /// Consumes `literal` if the text goes on with it.
    fn eat<const N: usize>(&mut self, literal: &[u8; N]) -> bool {
        let found = self.bytes.get(self.at..self.at + N) == Some(literal.as_slice());
        if found {
            self.at += N;
        }
        found
    }

    /// Consumes `byte`, after whitespace.
    fn expect(&mut self, byte: u8) -> Option<()> {
        (self.next()? == byte).then(|| self.at += 1)
    }

    /// One object with the members of a valid request, each at most once;
    /// the scanner is at its `{`.
    fn request(&mut self, decodes_first: DecodesFirst<'_>) -> Option<Request<'a>> {
        self.at += 1;
        let mut version = false;
        let mut method = None;
        let mut params = None;
        let mut params_checked = true;
        let mut id = None;
        if self.next()? == b'}' {
            return None;
        }
        loop {
            self.expect(b'"')?;
            // The member's name, compared whole with its closing quote.
            let member = match self.bytes.get(self.at)? {
                b'j' if self.eat(b"jsonrpc\"") => Member::JsonRpc,
                b'm' if self.eat(b"method\"") => Member::Method,
                b'p' if self.eat(b"params\"") => Member::Params,
                b'i' if self.eat(b"id\"") => Member::Id,
                _ => return None,
            };
            self.expect(b':')?;
            self.skip_whitespace();
            match member {
                Member::JsonRpc if !version => {
                    version = self.eat(b"\"2.0\"");
                    if !version {
                        return None;
                    }
                }
                Member::Method if method.is_none() => {
                    self.expect(b'"')?;
                    method = Some(self.plain_string()?);
                }
                Member::Params if params.is_none() => {
                    let defer = method
                        .is_some_and(|name| decodes_first.is_some_and(|decodes| decodes(name)));
                    params = Some(if defer {
                        params_checked = false;
                        self.delimited()?
                    } else {
                        self.params()?
                    });
                }
                Member::Id if id.is_none() => id = Some(self.id()?),
                _ => return None,
            }
            match self.next()? {
                b',' => self.at += 1,
                b'}' => break,
                _ => return None,
            }
        }
        self.at += 1;
        if !version {
            return None;
        }
        // A notification is acknowledged before it runs: its params are
        // checked now (the full parse answers what is not JSON).
        if id.is_none() && !params_checked {
            if !params.is_some_and(params_are_valid) {
                return None;
            }
            params_checked = true;
        }
        Some(Request {
            method: Cow::Borrowed(method?),
            params,
            params_checked,
            id: id.map(Id::from_checked),
        })
    }

    /// The inside of a string without escapes or control characters; the
    /// scanner is just past its opening quote.
    fn plain_string(&mut self) -> Option<&'a str> {
        let start = self.at;
        let mut end = start;
        loop {
            match *self.bytes.get(end)? {
                b'"' => break,
                b'\\' | 0..0x20 => return None,
                _ => end += 1,
            }
        }
        self.at = end + 1;
        // Both ends sit next to an ASCII quote: character boundaries.
        self.text.get(start..end)
    }

    /// Structured `params`, proven valid JSON: read here when plain (arrays
    /// and objects, nested, of strings without escapes, numbers, `true`,
    /// `false` and `null`, what nearly every call sends; several times
    /// cheaper than `serde_json` skipping them), by `serde_json` otherwise.
    fn params(&mut self) -> Option<&'a str> {
        let start = self.at;
        let close = match self.bytes.get(start)? {
            b'[' => b']',
            b'{' => b'}',
            _ => return None,
        };
        if self.plain(close).is_none() {
            self.at = start;
            let rest = self.text.get(start..)?;
            let raw =
                <&RawValue>::deserialize(&mut serde_json::Deserializer::from_str(rest)).ok()?;
            self.at += raw.get().len();
        }
        self.text.get(start..self.at)
    }

    /// An array or object from its opening bracket to its matching close,
    /// found without checking what is between: brackets of its kind are
    /// counted outside strings, strings skipped to their closing quote
    /// (several bytes at a time). Valid JSON ends exactly there, so the
    /// decoding that checks the span later sees the whole value; the text
    /// is UTF-8 already.
    // Out of line, as `plain` is: the request's own scan stays short.
    #[inline(never)]
    fn delimited(&mut self) -> Option<&'a str> {
        let bytes = self.bytes;
        let start = self.at;
        let open = *bytes.get(start)?;
        let close = match open {
            b'[' => b']',
            b'{' => b'}',
            _ => return None,
        };
        let mut depth = 1usize;
        let mut at = start + 1;
        // Bytes read one by one since the last one that mattered.
        let mut run = 0;
        loop {
            let byte = *bytes.get(at)?;
            if byte == b'"' {
                at = skip_string(bytes, at + 1)?;
                run = 0;
                continue;
            }
            at += 1;
            if byte == open {
                depth += 1;
                run = 0;
            } else if byte == close {
                depth -= 1;
                if depth == 0 {
                    break;
                }
                run = 0;
            } else {
                run += 1;
                if run == SHORT {
                    at += memchr::memchr3(open, close, b'"', bytes.get(at..)?)?;
                    run = 0;
                }
            }
        }
        self.at = at;
        self.text.get(start..at)
    }

    /// A plain array or object, from its opening bracket to just past
    /// `close`. Nested ones recurse: the caller checked the depth limit.
    fn plain(&mut self, close: u8) -> Option<()> {
        self.at += 1;
        if self.next()? == close {
            self.at += 1;
            return Some(());
        }
        loop {
            if close == b'}' {
                self.expect(b'"')?;
                self.params_string()?;
                self.expect(b':')?;
                self.skip_whitespace();
            }
            match self.bytes.get(self.at)? {
                b'"' => {
                    self.at += 1;
                    self.params_string()?;
                }
                b't' if self.eat(b"true") => {}
                b'f' if self.eat(b"false") => {}
                b'n' if self.eat(b"null") => {}
                b'[' => self.plain(b']')?,
                b'{' => self.plain(b'}')?,
                _ => self.number()?,
            }
            match self.next()? {
                b',' => {
                    self.at += 1;
                    self.skip_whitespace();
                }
                byte if byte == close => {
                    self.at += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    /// A string without escapes or control characters, of any length; the
    /// scanner is just past its opening quote. Short ones are read a byte at
    /// a time; past that the closing quote is searched for several bytes at
    /// a time, and the span checked for control characters in one pass.
    /// (Kept apart from [`plain_string`](Self::plain_string), whose names are
    /// short: one function for both measured about 45 instructions more per call.)
    fn params_string(&mut self) -> Option<()> {
        let rest = self.bytes.get(self.at..)?;
        let head = rest.len().min(SHORT);
        for (at, &byte) in rest[..head].iter().enumerate() {
            match byte {
                b'"' => {
                    self.at += at + 1;
                    return Some(());
                }
                b'\\' | 0..0x20 => return None,
                _ => {}
            }
        }
        let end = head + memchr::memchr2(b'"', b'\\', &rest[head..])?;
        let control = rest[head..end]
            .iter()
            .fold(false, |seen, &byte| seen | (byte < 0x20));
        if rest[end] != b'"' || control {
            return None;
        }
        self.at += end + 1;
        Some(())
    }

    /// An id's JSON text: a number, a string without escapes, or `null`.
    fn id(&mut self) -> Option<&'a str> {
        let start = self.at;
        match self.bytes.get(start)? {
            b'"' => {
                self.at += 1;
                self.plain_string()?;
            }
            b'n' if self.eat(b"null") => {}
            _ => self.number()?,
        }
        self.text.get(start..self.at)
    }

    /// A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.bytes.get(self.at) == Some(&b'-') {
            self.at += 1;
        }
        match self.bytes.get(self.at)? {
            b'0' => self.at += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.bytes.get(self.at) == Some(&b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.at) {
            self.at += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.at) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Some(())
    }

    fn digits(&mut self) {
        while let Some(b'0'..=b'9') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    /// At least one digit.
    fn some_digits(&mut self) -> Option<()> {
        let start = self.at;
        self.digits();
        (self.at > start).then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::full;
    use super::*;

    const BATCH_LIMIT: usize = 3;

    /// The scanner either gives up or agrees with the full parse, entry for entry.
    fn agrees(text: &str) -> bool {
        let Some(fast) = parse_message(text, BATCH_LIMIT, None) else {
            return false;
        };
        let full = full::parse_message(text, BATCH_LIMIT, &[]);
        assert_eq!(
            format!("{:?}", Ok::<_, ()>(&fast)),
            format!("{:?}", full.as_ref().map_err(drop)),
            "the scanner and the full parse disagree on {text:?}"
        );
        true
    }

    /// The params text and whether it was checked, of a single request read with deferral.
    fn deferred(text: &str) -> Option<(String, bool)> {
        match parse_message(text, BATCH_LIMIT, Some(&|_: &str| true))? {
            Message::Single(Entry::Valid(request)) => Some((
                request.params.unwrap_or_default().to_owned(),
                request.params_checked,
            )),
            _ => None,
        }
    }

    #[test]
    fn deferred_params_are_delimited_whatever_their_strings_hold() {
        for params in [
            r#"[1,2]"#,
            r#"[[0.125, 0.625], {"x": [1e3, -2]}]"#,
            r#"["]", "[", "\"]", "\\", "\\\"", {"}": "{"}]"#,
            r#"{"a": [1, {"b": "}"}], "c": "\u0041"}"#,
            // Not JSON inside, but delimited: decoding will refuse it.
            r#"[1,,2]"#,
            r#"{"a":[1,,]}"#,
        ] {
            let text = format!(r#"{{"jsonrpc":"2.0","method":"m","params":{params},"id":1}}"#);
            assert_eq!(deferred(&text), Some((params.to_owned(), false)), "{text}");
            assert_eq!(
                params_are_valid(params),
                serde_json::from_str::<serde::de::IgnoredAny>(params).is_ok(),
                "{params}"
            );
        }
        // No end: the full parse reads it (and refuses it).
        for params in [r#"[1,2"#, r#"["]"#, r#"["\"]"#, r#"{"a":1"#] {
            let text = format!(r#"{{"jsonrpc":"2.0","method":"m","params":{params}"#);
            assert_eq!(deferred(&text), None, "{text}");
        }
        // A batch's params are always checked.
        let batch = r#"[{"jsonrpc":"2.0","method":"m","params":[1,,2],"id":1}]"#;
        assert!(parse_message(batch, BATCH_LIMIT, Some(&|_: &str| true)).is_none());
        // A notification's are checked, and one that is not JSON is left to the full parse.
        let notification = r#"{"jsonrpc":"2.0","method":"m","params":[1,2]}"#;
        assert_eq!(deferred(notification), Some(("[1,2]".to_owned(), true)));
        let notification = r#"{"jsonrpc":"2.0","method":"m","params":[1,,2]}"#;
        assert_eq!(deferred(notification), None);
        // Params before the method's name, or for a method that does not
        // decode first, are checked.
        let early = r#"{"jsonrpc":"2.0","params":[1,2],"method":"m","id":1}"#;
        assert_eq!(deferred(early), Some(("[1,2]".to_owned(), true)));
        let by_hand = r#"{"jsonrpc":"2.0","method":"m","params":[1,2],"id":1}"#;
        let Some(Message::Single(Entry::Valid(request))) =
            parse_message(by_hand, BATCH_LIMIT, Some(&|_: &str| false))
        else {
            panic!("read");
        };
        assert!(request.params_checked);
        // Without params there is nothing to check.
        let bare = r#"{"jsonrpc":"2.0","method":"m","id":1}"#;
        assert_eq!(deferred(bare), Some((String::new(), true)));
    }

    #[test]
    fn reads_the_common_shapes() {
        for text in [
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2},"id":"x"}"#,
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#,
            r#"{"id":null,"method":"é","jsonrpc":"2.0"}"#,
            " {\n\t\"jsonrpc\" : \"2.0\" ,\r\n \"method\":\"m\", \"id\": -1.5E+3 } \n",
            r#"[{"jsonrpc":"2.0","method":"a","id":1},{"jsonrpc":"2.0","method":"b"}]"#,
            r#"[ {"jsonrpc":"2.0","method":"a","params":[]} ]"#,
            r#"{"jsonrpc":"2.0","method":"a","params":[ "x", -1.5e3, true, false, null ],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"a","params":{ "s" : "é" , "n" : null },"id":1}"#,
            // Nested params (checked here when plain, by serde_json when they hold
            // escapes) and a long string: still the fast way.
            r#"{"jsonrpc":"2.0","method":"a","params":[[0.125, 0.625], {"x": [1e3, -2]}],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"a","params":[[1],{"b":"\n"}],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"a","params":["0123456789012345678901234567890123456789012345678901234567890123456789"],"id":1}"#,
        ] {
            assert!(agrees(text), "the scanner gave up on {text:?}");
        }
    }

    #[test]
    fn gives_up_on_everything_else() {
        for text in [
            // What the full parse answers with an invalid entry or an error.
            r#"{"jsonrpc":"2.0","method":"m","id":1,"id":2}"#,
            r#"{"jsonrpc":"1.0","method":"m","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"method":"m","id":1}"#,
            r#"{"jsonrpc":"2.0","method":1,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":1,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":true}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":01}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":1.}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":-}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":1e}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":nul}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":[1,],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":[1,2]]}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":[1 2],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":[01],"id":1}"#,
            "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[\"01234567890123456789\t0\"],\"id\":1}",
            r#"{"jsonrpc":"2.0","method":"m","params":[tru],"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":{"a":1,},"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","params":{"a" 1},"id":1}"#,
            "{\"jsonrpc\":\"2.0\",\"method\":\"m\",\"params\":[\"a\tb\"],\"id\":1}",
            "{\"jsonrpc\":\"2.0\",\"method\":\"a\tb\"}",
            r#"{"jsonrpc":"2.0","method":"m",}"#,
            r#"{"jsonrpc":"2.0" "method":"m"}"#,
            r#"{"jsonrpc":"2.0","method":"m"} x"#,
            r#"{"jsonrpc":"2.0","method":"m"}}"#,
            "{\"jsonrpc\":\"2.0\",\"method\":\"m\"}\u{c}",
            r#"{}"#,
            r#"[]"#,
            r#"[{"jsonrpc":"2.0","method":"m"},]"#,
            r#"[{"jsonrpc":"2.0","method":"m"},1]"#,
            r#"[{"jsonrpc":"2.0","method":"m"}"#,
            "1",
            "",
            // What the full parse reads to the same kind of entry, the long way.
            r#"{"jsonrpc":"2.0","method":"a\u0064d","id":1}"#,
            r#"{"json\u0072pc":"2.0","method":"m","id":1}"#,
            r#"{"jsonrpc":"2.0","method":"m","id":"\n"}"#,
            r#"{"jsonrpc":"2.0","method":"m","extra":0,"id":1}"#,
            r#"[{"jsonrpc":"2.0","method":"m"},{"jsonrpc":"2.0","method":"m"},{"jsonrpc":"2.0","method":"m"},{"jsonrpc":"2.0","method":"m"}]"#,
        ] {
            assert!(
                parse_message(text, BATCH_LIMIT, None).is_none(),
                "the scanner read {text:?}"
            );
        }
    }

    /// A small deterministic generator (xorshift), so the test needs no crate.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n as u64) as usize
        }

        fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
            from[self.below(from.len())]
        }
    }

    const SPACES: &[&str] = &["", "", "", " ", "\n\t ", "\r\n"];
    const NAMES: &[&str] = &[
        "jsonrpc",
        "jsonrpc",
        "method",
        "method",
        "params",
        "id",
        "id",
        "extra",
        "json\\u0072pc",
        "",
        "Id",
        "jsonrpc ",
    ];
    const VALUES: &[&str] = &[
        r#""2.0""#,
        r#""2.0""#,
        r#""add""#,
        r#""a\u0064d""#,
        "\"a\tb\"",
        r#""é""#,
        r#""""#,
        "[1,2]",
        "[]",
        "{}",
        r#"{"a":[1,{"b":null}]}"#,
        "[1,",
        "[1,2]]",
        "{\"a\"}",
        "null",
        "nul",
        "true",
        "false",
        "0",
        "-0",
        "01",
        "1.",
        "1.5e+3",
        "-",
        "1e",
        "1E-7",
        "-12",
        "123456789012345678901234567890",
        r#""x""#,
        r#""\n""#,
        "\"\\\"",
        "2.0",
        r#""2.0 ""#,
    ];

    /// Flat and nested params, well formed or not, for the scanner's own
    /// reading of plain ones and its hand-over of the rest.
    const PARAMS: &[&str] = &[
        "[1,2]",
        r#"{"a":1,"b":[2]}"#,
        "[]",
        "{}",
        "[ ]",
        "{ }",
        r#"[ -1.5e3 , "x" , true , false , null ]"#,
        r#"{ "a" : "b" , "c" : -0 , "d" : null }"#,
        r#"["é", "", 0, 1E+2]"#,
        r#"["a\"b"]"#,
        r#"{"a\u0062":1}"#,
        "[\"a\tb\"]",
        r#"["0123456789012345678901234567890123456789012345678901234567890123456789"]"#,
        r#"["0123456789012345678901234567890123456789\"x"]"#,
        "[\"01234567890123456789\t0123456789\"]",
        "[\"01234567890123456789\u{7f}é0123456789\"]",
        r#"{"0123456789012345678901234567890123456789":1}"#,
        "[1 2]",
        "[1,]",
        "[,1]",
        "[01]",
        "[1.]",
        "[-]",
        "[tru]",
        "[nul]",
        r#"{"a" 1}"#,
        r#"{"a":1,}"#,
        r#"{1:1}"#,
        r#"{"a":}"#,
        "[[1],{}]",
        r#"{"a":{"b":[true]}}"#,
        "[[0.125, 0.625], [ ], {\"x\": [1e3, -2]}]",
        "[[1,2],[3,]]",
        "[[1,2]",
        "[{\"a\":[1}]",
        r#"[[["a\"b"]]]"#,
        "[{}, [[]], {\"a\": {\"b\": {}}}]",
        "[1,2",
        r#"{"a":1"#,
    ];

    /// A request of the common shape: its members in any order, with any spacing.
    fn request(rng: &mut Rng) -> String {
        let mut members = vec![
            ("jsonrpc", r#""2.0""#),
            (
                "method",
                rng.pick(&[r#""add""#, r#""é""#, r#""m.n""#, "\"\""]),
            ),
        ];
        if rng.below(2) == 0 {
            members.push(("params", rng.pick(PARAMS)));
        }
        if rng.below(4) != 0 {
            members.push((
                "id",
                rng.pick(&[
                    "1", "0", "-0", "1.5", "-1.5e3", "2E+7", r#""x""#, "\"\"", "null",
                ]),
            ));
        }
        for at in (1..members.len()).rev() {
            members.swap(at, rng.below(at + 1));
        }
        let members: Vec<String> = members
            .into_iter()
            .map(|(name, value)| {
                let [a, b, c, d] = [(); 4].map(|()| rng.pick(SPACES));
                format!("{a}\"{name}\"{b}:{c}{value}{d}")
            })
            .collect();
        format!("{{{}}}", members.join(","))
    }

    fn object(rng: &mut Rng) -> String {
        if rng.below(2) == 0 {
            return request(rng);
        }
        let mut text = String::from("{");
        for member in 0..rng.below(6) {
            if member > 0 {
                text.push_str(rng.pick(&[",", ",", ",", ",", "", ",,"]));
            }
            text.push_str(rng.pick(SPACES));
            let name = rng.pick(NAMES);
            text.push_str(&format!("\"{name}\""));
            text.push_str(rng.pick(SPACES));
            text.push_str(rng.pick(&[":", ":", ":", ":", ""]));
            text.push_str(rng.pick(SPACES));
            // Mostly the value a member of that name should have.
            let value = match (name, rng.below(3)) {
                ("jsonrpc", 0 | 1) => r#""2.0""#,
                ("method", 0 | 1) => rng.pick(&[r#""add""#, r#""é""#, r#""m""#]),
                ("params", 0 | 1) => rng.pick(&["[1,2]", r#"{"a":1}"#, "[]"]),
                ("id", 0 | 1) => rng.pick(&["1", r#""x""#, "null", "-1.5e3"]),
                _ => rng.pick(VALUES),
            };
            text.push_str(value);
            text.push_str(rng.pick(SPACES));
        }
        text.push_str(rng.pick(&["}", "}", "}", "}", "", "}}", ",}"]));
        text
    }

    fn message(rng: &mut Rng) -> String {
        let mut text = rng.pick(SPACES).to_owned();
        if rng.below(3) == 0 {
            text.push('[');
            for entry in 0..rng.below(6) {
                if entry > 0 {
                    text.push_str(rng.pick(&[",", ",", ",", ""]));
                }
                text.push_str(rng.pick(SPACES));
                text.push_str(&if rng.below(8) == 0 {
                    rng.pick(VALUES).to_owned()
                } else {
                    object(rng)
                });
            }
            text.push_str(rng.pick(&["]", "]", "]", "", ",]"]));
        } else {
            text.push_str(&object(rng));
        }
        text.push_str(rng.pick(&["", "", "", " \n", "x", "\u{c}"]));
        text
    }

    /// Turns a few ASCII bytes into bytes that matter to JSON.
    fn mutate(rng: &mut Rng, text: &str) -> String {
        const BYTES: &[u8] = b"{}[],:\"\\ 0-.eE+ntu\t";
        let mut bytes = text.as_bytes().to_vec();
        for _ in 0..=rng.below(3) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            let byte = BYTES[rng.below(BYTES.len())];
            match rng.below(3) {
                0 if bytes[at].is_ascii() => bytes[at] = byte,
                1 if bytes[at].is_ascii() => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, byte),
            }
        }
        String::from_utf8(bytes).unwrap_or_else(|_| text.to_owned())
    }

    #[test]
    fn never_disagrees_with_the_full_parse() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut read = 0;
        for round in 0..60_000 {
            let text = message(&mut rng);
            let text = if round % 2 == 0 {
                text
            } else {
                mutate(&mut rng, &text)
            };
            read += usize::from(agrees(&text));
        }
        // Enough of the generated messages have the common shape for the
        // comparison to mean something.
        assert!(read > 2_000, "the scanner read only {read} messages");
    }
}
