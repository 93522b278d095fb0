//! The floor's JSON-RPC 2.0 dispatcher: one borrowed parse and a `match`.
//! The request, the answers, the checks and `add`/`echo` are those of
//! `common::floor`; this adds the topic methods and answers into the
//! connection's buffer.

use std::borrow::Cow;

use serde_json::value::RawValue;
use tokio::sync::mpsc;

use super::FloorConn;
use crate::common::floor::{
    add, echo, not_a_request, respond, write_error, Failed, Req, Text, INVALID_PARAMS,
    INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR,
};

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
