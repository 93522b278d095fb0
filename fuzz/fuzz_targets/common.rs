//! What the targets share: the router they serve, and the check that an
//! answer is well-formed JSON-RPC 2.0.

#![allow(dead_code, reason = "each target uses a part")]

use rpc_core::{Context, Error, Limits, Params, Router};
use serde_json::Value;

/// Methods of every kind: synchronous, asynchronous, panicking, echoing.
pub fn router() -> Router {
    let mut router = Router::new().with_limits(Limits::default().with_max_batch_len(20));
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, Option<i64>) = params.decode(&["a", "b"])?;
            a.checked_add(b.unwrap_or(0))
                .ok_or_else(|| Error::invalid_params("overflow"))
        })
        .unwrap()
        .method("echo", |params: Params<'_>, _: &Context| {
            params.parse::<Value>()
        })
        .unwrap()
        .async_method("greet", |params: Params<'_>, _: &Context| {
            Box::pin(async move {
                let (name,): (&str,) = params.decode(&["name"])?;
                Ok::<_, Error>(format!("hi {name}"))
            })
        })
        .unwrap()
        .method("boom", |_: Params<'_>, _: &Context| -> Result<(), Error> {
            std::panic::panic_any(FUZZED_PANIC)
        })
        .unwrap();
    router
}

/// The panic message of the `boom` method.
pub const FUZZED_PANIC: &str = "fuzzed panic";

/// libFuzzer's panic hook aborts on every panic, even one that dispatch
/// catches and answers with -32603: let the `boom` method's through.
pub fn allow_fuzzed_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<&str>() != Some(&FUZZED_PANIC) {
                abort(info);
            }
        }));
    });
}

/// Checks one response object against section 5 of the specification.
pub fn check_response(response: &Value) -> Result<(), String> {
    let object = response.as_object().ok_or("a response is an object")?;
    if object.get("jsonrpc") != Some(&Value::String("2.0".into())) {
        return Err("jsonrpc must be \"2.0\"".into());
    }
    match object.get("id") {
        Some(Value::Null | Value::Number(_) | Value::String(_)) => {}
        _ => return Err("id must be present and a number, string or null".into()),
    }
    match (object.get("result"), object.get("error")) {
        (Some(_), None) => {}
        (None, Some(error)) => {
            if !error["code"].is_i64() || !error["message"].is_string() {
                return Err(format!("malformed error object {error}"));
            }
        }
        _ => return Err("exactly one of result and error".into()),
    }
    if object.len() != 3 {
        return Err("no members beyond jsonrpc, result/error and id".into());
    }
    Ok(())
}

/// Checks a whole answer: one response, or a non-empty array of them.
pub fn check_answer(answer: &[u8]) {
    let value: Value = match serde_json::from_slice(answer) {
        Ok(value) => value,
        // An id is echoed byte for byte: a number past f64's range (`1e400`,
        // or 400 digits without an exponent) or a string with a lone
        // surrogate escape (`"\ud800"`) is valid JSON that serde_json cannot
        // build. Read the answer with every number written as 0 and every
        // `\u` escape as `\u0041`: if it is still not JSON, it was not JSON.
        Err(err) => {
            let text = std::str::from_utf8(answer)
                .unwrap_or_else(|_| panic!("the answer is not UTF-8 ({err})"));
            serde_json::from_str(&tamed(text))
                .unwrap_or_else(|_| panic!("the answer is not JSON ({err}): {text:?}"))
        }
    };
    let checked = match &value {
        Value::Array(responses) if !responses.is_empty() => {
            responses.iter().try_for_each(check_response)
        }
        Value::Array(_) => Err("an empty array is never an answer".into()),
        response => check_response(response),
    };
    if let Err(reason) = checked {
        panic!("{reason}: {value}");
    }
}

/// `text` with every number (outside strings) written as `0`, and every
/// `\u` escape inside strings as `\u0041`: what serde_json refuses to build
/// though the JSON grammar allows it is gone, and the shape stays.
fn tamed(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let (mut in_string, mut escaped) = (false, false);
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if escaped {
                escaped = false;
                if c == 'u' {
                    let mut hex = String::new();
                    while hex.len() < 4 {
                        match chars.next_if(char::is_ascii_hexdigit) {
                            Some(digit) => hex.push(digit),
                            None => break,
                        }
                    }
                    // Four digits are an escape; fewer stay as they were (not JSON).
                    out.push_str(if hex.len() == 4 { "0041" } else { &hex });
                }
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if c == '-' || c.is_ascii_digit() {
            let mut number = String::from(c);
            while let Some(&next) = chars.peek() {
                if next.is_ascii_digit() || matches!(next, '.' | 'e' | 'E' | '+' | '-') {
                    number.push(next);
                    chars.next();
                } else {
                    break;
                }
            }
            // A malformed number stays as it was, so that it still fails.
            out.push_str(if is_json_number(&number) {
                "0"
            } else {
                &number
            });
        } else {
            out.push(c);
        }
    }
    out
}

/// Whether `text` is a number by the JSON grammar (RFC 8259, section 6),
/// whatever its size.
fn is_json_number(text: &str) -> bool {
    fn digits(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .take_while(|byte| byte.is_ascii_digit())
            .count()
    }
    let mut rest = text.strip_prefix('-').unwrap_or(text).as_bytes();
    match rest {
        [b'0', ..] => rest = &rest[1..],
        [b'1'..=b'9', ..] => rest = &rest[digits(rest)..],
        _ => return false,
    }
    if let [b'.', after @ ..] = rest {
        let count = digits(after);
        if count == 0 {
            return false;
        }
        rest = &after[count..];
    }
    if let [b'e' | b'E', after @ ..] = rest {
        let after = after
            .strip_prefix(b"+")
            .or_else(|| after.strip_prefix(b"-"))
            .unwrap_or(after);
        let count = digits(after);
        if count == 0 {
            return false;
        }
        rest = &after[count..];
    }
    rest.is_empty()
}
