//! The floor's JSON-RPC 2.0 dispatcher: one borrowed parse and a `match`,
//! with the checks of `common::floor` (which knows only `add` and `echo`).

use std::borrow::Cow;

use serde::de::{Deserializer, IgnoredAny};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::FloorConn;

type Failed = (i32, &'static str);

const PARSE_ERROR: Failed = (-32700, "Parse error");
const INVALID_REQUEST: Failed = (-32600, "Invalid Request");
const METHOD_NOT_FOUND: Failed = (-32601, "Method not found");
const INVALID_PARAMS: Failed = (-32602, "Invalid params");

#[derive(Deserialize)]
struct Req<'a> {
    jsonrpc: &'a str,
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow, default, deserialize_with = "present")]
    params: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
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
struct AddNamed {
    a: i64,
    b: i64,
}

/// A string borrowed from the input unless it holds escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

/// Answers one message into `conn.out` (left empty when nothing is to be sent).
pub(super) fn handle(input: &[u8], conn: &mut FloorConn) {
    match input.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => batch(input, conn),
        _ => match serde_json::from_slice::<Req<'_>>(input) {
            Ok(request) => call(&request, conn),
            Err(_) => not_a_request(input, &mut conn.out),
        },
    }
}

fn batch(input: &[u8], conn: &mut FloorConn) {
    conn.out.push(b'[');
    if let Ok(requests) = serde_json::from_slice::<Vec<Req<'_>>>(input) {
        if requests.is_empty() {
            conn.out.clear();
            return write_error(&mut conn.out, INVALID_REQUEST, None);
        }
        for request in &requests {
            append(conn, |conn| call(request, conn));
        }
    } else {
        match serde_json::from_slice::<Vec<&RawValue>>(input) {
            Ok(entries) if !entries.is_empty() => {
                for entry in entries {
                    append(conn, |conn| {
                        match serde_json::from_str::<Req<'_>>(entry.get()) {
                            Ok(request) => call(&request, conn),
                            Err(_) => write_error(&mut conn.out, INVALID_REQUEST, None),
                        }
                    });
                }
            }
            Ok(_) => {
                conn.out.clear();
                return write_error(&mut conn.out, INVALID_REQUEST, None);
            }
            Err(_) => {
                conn.out.clear();
                return write_error(&mut conn.out, PARSE_ERROR, None);
            }
        }
    }
    if conn.out.len() == 1 {
        conn.out.clear(); // only notifications
    } else {
        conn.out.push(b']');
    }
}

/// Appends one batch answer with its comma; nothing if `write` wrote nothing.
fn append(conn: &mut FloorConn, write: impl FnOnce(&mut FloorConn)) {
    let mark = conn.out.len();
    if mark > 1 {
        conn.out.push(b',');
    }
    let start = conn.out.len();
    write(conn);
    if conn.out.len() == start {
        conn.out.truncate(mark);
    }
}

/// Valid JSON that is not a request is `-32600`; anything else `-32700`.
#[cold]
fn not_a_request(input: &[u8], out: &mut Vec<u8>) {
    let error = match serde_json::from_slice::<IgnoredAny>(input) {
        Ok(_) => INVALID_REQUEST,
        Err(_) => PARSE_ERROR,
    };
    write_error(out, error, None);
}

fn call(request: &Req<'_>, conn: &mut FloorConn) {
    let id = request.id;
    if let Some(raw) = id {
        if !matches!(raw.get().as_bytes()[0], b'"' | b'-' | b'0'..=b'9' | b'n') {
            return write_error(&mut conn.out, INVALID_REQUEST, None);
        }
    }
    if request.jsonrpc != "2.0" {
        return write_error(&mut conn.out, INVALID_REQUEST, id);
    }
    let params = request.params.map(RawValue::get);
    if params.is_some_and(|p| !matches!(p.as_bytes()[0], b'[' | b'{')) {
        return write_error(&mut conn.out, INVALID_REQUEST, id);
    }
    match &*request.method {
        "add" => respond(&mut conn.out, id, add(params)),
        "echo" => respond(&mut conn.out, id, echo(params)),
        "subscribe" => {
            let result = subscribe(params, conn);
            respond(&mut conn.out, id, result);
        }
        "publish" => {
            let result = one_string(params).map(|data| conn.hub.publish(&data));
            respond(&mut conn.out, id, result);
        }
        _ => respond::<()>(&mut conn.out, id, Err(METHOD_NOT_FOUND)),
    }
}

fn add(params: Option<&str>) -> Result<i64, Failed> {
    let (a, b) = match params {
        Some(text) if text.starts_with('{') => {
            let AddNamed { a, b } = serde_json::from_str(text).map_err(|_| INVALID_PARAMS)?;
            (a, b)
        }
        Some(text) => serde_json::from_str::<(i64, i64)>(text).map_err(|_| INVALID_PARAMS)?,
        None => return Err(INVALID_PARAMS),
    };
    Ok(a + b)
}

fn echo(params: Option<&str>) -> Result<Cow<'_, str>, Failed> {
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct EchoNamed<'a> {
        #[serde(borrow)]
        s: Cow<'a, str>,
    }
    match params {
        Some(text) if text.starts_with('{') => serde_json::from_str::<EchoNamed<'_>>(text)
            .map(|named| named.s)
            .map_err(|_| INVALID_PARAMS),
        _ => one_string(params),
    }
}

/// `["..."]`.
fn one_string(params: Option<&str>) -> Result<Cow<'_, str>, Failed> {
    let text = params.ok_or(INVALID_PARAMS)?;
    serde_json::from_str::<(Text<'_>,)>(text)
        .map(|(Text(s),)| s)
        .map_err(|_| INVALID_PARAMS)
}

/// `["bench", ...]`: the connection gets its topic queue; answers its topics.
fn subscribe(params: Option<&str>, conn: &mut FloorConn) -> Result<Vec<&'static str>, Failed> {
    let names: Vec<Cow<'_, str>> = params
        .map_or(Ok(Vec::new()), serde_json::from_str)
        .map_err(|_| INVALID_PARAMS)?;
    if names.iter().any(|name| name == crate::TOPIC) && conn.queue.is_none() {
        let (sender, receiver) = mpsc::channel(super::FLOOR_QUEUE);
        conn.queue = Some(receiver);
        conn.hub.subscribers().insert(conn.id, sender);
    }
    Ok(if conn.queue.is_some() {
        vec![crate::TOPIC]
    } else {
        Vec::new()
    })
}

/// Writes the answer, unless the request is a notification.
fn respond<T: Serialize>(out: &mut Vec<u8>, id: Option<&RawValue>, result: Result<T, Failed>) {
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

fn write_error(out: &mut Vec<u8>, (code, message): Failed, id: Option<&RawValue>) {
    let failure = Failure {
        jsonrpc: "2.0",
        error: ErrorObject { code, message },
        id,
    };
    serde_json::to_writer(out, &failure).expect("errors serialize");
}
