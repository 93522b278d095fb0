//! Arbitrary input never panics the dispatcher and always gets either
//! nothing or well-formed JSON-RPC 2.0 responses.

use proptest::prelude::*;
use rpc_core::{Context, Error, Limits, Params, Router};
use serde_json::Value;

fn router() -> Router {
    let mut router = Router::new().with_limits(Limits::default().with_max_batch_len(20));
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, Option<i64>) = params.decode(&["a", "b"])?;
            Ok::<_, Error>(a.wrapping_add(b.unwrap_or(0)))
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
            panic!("fuzzed panic")
        })
        .unwrap();
    router
}

/// Checks one response object against section 5 of the specification.
fn check_response(response: &Value) -> Result<(), String> {
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

fn check(router: &Router, input: &[u8]) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let Some(answer) = runtime.block_on(router.handle(input, &Context::new())) else {
        return Ok(());
    };
    let answer: Value = serde_json::from_slice(&answer)
        .map_err(|err| TestCaseError::fail(format!("answer is not JSON: {err}")))?;
    let result = match &answer {
        Value::Array(responses) if !responses.is_empty() => {
            responses.iter().try_for_each(check_response)
        }
        Value::Array(_) => Err("an empty array is never an answer".into()),
        response => check_response(response),
    };
    result.map_err(|reason| TestCaseError::fail(format!("{reason}: {answer}")))
}

/// Fragments that make near-valid JSON-RPC, so cases reach deep into the parser.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        " ",
        "\"jsonrpc\"",
        "\"2.0\"",
        "\"1.0\"",
        "\"method\"",
        "\"add\"",
        "\"echo\"",
        "\"greet\"",
        "\"boom\"",
        "\"params\"",
        "\"id\"",
        "\"a\"",
        "\"b\"",
        "\"name\"",
        "1",
        "-2",
        "1.5e3",
        "99999999999999999999",
        "null",
        "true",
        "\"\\u00e9\"",
        "\"\\ud800\"",
        "\"x",
        "\\",
        "\"\"",
        "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"params\":[1,2],\"id\":1}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"greet\",\"params\":{\"name\":\"z\"}}",
    ])
}

fn request_like() -> impl Strategy<Value = String> {
    let method = prop::sample::select(vec!["add", "echo", "greet", "boom", "nope", "rpc.x"]);
    let params = prop::sample::select(vec![
        "",
        ",\"params\":[1,2]",
        ",\"params\":[1]",
        ",\"params\":{\"a\":1}",
        ",\"params\":[\"x\"]",
        ",\"params\":{\"name\":\"n\"}",
        ",\"params\":{\"name\":\"a\\nb\"}",
        ",\"params\":[1,2,3]",
        ",\"params\":{}",
        ",\"params\":[]",
        ",\"params\":5",
        ",\"params\":{\"a\":1,\"a\":2}",
    ]);
    let id = prop::sample::select(vec![
        "",
        ",\"id\":1",
        ",\"id\":null",
        ",\"id\":\"s\"",
        ",\"id\":[1]",
        ",\"id\":1.0",
    ]);
    (method, params, id)
        .prop_map(|(m, p, i)| format!("{{\"jsonrpc\":\"2.0\",\"method\":\"{m}\"{p}{i}}}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(input in prop::collection::vec(any::<u8>(), 0..200)) {
        check(&router(), &input)?;
    }

    #[test]
    fn arbitrary_fragments(parts in prop::collection::vec(fragment(), 0..40)) {
        check(&router(), parts.concat().as_bytes())?;
    }

    #[test]
    fn arbitrary_batches(entries in prop::collection::vec(request_like(), 0..30)) {
        let input = format!("[{}]", entries.join(","));
        check(&router(), input.as_bytes())?;
    }

    #[test]
    fn arbitrary_requests(request in request_like()) {
        check(&router(), request.as_bytes())?;
    }
}
