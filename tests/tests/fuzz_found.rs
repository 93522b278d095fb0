//! Inputs the coverage-guided fuzzer (fuzz/, scripts/fuzz.sh) stopped on,
//! kept as regular tests; each is also a seed of its target's corpus
//! (`fuzz/corpus/<target>/seed-found-*`). None was a crash of the library:
//! each showed a place where the fuzz target's own check expected more than
//! JSON or serde_json give, and the test pins the library's behaviour there.

use std::convert::Infallible;

use rpc_core::client::{Client, Transport};
use rpc_core::Params;
use serde_json::value::RawValue;
use serde_json::Value;

/// `message`: an id past f64's range is valid JSON, and is echoed byte for
/// byte; serde_json (without `arbitrary_precision`) cannot build it, which
/// a client reading answers with it must expect.
#[test]
fn an_id_past_f64_range_is_echoed_byte_for_byte() {
    let (router, _) = tests::spec_router();
    let answer = tests::block_on(router.handle(
        br#"{"jsonrpc":"2.0","method":"subtract","params":[922337203685477508,71],"id":11e400}"#,
        &rpc_core::Context::new(),
    ))
    .unwrap();
    assert_eq!(
        std::str::from_utf8(&answer).unwrap(),
        r#"{"jsonrpc":"2.0","result":922337203685477437,"id":11e400}"#
    );
    assert!(serde_json::from_slice::<Value>(&answer).is_err());
    assert!(serde_json::from_slice::<serde::de::IgnoredAny>(&answer).is_ok());
}

/// `message`, again: 400 digits without an exponent are past f64's range
/// too, and are echoed byte for byte all the same.
#[test]
fn a_long_integer_id_is_echoed_byte_for_byte() {
    let (router, _) = tests::spec_router();
    let id = "1".repeat(400);
    let request = format!(r#"{{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":{id}}}"#);
    let answer =
        tests::block_on(router.handle(request.as_bytes(), &rpc_core::Context::new())).unwrap();
    assert_eq!(
        std::str::from_utf8(&answer).unwrap(),
        format!(r#"{{"jsonrpc":"2.0","result":1,"id":{id}}}"#)
    );
    assert!(serde_json::from_slice::<Value>(&answer).is_err());
    assert!(serde_json::from_slice::<serde::de::IgnoredAny>(&answer).is_ok());
}

/// `message`, again: a string id with a lone surrogate escape
/// (`"\ud8001"`) is valid JSON too, echoed byte for byte, and beyond what
/// serde_json builds.
#[test]
fn an_id_with_a_lone_surrogate_escape_is_echoed_byte_for_byte() {
    let (router, _) = tests::spec_router();
    let answer = tests::block_on(router.handle(
        br#"{"jsonrpc":"2.0","method":"subtract","params":[2,1],"id":"\ud8001"}"#,
        &rpc_core::Context::new(),
    ))
    .unwrap();
    assert_eq!(
        std::str::from_utf8(&answer).unwrap(),
        r#"{"jsonrpc":"2.0","result":1,"id":"\ud8001"}"#
    );
    assert!(serde_json::from_slice::<Value>(&answer).is_err());
}

/// `params`: a long integer decoded into a `Value` (or an `f64`) reads as
/// the nearest float within an ulp, as serde_json reads it; it is a number,
/// never an error.
#[test]
fn a_long_integer_decodes_into_a_float() {
    let raw = RawValue::from_string("[-9323372036854732337203685477580975809]".to_owned()).unwrap();
    let (value,): (Value,) = Params::new(Some(&raw)).decode(&["a"]).unwrap();
    let float = value.as_f64().expect("a float");
    let exact = -9.323372036854732e36_f64;
    assert!(
        (float - exact).abs() <= exact.abs() * f64::EPSILON,
        "{float}"
    );
    let (float,): (f64,) = Params::new(Some(&raw)).decode(&["a"]).unwrap();
    assert!(
        (float - exact).abs() <= exact.abs() * f64::EPSILON,
        "{float}"
    );
}

/// Answers every message with fixed bytes.
struct Replay(&'static [u8]);

impl Transport for Replay {
    type Error = Infallible;

    async fn send(&self, _message: Vec<u8>) -> Result<Vec<u8>, Infallible> {
        Ok(self.0.to_vec())
    }

    async fn notify(&self, _message: Vec<u8>) -> Result<(), Infallible> {
        Ok(())
    }
}

/// `client`: the client matches an answer by its id and result; a member
/// it does not know is skipped, unread, even when its name is not UTF-8
/// (serde_json does not check what it skips).
#[test]
fn an_unknown_member_of_an_answer_is_skipped_unread() {
    let body: &[u8] =
        b"{\"jsonrpc\":\"2.0\",\"result\":1,\"err~or\":{\"\xffcode\":1,\"message\":\"\"},\"id\":1}";
    let client = Client::new(Replay(body));
    let result: Value = tests::block_on(client.request("m", ())).unwrap();
    assert_eq!(result, 1);
    // The same answer for another id is refused.
    let client = Client::new(Replay(body));
    let _ = tests::block_on(client.request::<Value>("first", ()));
    let err = tests::block_on(client.request::<Value>("second", ())).unwrap_err();
    assert!(err.is_invalid_response(), "{err}");
}

/// `client`, again: an unknown member whose name holds a lone surrogate
/// escape (`"\ud800..."`) is skipped unread as well.
#[test]
fn an_unknown_member_with_a_lone_surrogate_escape_is_skipped_unread() {
    let body: &[u8] = br#"{"jsonrpc":"2.0","result":0,"er#ror":{"cod\u0000m":"2.0","\ud800result":1,"essage":""},"id":1}"#;
    assert!(serde_json::from_slice::<Value>(body).is_err());
    let client = Client::new(Replay(body));
    let result: Value = tests::block_on(client.request("m", ())).unwrap();
    assert_eq!(result, 0);
}
