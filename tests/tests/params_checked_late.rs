//! A single request's `params` are checked by the decoding of an `#[rpc]`
//! method rather than before it: one pass over them instead of two. Text
//! that is not JSON is still a parse error, answered exactly as when the
//! parser checks it first (the router does so for methods added by hand),
//! and no method body runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpc_core::{rpc, Context, Error, ErrorCode, Params, Router};
use serde::Deserialize;
use serde_json::Value;
use tests::block_on;

#[derive(Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(Default)]
struct Counted {
    runs: AtomicUsize,
}

fn deny(_: &Context) -> Result<(), Error> {
    Err(Error::new(ErrorCode::new(-32001), "denied"))
}

#[rpc]
impl Counted {
    fn sub(&self, a: i64, b: i64) -> i64 {
        self.runs.fetch_add(1, Ordering::SeqCst);
        a - b
    }

    fn nothing(&self) -> bool {
        self.runs.fetch_add(1, Ordering::SeqCst);
        true
    }

    fn norm(&self, p: Point) -> f64 {
        self.runs.fetch_add(1, Ordering::SeqCst);
        p.x.hypot(p.y)
    }

    fn count(&self, values: Vec<Value>) -> usize {
        self.runs.fetch_add(1, Ordering::SeqCst);
        values.len()
    }

    fn join(&self, a: &str, b: String) -> String {
        self.runs.fetch_add(1, Ordering::SeqCst);
        format!("{a}{b}")
    }

    async fn later(&self, a: i64) -> i64 {
        self.runs.fetch_add(1, Ordering::SeqCst);
        a
    }

    #[rpc(blocking)]
    fn heavy(&self, a: i64) -> i64 {
        a * 2
    }

    #[rpc(guard = deny)]
    fn guarded(&self, a: i64) -> i64 {
        self.runs.fetch_add(1, Ordering::SeqCst);
        a
    }
}

/// The same names, added by hand: their params are checked as the message is read.
fn by_hand() -> Router {
    let mut router = Router::new();
    for name in [
        "sub", "nothing", "norm", "count", "join", "later", "heavy", "guarded",
    ] {
        router
            .method(name, |params: Params<'_>, _: &Context| {
                params.parse::<Value>()
            })
            .unwrap();
    }
    router
}

fn answer(router: &Router, input: &str) -> Option<String> {
    block_on(router.handle(input.as_bytes(), &Context::new()))
        .map(|answer| String::from_utf8(answer).unwrap())
}

#[test]
fn params_that_are_not_json_are_a_parse_error_and_no_method_runs() {
    let service = Arc::new(Counted::default());
    let router = Counted::router_from_arc(Arc::clone(&service));
    let hand = by_hand();
    let cases = [
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,,2],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,2,],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"sub","params":{"a":1,"b":tru},"id":"x"}"#,
        // Decoding stops at the unknown name; the rest is still not JSON.
        r#"{"jsonrpc":"2.0","method":"sub","params":{"a":1,"b":2,"c":[}]},"id":2}"#,
        // Too many params: the extra one is not JSON either.
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,2,{]}],"id":3}"#,
        r#"{"jsonrpc":"2.0","method":"nothing","params":[1 2],"id":4}"#,
        r#"{"jsonrpc":"2.0","method":"norm","params":[{"x":1,"y":2,"z":nul}],"id":5}"#,
        r#"{"jsonrpc":"2.0","method":"count","params":[[1,[2,{"k":]}]]],"id":6}"#,
        r#"{"jsonrpc":"2.0","method":"join","params":["a","b" "c"],"id":7}"#,
        r#"{"jsonrpc":"2.0","method":"later","params":[01],"id":8}"#,
        r#"{"jsonrpc":"2.0","method":"heavy","params":[-],"id":9}"#,
        // A guard that refuses does not hide the parse error.
        r#"{"jsonrpc":"2.0","method":"guarded","params":[1,,],"id":10}"#,
        // Nor does being a notification: a parse error is always answered.
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,,2]}"#,
        // Nor an unknown method.
        r#"{"jsonrpc":"2.0","method":"nope","params":[1,,2],"id":11}"#,
    ];
    for input in cases {
        let late = answer(&router, input).expect("a parse error is answered");
        let first = answer(&hand, input).expect("a parse error is answered");
        assert_eq!(late, first, "{input}");
        let value: Value = serde_json::from_str(&late).unwrap();
        assert_eq!(value["error"]["code"], -32700, "{input}: {late}");
        assert_eq!(value["id"], Value::Null, "{input}");
    }
    assert_eq!(service.runs.load(Ordering::SeqCst), 0, "no method body ran");
}

#[test]
fn params_that_are_json_decode_as_before_whatever_their_strings_hold() {
    let service = Arc::new(Counted::default());
    let router = Counted::router_from_arc(Arc::clone(&service));
    let cases = [
        (
            r#"{"jsonrpc":"2.0","method":"sub","params":[5,3],"id":1}"#,
            "2",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"sub","params":{"b":3,"a":5},"id":1}"#,
            "2",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"sub","params" : [ 5 , 3 ] ,"id":1}"#,
            "2",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"nothing","params":[],"id":1}"#,
            "true",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"norm","params":[{"x":3,"y":4}],"id":1}"#,
            "5.0",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"norm","params":{"p":{"x":3,"y":4}},"id":1}"#,
            "5.0",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"count","params":[[1,"]",[2,{"k":"}{"}],null]],"id":1}"#,
            "4",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"join","params":["a]\"[\\","b\u0041"],"id":1}"#,
            r#""a]\"[\\bA""#,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"later","params":[7],"id":1}"#,
            "7",
        ),
        (
            r#"{"jsonrpc":"2.0","method":"heavy","params":{"a":21},"id":1}"#,
            "42",
        ),
    ];
    for (input, result) in cases {
        let answer = answer(&router, input).unwrap();
        let value: Value = serde_json::from_str(&answer).unwrap();
        assert_eq!(value["result"].to_string(), result, "{input}: {answer}");
    }
    // Params of the wrong shape are still invalid params, not a parse error.
    let answer = answer(
        &router,
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,"x"],"id":1}"#,
    )
    .unwrap();
    let value: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(value["error"]["code"], -32602, "{answer}");
    let guarded = answer_of(
        &router,
        r#"{"jsonrpc":"2.0","method":"guarded","params":[1],"id":1}"#,
    );
    assert_eq!(guarded["error"]["code"], -32001);
}

fn answer_of(router: &Router, input: &str) -> Value {
    serde_json::from_str(&answer(router, input).unwrap()).unwrap()
}

/// Counts the calls the router reports.
#[derive(Default)]
struct Calls(AtomicUsize);

impl rpc_core::Observer for Calls {
    fn on_call(&self, _: &str, _: std::time::Duration, _: Option<ErrorCode>) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[test]
fn an_unreadable_message_is_no_call_for_the_observer() {
    let calls = Arc::new(Calls::default());
    let mut router = Counted::default().into_router();
    router.set_observer(Arc::clone(&calls) as Arc<dyn rpc_core::Observer>);
    let unreadable = answer_of(
        &router,
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,,2],"id":1}"#,
    );
    assert_eq!(unreadable["error"]["code"], -32700);
    assert_eq!(calls.0.load(Ordering::SeqCst), 0);
    let refused = answer_of(
        &router,
        r#"{"jsonrpc":"2.0","method":"sub","params":[1,"x"],"id":1}"#,
    );
    assert_eq!(refused["error"]["code"], -32602);
    assert_eq!(calls.0.load(Ordering::SeqCst), 1);
}
