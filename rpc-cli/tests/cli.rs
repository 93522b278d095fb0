//! The `rpc` binary against the examples' servers, over real sockets: what
//! it prints, where, and its exit status.

use std::process::{Command, Output, Stdio};
use std::time::Duration;

use rpc_core::introspection::Listing;
use rpc_core::{Context, Error, Params, Router};
use rpc_http::{Server, ServerHandle};
use serde_json::{json, Value};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Runs `rpc` with `args`; its output. A run that hangs is killed and fails
/// the test, rather than hanging it.
fn rpc(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rpc"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("rpc starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    // The outputs are small: the pipes hold them until the end.
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            let output = child.wait_with_output().unwrap();
            panic!(
                "rpc {args:?} still running after 60 s; stderr: {}",
                stderr(&output)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs `rpc` and expects exit status `status`.
fn expect(args: &[&str], status: i32) -> Output {
    let output = rpc(args);
    assert_eq!(
        output.status.code(),
        Some(status),
        "rpc {args:?}\nstdout: {}\nstderr: {}",
        stdout(&output),
        stderr(&output)
    );
    output
}

fn url(server: &ServerHandle, scheme: &str) -> String {
    format!("{scheme}://{}/", server.local_addr().unwrap())
}

#[test]
fn help_and_mistakes_on_the_command_line() {
    let help = expect(&["--help"], 0);
    assert!(stdout(&help).contains("rpc [OPTIONS] call URL METHOD [PARAM]..."));
    assert!(stdout(&help).contains("Exit status: 0 success"));
    assert_eq!(
        stdout(&expect(&["-V"], 0)),
        format!("rpc {}\n", env!("CARGO_PKG_VERSION"))
    );
    let mistake = expect(&["call", "http://127.0.0.1:1/", "m", "--verbose"], 2);
    assert_eq!(stdout(&mistake), "");
    let said = stderr(&mistake);
    assert!(
        said.starts_with("error: unexpected argument '--verbose' found\n"),
        "{said}"
    );
    assert!(
        said.contains("to pass '--verbose' as a value, use '-- --verbose'"),
        "{said}"
    );
    assert!(
        said.contains("Usage: rpc call <URL> <METHOD> [PARAM]..."),
        "{said}"
    );
    // Nothing to do: the help, on standard error.
    let nothing = expect(&[], 2);
    assert!(stderr(&nothing).contains("rpc [OPTIONS] list URL"));
    expect(&["--timeout", "0", "list", "http://127.0.0.1:1/"], 2);
}

#[test]
fn list_reads_rpc_discover() {
    let runtime = runtime();
    let server = runtime
        .block_on(examples::calculator::start("127.0.0.1:0"))
        .unwrap();
    let listing = stdout(&expect(&["list", &url(&server, "http")], 0));
    assert!(listing.starts_with("Calculator 0.1.0\n"), "{listing}");
    assert!(
        listing.contains("\nmath.add(a: i64, b: i64) -> i64\n    Adds two integers; fails on overflow.\n    error 1: integer overflow\n"),
        "{listing}"
    );
    assert!(listing.contains("math.sum(values: Vec<f64>) -> f64\n    Sums any number of values.\n    also: math.total\n"), "{listing}");
    runtime.block_on(async {
        server.shutdown();
        server.stopped().await;
    });
}

#[test]
fn list_falls_back_to_a_seeds_listing_method_then_fails_with_the_error() {
    let runtime = runtime();
    let mut router = examples::calculator::Calculator.into_router();
    router.serve_listing(Listing::aiohttp()).unwrap();
    let server = runtime
        .block_on(Server::bind("127.0.0.1:0").mount("/", router).start())
        .unwrap();
    let names = stdout(&expect(&["list", &url(&server, "http")], 0));
    assert_eq!(
        names,
        "get_methods\nmath.add\nmath.div\nmath.midpoint\nmath.sum\nmath.total\n"
    );
    let bare = runtime
        .block_on(
            Server::bind("127.0.0.1:0")
                .mount("/", examples::calculator::Calculator.into_router())
                .start(),
        )
        .unwrap();
    let output = expect(&["list", &url(&bare, "http")], 1);
    assert!(
        stderr(&output).starts_with("error -32601: Method not found"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn call_prints_the_result_or_the_error_on_stderr_with_status_1() {
    let runtime = runtime();
    let server = runtime
        .block_on(examples::calculator::start("127.0.0.1:0"))
        .unwrap();
    let http = url(&server, "http");
    let ws = url(&server, "ws");
    for base in [&http, &ws] {
        // By position, by name, as one JSON array or object.
        assert_eq!(
            stdout(&expect(&["call", base, "math.add", "40", "2"], 0)),
            "42\n"
        );
        // Negative numbers are params, not options.
        assert_eq!(
            stdout(&expect(&["call", base, "math.add", "-1", "-2"], 0)),
            "-3\n"
        );
        assert_eq!(
            stdout(&expect(&["call", base, "math.div", "b=8", "a=1"], 0)),
            "0.125\n"
        );
        assert_eq!(
            stdout(&expect(&["call", base, "math.sum", "[1, 2, 3.5]"], 0)),
            "6.5\n"
        );
        let midpoint = stdout(&expect(
            &[
                "call",
                base,
                "math.midpoint",
                r#"{"from": {"x": 0, "y": 0}, "to": {"x": 2, "y": 4}}"#,
            ],
            0,
        ));
        assert_eq!(midpoint, "{\n  \"x\": 1.0,\n  \"y\": 2.0\n}\n");
        let compact = stdout(&expect(
            &[
                "--compact",
                "call",
                base,
                "math.midpoint",
                r#"from={"x":0,"y":0}"#,
                r#"to={"x":2,"y":4}"#,
            ],
            0,
        ));
        assert_eq!(compact, "{\"x\":1.0,\"y\":2.0}\n");

        let failed = expect(&["call", base, "math.div", "1", "0"], 1);
        assert_eq!(stdout(&failed), "");
        assert_eq!(stderr(&failed), "error 2: division by zero\ndata: 1.0\n");
        let unknown = expect(&["call", base, "nope"], 1);
        assert!(stderr(&unknown).starts_with("error -32601: Method not found\n"));
    }
    // An answer over the size limit is refused, over either transport.
    for base in [&http, &ws] {
        let big = expect(&["--max-size", "64", "list", base], 3);
        let said = stderr(&big);
        assert!(
            said.contains("larger than")
                && said.contains("64 bytes")
                && said.contains("--max-size"),
            "{said}"
        );
    }
    // Mixed params are a mistake on the command line; an unreachable server is status 3.
    expect(&["call", &http, "math.add", "a=1", "2"], 2);
    expect(&["call", "ftp://127.0.0.1/", "x"], 2);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    expect(&["call", &format!("http://127.0.0.1:{port}/"), "x"], 3);
}

#[test]
fn notify_batch_headers_and_timeouts() {
    let runtime = runtime();
    let mut router = Router::new();
    router
        .method("token", |_: Params<'_>, ctx: &Context| {
            Ok::<_, Error>(ctx.header("x-token").map(str::to_owned))
        })
        .unwrap();
    router
        .async_method("slow", |_: Params<'_>, _: &Context| {
            Box::pin(async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok::<_, Error>(1)
            })
        })
        .unwrap();
    let server = runtime
        .block_on(
            Server::bind("127.0.0.1:0")
                .mount("/", router)
                .mount("/calc", examples::calculator::router().unwrap())
                .start(),
        )
        .unwrap();
    let base = url(&server, "http");
    let calc = format!("{base}calc");

    let token = expect(&["--header", "X-Token: secret", "call", &base, "token"], 0);
    assert_eq!(stdout(&token), "\"secret\"\n");
    let token = expect(
        &[
            "-H",
            "X-Token: over-ws",
            "call",
            &url(&server, "ws"),
            "token",
        ],
        0,
    );
    assert_eq!(stdout(&token), "\"over-ws\"\n");
    expect(&["--header", "no colon", "call", &base, "token"], 2);

    let started = std::time::Instant::now();
    let slow = expect(&["--timeout", "0.5", "call", &base, "slow"], 3);
    assert!(started.elapsed() < Duration::from_secs(4));
    assert!(!stderr(&slow).is_empty());

    let notified = expect(&["notify", &calc, "math.add", "1", "2"], 0);
    assert_eq!(stdout(&notified), "");

    let folder = std::env::temp_dir().join(format!("rpc-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let batch = folder.join("batch.json");
    std::fs::write(
        &batch,
        r#"[{"jsonrpc":"2.0","method":"math.add","params":[1,2],"id":1},
            {"jsonrpc":"2.0","method":"math.sum","params":[1,2,3]},
            {"jsonrpc":"2.0","method":"math.total","params":[4,5],"id":"b"}]"#,
    )
    .unwrap();
    let answers: Value = serde_json::from_str(&stdout(&expect(
        &["batch", &calc, batch.to_str().unwrap()],
        0,
    )))
    .unwrap();
    assert_eq!(
        answers,
        json!([{"jsonrpc": "2.0", "result": 3, "id": 1}, {"jsonrpc": "2.0", "result": 9.0, "id": "b"}])
    );
    std::fs::write(
        &batch,
        r#"[{"jsonrpc":"2.0","method":"math.div","params":[1,0],"id":1}]"#,
    )
    .unwrap();
    let failed = expect(&["batch", &calc, batch.to_str().unwrap()], 1);
    assert!(stdout(&failed).contains("division by zero"));
    std::fs::write(
        &batch,
        r#"[{"jsonrpc":"2.0","method":"math.add","params":[1,2]}]"#,
    )
    .unwrap();
    assert_eq!(
        stdout(&expect(&["batch", &calc, batch.to_str().unwrap()], 0)),
        ""
    );
    std::fs::write(&batch, "{}").unwrap();
    expect(&["batch", &calc, batch.to_str().unwrap()], 2);
    std::fs::remove_dir_all(&folder).unwrap();
}

#[test]
fn subscribe_prints_a_subscriptions_items_and_a_topics_messages() {
    let runtime = runtime();
    let server = runtime
        .block_on(examples::ws_methods::start("127.0.0.1:0"))
        .unwrap();
    let ws = url(&server, "ws");
    let ticks = expect(
        &[
            "--compact",
            "subscribe",
            &ws,
            "subscribe_ticks",
            "3",
            "10",
            "--count",
            "3",
        ],
        0,
    );
    assert_eq!(stdout(&ticks), "0\n1\n2\n");
    assert!(
        stderr(&ticks).starts_with("subscribed ("),
        "{}",
        stderr(&ticks)
    );

    // A topic over an http:// URL (the same mount serves WebSocket), and a
    // message published while it listens.
    let http = url(&server, "http");
    let listener = Command::new(env!("CARGO_BIN_EXE_rpc"))
        .args(["--compact", "subscribe", &http, "news", "--count", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let client = rpc_core::client::Client::new(rpc_http::HttpClient::new(&http).unwrap());
    let delivered = runtime.block_on(async {
        for _ in 0..200 {
            let queued: usize = client
                .request("publish", ("news", json!({"headline": "hi"})))
                .await
                .unwrap();
            if queued > 0 {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        false
    });
    assert!(delivered, "the listener never subscribed");
    let output = listener.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(stdout(&output), "{\"headline\":\"hi\"}\n");

    // The server leaves out, rather than refuses, a topic that needs a login
    // and a name that is no topic: either is an error here, not a silent wait.
    for name in ["private", "admin_only"] {
        let refused = expect(&["--timeout", "5", "subscribe", &ws, name], 1);
        assert!(
            stderr(&refused).starts_with(&format!("error: not subscribed to `{name}`")),
            "{}",
            stderr(&refused)
        );
    }
    // A subscription method's own refusal (bad params) comes back as its error.
    let refused = expect(&["subscribe", &ws, "subscribe_ticks", "not-a-number"], 1);
    assert!(
        stderr(&refused).starts_with("error -32602"),
        "{}",
        stderr(&refused)
    );
    runtime.block_on(async {
        server.shutdown();
        server.stopped().await;
    });
}
