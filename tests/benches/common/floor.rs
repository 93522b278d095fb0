//! A hand-written JSON-RPC 2.0 dispatcher for `add` and `echo`: what a
//! competent engineer writes directly on `serde_json`, with no framework.
//!
//! Correct for any input (not only the benchmark's): parse errors give
//! `-32700`, bad requests `-32600` (with their id when it is readable),
//! unknown methods `-32601`, bad params `-32602`; `"id": null` is answered,
//! a missing id is a notification, batches keep their order and an entry
//! that is not a request spoils only its own answer.

use std::borrow::Cow;

use serde::de::{Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::Value;

/// A JSON-RPC error: its code and message.
pub(crate) type Failed = (i32, &'static str);

pub(crate) const PARSE_ERROR: Failed = (-32700, "Parse error");
pub(crate) const INVALID_REQUEST: Failed = (-32600, "Invalid Request");
pub(crate) const METHOD_NOT_FOUND: Failed = (-32601, "Method not found");
pub(crate) const INVALID_PARAMS: Failed = (-32602, "Invalid params");

/// A request, borrowed from its bytes.
#[derive(Deserialize)]
pub(crate) struct Req<'a> {
    pub(crate) jsonrpc: &'a str,
    #[serde(borrow)]
    pub(crate) method: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) params: Option<&'a RawValue>,
    // `present` keeps `"id": null` apart from a missing id.
    #[serde(borrow, default, deserialize_with = "present")]
    pub(crate) id: Option<&'a RawValue>,
}

/// A member that is there, whatever its value (`null` included).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

#[derive(Serialize)]
struct Success<'a, T> {
    jsonrpc: &'static str,
    result: T,
    id: &'a RawValue,
}

#[derive(Serialize)]
struct Failure<'a> {
    jsonrpc: &'static str,
    error: ErrorObject,
    id: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct ErrorObject {
    code: i32,
    message: &'static str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EchoNamed<'a> {
    #[serde(borrow)]
    s: Cow<'a, str>,
}

/// A string borrowed from the input unless it holds escapes. (A one-field
/// tuple struct is a serde newtype, transparent, so `(Text,)` reads `["..."]`.)
#[derive(Deserialize)]
pub(crate) struct Text<'a>(#[serde(borrow)] pub(crate) Cow<'a, str>);

/// Answers one message; `None` when nothing is to be sent.
pub(crate) fn handle(input: &[u8]) -> Option<Vec<u8>> {
    match input.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => batch(input),
        _ => single(input),
    }
}

fn single(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() + 32);
    match serde_json::from_slice::<Req<'_>>(input) {
        Ok(request) => call(&request, &mut out),
        Err(_) => not_a_request(input, &mut out),
    }
    (!out.is_empty()).then_some(out)
}

fn batch(input: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(input.len() + 32);
    out.push(b'[');
    // Fast path: every entry is a request. Otherwise entry by entry, so
    // one bad entry spoils only its own answer.
    if let Ok(requests) = serde_json::from_slice::<Vec<Req<'_>>>(input) {
        if requests.is_empty() {
            out.clear();
            write_error(&mut out, INVALID_REQUEST, None);
            return Some(out);
        }
        for request in &requests {
            append(&mut out, |out| call(request, out));
        }
    } else {
        match serde_json::from_slice::<Vec<&RawValue>>(input) {
            Ok(entries) if !entries.is_empty() => {
                for entry in entries {
                    append(&mut out, |out| {
                        match serde_json::from_str::<Req<'_>>(entry.get()) {
                            Ok(request) => call(&request, out),
                            Err(_) => write_error(out, INVALID_REQUEST, None),
                        }
                    });
                }
            }
            Ok(_) => {
                out.clear();
                write_error(&mut out, INVALID_REQUEST, None);
                return Some(out);
            }
            Err(_) => {
                out.clear();
                write_error(&mut out, PARSE_ERROR, None);
                return Some(out);
            }
        }
    }
    if out.len() == 1 {
        return None; // only notifications
    }
    out.push(b']');
    Some(out)
}

/// Appends one batch answer with its comma; nothing if `write` wrote nothing.
fn append(out: &mut Vec<u8>, write: impl FnOnce(&mut Vec<u8>)) {
    let mark = out.len();
    if mark > 1 {
        out.push(b',');
    }
    let start = out.len();
    write(out);
    if out.len() == start {
        out.truncate(mark);
    }
}

/// Valid JSON that is not a request is `-32600`; anything else `-32700`.
#[cold]
pub(crate) fn not_a_request(input: &[u8], out: &mut Vec<u8>) {
    let error = match serde_json::from_slice::<IgnoredAny>(input) {
        Ok(_) => INVALID_REQUEST,
        Err(_) => PARSE_ERROR,
    };
    write_error(out, error, None);
}

fn call(request: &Req<'_>, out: &mut Vec<u8>) {
    let id = request.id;
    if let Some(raw) = id {
        if !matches!(raw.get().as_bytes()[0], b'"' | b'-' | b'0'..=b'9' | b'n') {
            return write_error(out, INVALID_REQUEST, None);
        }
    }
    if request.jsonrpc != "2.0" {
        return write_error(out, INVALID_REQUEST, id);
    }
    let params = request.params.map(RawValue::get);
    if params.is_some_and(|p| !matches!(p.as_bytes()[0], b'[' | b'{')) {
        return write_error(out, INVALID_REQUEST, id);
    }
    match &*request.method {
        "add" => respond(out, id, add(params)),
        "echo" => respond(out, id, echo(params)),
        "echo_owned" => respond(out, id, echo_owned(params)),
        "sum" => respond(out, id, sum(params)),
        _ => respond::<()>(out, id, Err(METHOD_NOT_FOUND)),
    }
}

fn echo_owned(params: Option<&str>) -> Result<String, Failed> {
    match params {
        Some(text) if text.starts_with('{') => serde_json::from_str::<super::EchoNamedOwned>(text)
            .map(|named| named.s)
            .map_err(|_| INVALID_PARAMS),
        Some(text) => serde_json::from_str::<(String,)>(text)
            .map(|(s,)| s)
            .map_err(|_| INVALID_PARAMS),
        None => Err(INVALID_PARAMS),
    }
}

fn sum(params: Option<&str>) -> Result<f64, Failed> {
    let values = match params {
        Some(text) if text.starts_with('{') => serde_json::from_str::<super::SumNamed>(text)
            .map(|named| named.values)
            .map_err(|_| INVALID_PARAMS)?,
        Some(text) => serde_json::from_str::<(Vec<f64>,)>(text)
            .map(|(values,)| values)
            .map_err(|_| INVALID_PARAMS)?,
        None => return Err(INVALID_PARAMS),
    };
    Ok(values.iter().sum())
}

pub(crate) fn add(params: Option<&str>) -> Result<i64, Failed> {
    let (a, b) = match params {
        Some(text) if text.starts_with('{') => {
            let super::AddNamed { a, b } =
                serde_json::from_str(text).map_err(|_| INVALID_PARAMS)?;
            (a, b)
        }
        Some(text) => serde_json::from_str::<(i64, i64)>(text).map_err(|_| INVALID_PARAMS)?,
        None => return Err(INVALID_PARAMS),
    };
    Ok(a + b)
}

pub(crate) fn echo(params: Option<&str>) -> Result<Cow<'_, str>, Failed> {
    match params {
        Some(text) if text.starts_with('{') => serde_json::from_str::<EchoNamed<'_>>(text)
            .map(|named| named.s)
            .map_err(|_| INVALID_PARAMS),
        Some(text) => serde_json::from_str::<(Text<'_>,)>(text)
            .map(|(Text(s),)| s)
            .map_err(|_| INVALID_PARAMS),
        None => Err(INVALID_PARAMS),
    }
}

/// Writes the answer, unless the request is a notification.
pub(crate) fn respond<T: Serialize>(
    out: &mut Vec<u8>,
    id: Option<&RawValue>,
    result: Result<T, Failed>,
) {
    let Some(id) = id else { return };
    match result {
        Ok(result) => serde_json::to_writer(
            &mut *out,
            &Success {
                jsonrpc: "2.0",
                result,
                id,
            },
        )
        .expect("results serialize"),
        Err(error) => write_error(out, error, Some(id)),
    }
}

pub(crate) fn write_error(out: &mut Vec<u8>, (code, message): Failed, id: Option<&RawValue>) {
    let failure = Failure {
        jsonrpc: "2.0",
        error: ErrorObject { code, message },
        id,
    };
    serde_json::to_writer(out, &failure).expect("errors serialize");
}

/// Error paths of the floor, checked once at start-up so that a "fast" floor
/// cannot be a wrong one.
pub(crate) fn check_errors() {
    let cases: [(&str, Option<Value>); 12] = [
        (r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#, None),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":null}"#,
            Some(Value::Null),
        ),
        (
            r#"{"jsonrpc":"1.0","method":"add","params":[1,2],"id":7}"#,
            Some(Value::from(7)),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"nope","id":"x"}"#,
            Some(Value::from("x")),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1],"id":1}"#,
            Some(Value::from(1)),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2,3],"id":1}"#,
            Some(Value::from(1)),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":2,"c":3},"id":1}"#,
            Some(Value::from(1)),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":5,"id":1}"#,
            Some(Value::from(1)),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":[1]}"#,
            Some(Value::Null),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"echo","params":{"s":"h\u00e9"},"id":2}"#,
            Some(Value::from(2)),
        ),
        (r#"{"jsonrpc":"2.0","method":"add""#, Some(Value::Null)),
        (
            r#"[1,{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}]"#,
            None,
        ),
    ];
    let codes: [Option<i64>; 12] = [
        None,
        None,
        Some(-32600),
        Some(-32601),
        Some(-32602),
        Some(-32602),
        Some(-32602),
        Some(-32600),
        Some(-32600),
        None,
        Some(-32700),
        None,
    ];
    for ((input, id), code) in cases.into_iter().zip(codes) {
        let out = handle(input.as_bytes());
        let Some(id) = id else {
            if input.starts_with('[') {
                let answer: Value =
                    serde_json::from_slice(&out.expect("a batch is answered")).expect("JSON");
                assert_eq!(answer[0]["error"]["code"], -32600, "{input}");
                assert_eq!(answer[1]["result"], 3, "{input}");
            } else {
                assert!(out.is_none(), "{input}: a notification gets no answer");
            }
            continue;
        };
        let answer: Value = serde_json::from_slice(&out.expect("answered")).expect("JSON");
        assert_eq!(answer["id"], id, "{input}");
        match code {
            Some(code) => assert_eq!(answer["error"]["code"], code, "{input}"),
            None => assert!(answer.get("result").is_some(), "{input}"),
        }
    }
}
