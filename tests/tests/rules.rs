//! The protocol rules rpc-core enforces, one test each, through `Router::handle`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpc_core::{Context, Cookie, Error, ErrorCode, Limits, Params, Router};
use serde_json::{json, Value};
use tests::{block_on, call};

fn code(answer: &Value) -> i64 {
    answer["error"]["code"].as_i64().expect("an error answer")
}

fn router() -> Router {
    let mut router = Router::new();
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, Error>(a + b)
        })
        .unwrap()
        .method("fail", |_: Params<'_>, _: &Context| {
            Err::<(), _>(
                Error::new(ErrorCode::new(42), "it failed").with_data(&json!({"why": "asked to"})),
            )
        })
        .unwrap()
        .method("boom", |_: Params<'_>, _: &Context| -> Result<(), Error> {
            panic!("boom")
        })
        .unwrap()
        .async_method("async_boom", |_: Params<'_>, _: &Context| {
            Box::pin(async { panic!("async boom") as Result<(), Error> })
        })
        .unwrap()
        .async_method("greet", |params: Params<'_>, _: &Context| {
            Box::pin(async move {
                // The future borrows the request: no copy of the name.
                let (name,): (&str,) = params.decode(&["name"])?;
                tokio::task::yield_now().await;
                Ok::<_, Error>(format!("hello {name}"))
            })
        })
        .unwrap()
        .blocking_method("blocking_square", |params: Params<'_>| {
            let (n,): (i64,) = params.decode(&["n"])?;
            Ok::<_, Error>(n * n)
        })
        .unwrap()
        .blocking_method("blocking_boom", |_: Params<'_>| -> Result<(), Error> {
            panic!("blocking boom")
        })
        .unwrap();
    router
}

#[test]
fn version_must_be_exactly_the_string_2_0() {
    for version in [r#""1.0""#, r#""2.00""#, "2.0", "2", "null", "[]"] {
        let input =
            format!(r#"{{"jsonrpc": {version}, "method": "add", "params": [1, 2], "id": 7}}"#);
        let answer = call(&router(), &input).unwrap();
        assert_eq!(code(&answer), -32600, "{input}");
        assert_eq!(answer["error"]["message"], "Invalid Request");
        assert_eq!(answer["id"], 7, "a readable id is echoed");
    }
    let answer = call(&router(), r#"{"method": "add", "params": [1, 2], "id": 7}"#).unwrap();
    assert_eq!(code(&answer), -32600);
}

#[test]
fn method_must_be_a_string() {
    for method in ["1", "null", "true", "[\"add\"]", "{}"] {
        let input = format!(r#"{{"jsonrpc": "2.0", "method": {method}, "id": 1}}"#);
        assert_eq!(code(&call(&router(), &input).unwrap()), -32600, "{input}");
    }
}

#[test]
fn scalar_params_are_an_invalid_request() {
    for params in ["1", "\"x\"", "true", "null"] {
        let input =
            format!(r#"{{"jsonrpc": "2.0", "method": "add", "params": {params}, "id": 1}}"#);
        assert_eq!(code(&call(&router(), &input).unwrap()), -32600, "{input}");
    }
}

#[test]
fn invalid_json_is_a_parse_error_with_null_id() {
    for input in [
        "",
        "{",
        "nul",
        r#"{"jsonrpc":"2.0","method":"add","id":1"#,
        "[1,]",
        "{\"a\":1}x",
        "\u{feff}{}",
        "[]x",
        "[1,2",
        // A raw control character is not JSON, in a member name as anywhere.
        "{\"jsonrpc\":\"2.0\",\"method\":\"add\",\"id\":1,\"x\ty\":0}",
    ] {
        let answer = call(&router(), input).unwrap();
        assert_eq!(code(&answer), -32700, "{input:?}");
        assert_eq!(answer["error"]["message"], "Parse error");
        assert_eq!(answer["id"], Value::Null);
    }
}

#[test]
fn json_that_is_not_a_request_is_invalid() {
    // A number beyond f64 and a lone surrogate escape are valid JSON too.
    for input in ["1", "\"add\"", "null", "true", "1e400", r#""\udc00""#] {
        let answer = call(&router(), input).unwrap();
        assert_eq!(code(&answer), -32600, "{input}");
        assert_eq!(answer["id"], Value::Null);
    }
}

#[test]
fn empty_batch_is_one_invalid_request() {
    let answer = call(&router(), " [ ] ").unwrap();
    assert!(answer.is_object());
    assert_eq!(code(&answer), -32600);
}

#[test]
fn a_batch_of_invalid_entries_gets_one_error_each() {
    let answer = call(
        &router(),
        r#"[1, "x", {"jsonrpc": "1.0", "method": "add", "id": 5}, {}]"#,
    )
    .unwrap();
    let answers = answer.as_array().unwrap();
    assert_eq!(answers.len(), 4);
    assert!(answers.iter().all(|a| code(a) == -32600));
    assert_eq!(answers[2]["id"], 5);
}

#[test]
fn valid_json_serde_cannot_build_spoils_only_its_own_batch_entry() {
    let answer = call(
        &router(),
        r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},1e400,"\ud800",{"jsonrpc":"2.0","method":"add","params":[3,4],"id":2,"\udc00":0}]"#,
    )
    .unwrap();
    let answers = answer.as_array().unwrap();
    assert_eq!(answers.len(), 4);
    assert_eq!(
        (answers[0]["result"].as_i64(), answers[0]["id"].as_i64()),
        (Some(3), Some(1))
    );
    assert!(answers[1..3]
        .iter()
        .all(|a| code(a) == -32600 && a["id"].is_null()));
    assert_eq!(
        (answers[3]["result"].as_i64(), answers[3]["id"].as_i64()),
        (Some(7), Some(2))
    );
}

#[test]
fn notifications_are_never_answered_even_when_they_fail() {
    for input in [
        r#"{"jsonrpc": "2.0", "method": "add", "params": [1, 2]}"#,
        r#"{"jsonrpc": "2.0", "method": "missing"}"#,
        r#"{"jsonrpc": "2.0", "method": "add", "params": ["x"]}"#,
        r#"{"jsonrpc": "2.0", "method": "fail"}"#,
        r#"{"jsonrpc": "2.0", "method": "boom"}"#,
        r#"{"jsonrpc": "2.0", "method": "async_boom"}"#,
        r#"[{"jsonrpc": "2.0", "method": "fail"}, {"jsonrpc": "2.0", "method": "missing"}]"#,
    ] {
        assert_eq!(call(&router(), input), None, "{input}");
    }
}

#[test]
fn a_null_id_is_a_request_not_a_notification() {
    let answer = call(
        &router(),
        r#"{"jsonrpc": "2.0", "method": "add", "params": [1, 2], "id": null}"#,
    )
    .unwrap();
    assert_eq!(answer, json!({"jsonrpc": "2.0", "result": 3, "id": null}));
}

#[test]
fn ids_are_echoed_byte_for_byte() {
    for id in [
        "1.0",
        "1e3",
        "-0",
        "123456789012345678901234567890",
        r#""\u00e9""#,
        r#""""#,
    ] {
        let input = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#);
        let answer = block_on(router().handle(input.as_bytes(), &Context::new())).unwrap();
        let expected = format!(r#"{{"jsonrpc":"2.0","result":3,"id":{id}}}"#);
        assert_eq!(String::from_utf8(answer).unwrap(), expected);
    }
}

#[test]
fn ids_of_other_types_are_refused() {
    for id in ["true", "[1]", "{\"a\":1}"] {
        let input = format!(r#"{{"jsonrpc":"2.0","method":"add","params":[1,2],"id":{id}}}"#);
        let answer = call(&router(), &input).unwrap();
        assert_eq!(code(&answer), -32600);
        assert_eq!(answer["id"], Value::Null);
    }
}

#[test]
fn the_rpc_prefix_is_reserved() {
    let answer = call(
        &router(),
        r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#,
    )
    .unwrap();
    assert_eq!(code(&answer), -32601);
    let mut router = router();
    let err = router
        .method("rpc.mine", |_: Params<'_>, _: &Context| Ok::<_, Error>(()))
        .unwrap_err();
    assert!(err.is_reserved());
}

#[test]
fn application_errors_keep_code_message_and_data() {
    let answer = call(&router(), r#"{"jsonrpc":"2.0","method":"fail","id":1}"#).unwrap();
    assert_eq!(
        answer,
        json!({"jsonrpc": "2.0", "error": {"code": 42, "message": "it failed", "data": {"why": "asked to"}}, "id": 1})
    );
}

#[test]
fn invalid_params_name_the_parameter() {
    let answer = call(
        &router(),
        r#"{"jsonrpc":"2.0","method":"add","params":{"a":1,"b":"two"},"id":1}"#,
    )
    .unwrap();
    assert_eq!(code(&answer), -32602);
    assert_eq!(answer["error"]["data"]["param"], "b");
    assert_eq!(answer["error"]["data"]["position"], 1);
    assert!(answer["error"]["data"]["reason"]
        .as_str()
        .unwrap()
        .contains("expected i64"));
}

#[test]
fn panics_become_internal_errors_and_the_router_goes_on() {
    let router = router();
    for method in ["boom", "async_boom", "blocking_boom"] {
        let input = format!(r#"{{"jsonrpc":"2.0","method":"{method}","id":1}}"#);
        let answer = call(&router, &input).unwrap();
        assert_eq!(
            answer,
            json!({"jsonrpc": "2.0", "error": {"code": -32603, "message": "Internal error"}, "id": 1})
        );
    }
    let answer = call(
        &router,
        r#"[{"jsonrpc":"2.0","method":"boom","id":1},{"jsonrpc":"2.0","method":"add","params":[2,2],"id":2}]"#,
    )
    .unwrap();
    assert_eq!(code(&answer[0]), -32603);
    assert_eq!(answer[1]["result"], 4);
}

#[test]
fn async_and_blocking_methods_answer() {
    let answer = call(
        &router(),
        r#"{"jsonrpc":"2.0","method":"greet","params":{"name":"ada"},"id":1}"#,
    )
    .unwrap();
    assert_eq!(answer["result"], "hello ada");
    let answer = call(
        &router(),
        r#"{"jsonrpc":"2.0","method":"blocking_square","params":[12],"id":1}"#,
    )
    .unwrap();
    assert_eq!(answer["result"], 144);
}

#[test]
fn batch_answers_keep_request_order_across_sync_and_async_entries() {
    let input = r#"[
        {"jsonrpc":"2.0","method":"add","params":[1,1],"id":1},
        {"jsonrpc":"2.0","method":"greet","params":["a"],"id":2},
        {"jsonrpc":"2.0","method":"add","params":[1,2],"id":3},
        {"jsonrpc":"2.0","method":"add","params":[1,3]},
        {"jsonrpc":"2.0","method":"blocking_square","params":[3],"id":4},
        {"jsonrpc":"2.0","method":"nope","id":5},
        {"jsonrpc":"2.0","method":"greet","params":["b"],"id":6}
    ]"#;
    let answer = call(&router(), input).unwrap();
    let ids: Vec<i64> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [1, 2, 3, 4, 5, 6]);
    assert_eq!(answer[1]["result"], "hello a");
    assert_eq!(answer[3]["result"], 9);
    assert_eq!(code(&answer[4]), -32601);
}

/// A router whose one async method records how many calls run at once.
fn concurrency_probe(limits: Limits) -> (Router, Arc<AtomicUsize>) {
    let running = Arc::new(AtomicUsize::new(0));
    let peak = Arc::new(AtomicUsize::new(0));
    let (running2, peak2) = (Arc::clone(&running), Arc::clone(&peak));
    let mut router = Router::new().with_limits(limits);
    router
        .async_method("work", move |_: Params<'_>, _: &Context| {
            let (running, peak) = (Arc::clone(&running2), Arc::clone(&peak2));
            Box::pin(async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                for _ in 0..5 {
                    tokio::task::yield_now().await;
                }
                running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, Error>(now)
            })
        })
        .unwrap();
    (router, peak)
}

fn batch_of_work(n: usize) -> String {
    let entries: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"jsonrpc":"2.0","method":"work","id":{i}}}"#))
        .collect();
    format!("[{}]", entries.join(","))
}

#[test]
fn batch_entries_run_concurrently_up_to_the_bound() {
    let (router, peak) = concurrency_probe(Limits::default().with_batch_concurrency(3));
    let answer = call(&router, &batch_of_work(10)).unwrap();
    assert_eq!(answer.as_array().unwrap().len(), 10);
    assert_eq!(peak.load(Ordering::SeqCst), 3);

    let (router, peak) = concurrency_probe(Limits::default().with_batch_concurrency(1));
    call(&router, &batch_of_work(10)).unwrap();
    assert_eq!(peak.load(Ordering::SeqCst), 1);
}

#[test]
fn batch_length_limit() {
    let (router, _) = concurrency_probe(Limits::default().with_max_batch_len(4));
    assert_eq!(
        call(&router, &batch_of_work(4))
            .unwrap()
            .as_array()
            .unwrap()
            .len(),
        4
    );
    let answer = call(&router, &batch_of_work(5)).unwrap();
    assert_eq!(code(&answer), -32600);
    assert_eq!(answer["id"], Value::Null);
    // Past the limit the rest is still read: text that is not JSON is a parse error.
    let broken = batch_of_work(5).trim_end_matches(']').to_owned() + ",}]";
    assert_eq!(code(&call(&router, &broken).unwrap()), -32700);
    assert_eq!(Limits::default().max_batch_len(), 1000);
}

#[test]
fn deep_nesting_is_an_error_never_a_stack_overflow() {
    let router = router();
    for depth in [129, 100_000] {
        let input = format!(
            r#"{{"jsonrpc":"2.0","method":"add","params":{},"id":1}}"#,
            "[".repeat(depth)
        );
        assert_eq!(code(&call(&router, &input).unwrap()), -32700);
        let closed = format!(
            r#"{{"jsonrpc":"2.0","method":"add","params":{}{},"id":1}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(code(&call(&router, &closed).unwrap()), -32700);
        assert_eq!(code(&call(&router, &"[".repeat(depth)).unwrap()), -32700);
    }
    let shallow = router
        .clone()
        .with_limits(Limits::default().with_max_depth(3));
    let input = r#"{"jsonrpc":"2.0","method":"add","params":[[[1]],2],"id":1}"#;
    assert_eq!(code(&call(&shallow, input).unwrap()), -32700);
    assert_eq!(
        code(&call(&router, input).unwrap()),
        -32602,
        "within the default depth it reaches the method"
    );
}

#[test]
fn context_flows_in_and_effects_flow_out() {
    struct UserId(u64);
    let mut router = Router::new();
    router
        .method("whoami", |_: Params<'_>, ctx: &Context| {
            ctx.set_header("x-user", "yes");
            ctx.set_cookie(Cookie::new("seen", "1").http_only(true));
            Ok::<_, Error>(json!({
                "peer": ctx.peer_addr().map(|a| a.to_string()),
                "user": ctx.get::<UserId>().map(|u| u.0),
                "agent": ctx.header("user-agent"),
            }))
        })
        .unwrap();
    let ctx = Context::new()
        .with_peer_addr("10.1.2.3:4567".parse().unwrap())
        .with(UserId(9))
        .with_headers(vec![("User-Agent".to_owned(), "test".to_owned())]);
    let input = r#"[{"jsonrpc":"2.0","method":"whoami","id":1},{"jsonrpc":"2.0","method":"whoami","id":2}]"#;
    let answer: Value =
        serde_json::from_slice(&block_on(router.handle(input.as_bytes(), &ctx)).unwrap()).unwrap();
    assert_eq!(
        answer[0]["result"],
        json!({"peer": "10.1.2.3:4567", "user": 9, "agent": "test"})
    );
    let effects = ctx.take_response_effects();
    assert_eq!(
        effects.headers().len(),
        2,
        "both batch entries set their header"
    );
    assert_eq!(effects.cookies()[0].to_string(), "seen=1; HttpOnly");
}

#[test]
fn aliases_and_namespaces_dispatch() {
    let mut math = router();
    math.alias("plus", "add").unwrap();
    let mut root = Router::new();
    root.nest("math", math).unwrap();
    let answer = call(
        &root,
        r#"{"jsonrpc":"2.0","method":"math.plus","params":[2,3],"id":1}"#,
    )
    .unwrap();
    assert_eq!(answer["result"], 5);
    assert_eq!(
        code(
            &call(
                &root,
                r#"{"jsonrpc":"2.0","method":"add","params":[2,3],"id":1}"#
            )
            .unwrap()
        ),
        -32601
    );
}

#[test]
fn unknown_members_are_ignored_and_escaped_names_decoded() {
    let answer = call(
        &router(),
        r#"{"jsonrpc":"2.0","x-trace":{"deep":[1,2]},"m\u0065thod":"a\u0064d","params":[1,2],"id":1}"#,
    )
    .unwrap();
    assert_eq!(answer["result"], 3);
}

#[test]
fn the_dispatch_future_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    let router = router();
    let ctx = Context::new();
    let future = router.handle(b"[]", &ctx);
    assert_send(&future);
}

#[test]
fn a_parsed_call_tells_whether_it_will_be_answered() {
    let router = router();
    let cases = [
        (r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#, true),
        (r#"{"jsonrpc":"2.0","method":"missing"}"#, true),
        (
            r#"[{"jsonrpc":"2.0","method":"add","params":[1,2]},{"jsonrpc":"2.0","method":"fail"}]"#,
            true,
        ),
        (
            r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":null}"#,
            false,
        ),
        (
            r#"[{"jsonrpc":"2.0","method":"add"},{"jsonrpc":"2.0","method":"add","id":1}]"#,
            false,
        ),
        (r#"[{"jsonrpc":"2.0","method":"add"},1]"#, false),
        (r#"{"jsonrpc":"1.0","method":"add"}"#, false),
        ("[]", false),
        ("{", false),
    ];
    for (input, expected) in cases {
        assert_eq!(
            router.parse(input.as_bytes()).is_notification_only(),
            expected,
            "{input}"
        );
    }
}

#[test]
fn an_observer_sees_every_call_with_its_outcome() {
    use std::sync::Mutex;
    use std::time::Duration;

    #[derive(Default)]
    struct Log(Mutex<Vec<(String, Option<i32>)>>);
    impl rpc_core::Observer for Log {
        fn on_call(&self, method: &str, _: Duration, error: Option<ErrorCode>) {
            self.0
                .lock()
                .unwrap()
                .push((method.to_owned(), error.map(ErrorCode::code)));
        }
    }
    let log = Arc::new(Log::default());
    let mut router = router();
    router.set_observer(log.clone());
    call(
        &router,
        r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},
            {"jsonrpc":"2.0","method":"fail","id":2},
            {"jsonrpc":"2.0","method":"boom"},
            {"jsonrpc":"2.0","method":"greet","params":["x"],"id":3},
            {"jsonrpc":"2.0","method":"missing","id":4}]"#,
    );
    let mut seen = log.0.lock().unwrap().clone();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("add".to_owned(), None),
            ("boom".to_owned(), Some(-32603)),
            ("fail".to_owned(), Some(42)),
            ("greet".to_owned(), None)
        ]
    );
}

#[test]
fn a_bad_method_string_spoils_only_its_own_batch_entry() {
    let input = r#"[{"jsonrpc":"2.0","method":"\ud800","id":1},{"jsonrpc":"2.0","method":"add","params":[1,2],"id":2}]"#;
    let answer = call(&router(), input).unwrap();
    assert_eq!(code(&answer[0]), -32600);
    assert_eq!(answer[0]["id"], 1);
    assert_eq!(answer[1]["result"], 3);
}

#[test]
fn invalid_utf8_anywhere_is_a_parse_error() {
    let input =
        b"{\"jsonrpc\":\"2.0\",\"x\":\"\xff\",\"method\":\"add\",\"params\":[1,2],\"id\":1}";
    let answer = block_on(router().handle(input, &Context::new())).unwrap();
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(code(&answer), -32700);
}

#[test]
fn echoed_names_are_clipped() {
    let long = "x".repeat(100_000);
    let input = format!(r#"{{"jsonrpc":"2.0","method":"{long}","id":1}}"#);
    let answer = block_on(router().handle(input.as_bytes(), &Context::new())).unwrap();
    assert!(answer.len() < 1_000, "answer of {} bytes", answer.len());
    let input =
        format!(r#"{{"jsonrpc":"2.0","method":"add","params":{{"a":1,"b":2,"{long}":3}},"id":1}}"#);
    let answer = block_on(router().handle(input.as_bytes(), &Context::new())).unwrap();
    assert!(answer.len() < 1_000, "answer of {} bytes", answer.len());
}

#[test]
fn run_now_answers_messages_without_asynchronous_methods_exactly_as_run_does() {
    let router = router();
    let ctx = Context::new();
    let immediate = [
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"fail","id":"x"}"#,
        r#"{"jsonrpc":"2.0","method":"missing","id":2}"#,
        r#"{"jsonrpc":"2.0","method":"add","params":[1,2]}"#,
        r#"{"jsonrpc":"2.0","method":1,"id":3}"#,
        r#"[{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},{"jsonrpc":"2.0","method":"missing","id":2},{"foo":1}]"#,
        r#"[{"jsonrpc":"2.0","method":"add","params":[1,2]}]"#,
        r#"{"jsonrpc":"2.0","method""#,
        r#"[]"#,
    ];
    for input in immediate {
        let call = router.parse(input.as_bytes());
        assert!(call.is_immediate(), "{input}");
        let now = call
            .run_now(&ctx)
            .unwrap_or_else(|_| panic!("{input} waits for nothing"));
        let awaited = block_on(router.handle(input.as_bytes(), &ctx));
        assert_eq!(now, awaited, "{input}");
    }
}

#[test]
fn run_now_hands_back_untouched_a_message_with_an_asynchronous_method() {
    let mut router = router();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&runs);
    router
        .method("count", move |_: Params<'_>, _: &Context| {
            Ok::<_, Error>(counter.fetch_add(1, Ordering::SeqCst) + 1)
        })
        .unwrap();
    let ctx = Context::new();
    let waiting = [
        r#"{"jsonrpc":"2.0","method":"greet","params":["ann"],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"blocking_square","params":[3],"id":2}"#,
        r#"[{"jsonrpc":"2.0","method":"count","id":1},{"jsonrpc":"2.0","method":"greet","params":["bo"],"id":2}]"#,
        // Every kind of entry: the batch comes back as it was read.
        r#"[{"jsonrpc":"2.0","method":"count","id":1},{"jsonrpc":"2.0","method":"nope","id":3},{"foo":1},{"jsonrpc":"2.0","method":"count"},{"jsonrpc":"2.0","method":"greet","params":["bo"],"id":2}]"#,
    ];
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for input in waiting {
        let call = router.parse(input.as_bytes());
        assert!(!call.is_immediate(), "{input}");
        let Err(call) = call.run_now(&ctx) else {
            panic!("{input} has an asynchronous method and ran at once");
        };
        assert_eq!(runs.load(Ordering::SeqCst), 0, "{input}: nothing ran yet");
        let handed_back = runtime.block_on(call.run(&ctx));
        runs.store(0, Ordering::SeqCst);
        let fresh = runtime.block_on(router.handle(input.as_bytes(), &ctx));
        runs.store(0, Ordering::SeqCst);
        assert_eq!(handed_back, fresh, "{input}");
        assert!(handed_back.is_some(), "{input}");
    }
}
