//! `rpc.discover`: what the calculator's document says of each method, and
//! a document that always describes the router as it is.

use rpc_core::introspection::ServiceInfo;
use rpc_core::{rpc, Context, Error, MethodInfo, ParamInfo, Params, Router};
use serde_json::{json, Value};

use crate::meta_schema::assert_valid;
use crate::support::{call, discover};

fn method<'a>(document: &'a Value, name: &str) -> &'a Value {
    document["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|method| method["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in the document: {document:#}"))
}

fn names(document: &Value) -> Vec<&str> {
    document["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|method| method["name"].as_str().unwrap())
        .collect()
}

#[test]
fn every_calculator_method_has_its_description_params_result_and_errors() {
    let document = discover(&examples::calculator::router().unwrap());
    assert_eq!(document["openrpc"], "1.3.2");
    assert_eq!(document["info"]["title"], "Calculator");
    for method in document["methods"].as_array().unwrap() {
        assert!(
            method["description"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{} has no description",
            method["name"]
        );
    }

    let add = method(&document, "math.add");
    assert_eq!(add["summary"], "Adds two integers; fails on overflow.");
    assert_eq!(
        add["params"],
        json!([
            {"name": "a", "required": true, "schema": {"type": "integer", "format": "int64"}, "x-rust-type": "i64"},
            {"name": "b", "required": true, "schema": {"type": "integer", "format": "int64"}, "x-rust-type": "i64"},
        ])
    );
    assert_eq!(add["result"]["schema"]["type"], "integer");
    assert_eq!(
        add["errors"],
        json!([{"code": 1, "message": "integer overflow"}])
    );

    // A doc comment of two paragraphs: the summary is the first.
    let sum = method(&document, "math.sum");
    assert_eq!(sum["summary"], "Sums any number of values.");
    assert_eq!(
        sum["description"],
        "Sums any number of values.\n\nThe params are the values themselves: `[1, 2, 3.5]`."
    );
    assert_eq!(sum["params"][0]["x-flatten"], true);
    assert_eq!(sum["x-aliases"], json!(["math.total"]));
    // An alias is a name of the method, not a method of its own.
    assert!(!names(&document).contains(&"math.total"));

    // A type of the user's, derived with `JsonSchema`, is a shared definition.
    let midpoint = method(&document, "math.midpoint");
    assert_eq!(
        midpoint["params"][0]["schema"],
        json!({"$ref": "#/components/schemas/Point"})
    );
    let point = &document["components"]["schemas"]["Point"];
    assert_eq!(point["required"], json!(["x", "y"]));
    assert_eq!(point["properties"]["x"]["type"], "number");

    // rpc.discover describes the others, not itself.
    assert!(!names(&document).contains(&"rpc.discover"));
    assert!(names(&document).contains(&"system.listMethods"));
}

/// Not `JsonSchema`: described by its written name.
#[derive(serde::Deserialize)]
struct Opaque {
    _inner: u8,
}

struct Mixed;

#[rpc]
impl Mixed {
    /// Takes a type without a schema.
    fn take(&self, _value: Opaque, _limit: Option<u32>) -> &'static str {
        "taken"
    }

    /// Sent without waiting.
    #[rpc(notification)]
    fn log(&self, _line: String) {}

    /// Borrows its argument.
    fn echo<'a>(&self, text: &'a str) -> &'a str {
        text
    }
}

#[test]
fn a_type_without_a_schema_is_described_by_name_and_a_notification_has_no_result() {
    let mut router = Mixed.into_router();
    router
        .serve_discover(ServiceInfo::new("mixed", "0"))
        .unwrap();
    let document = discover(&router);
    assert_valid("a service with types without schemas", &document);
    let take = method(&document, "take");
    assert_eq!(take["params"][0]["schema"], json!({"title": "Opaque"}));
    assert_eq!(take["params"][1]["required"], false);
    assert_eq!(
        take["params"][1]["schema"]["type"],
        json!(["integer", "null"])
    );
    let log = method(&document, "log");
    assert!(log.get("result").is_none(), "{log}");
    let echo = method(&document, "echo");
    assert_eq!(echo["params"][0]["schema"]["type"], "string");
    assert_eq!(echo["params"][0]["x-rust-type"], "&'a str");
}

#[test]
fn a_subscription_names_its_notifications_and_its_unsubscribe_method() {
    let router = examples::ws_methods::router(&rpc_http::Stats::new()).unwrap();
    let document = discover(&router);
    let ticks = method(&document, "subscribe_ticks");
    assert_eq!(ticks["x-subscription"]["notification"], "ticks");
    assert_eq!(ticks["x-subscription"]["unsubscribe"], "unsubscribe_ticks");
    assert_eq!(ticks["x-subscription"]["item"]["schema"]["type"], "integer");
    assert_eq!(ticks["result"]["schema"]["type"], "integer");
    let unsubscribe = method(&document, "unsubscribe_ticks");
    assert_eq!(unsubscribe["params"][0]["name"], "subscription");
    assert_eq!(unsubscribe["result"]["schema"]["type"], "boolean");
    assert_eq!(
        document["x-topics"],
        json!({"subscribe": "subscribe", "unsubscribe": "unsubscribe", "list": "get_topics", "subscriptions": "get_subscriptions"})
    );
    assert!(method(&document, "subscribe")["description"]
        .as_str()
        .unwrap()
        .contains("notification whose method is the topic's name"));
    let admin = method(&document, "admin_only");
    assert_eq!(
        admin["x-guards"],
        json!(["guard::permission_required(\"admin\")"])
    );
}

fn ping(_: Params<'_>, _: &Context) -> Result<&'static str, Error> {
    Ok("pong")
}

#[test]
fn the_document_follows_the_router_however_it_is_built() {
    let mut router = Router::new();
    router
        .serve_discover(ServiceInfo::new("growing", "1"))
        .unwrap();
    assert!(names(&discover(&router)).is_empty());

    // Added after serve_discover, by hand, then described.
    router.method("ping", ping).unwrap();
    let document = discover(&router);
    assert_eq!(
        method(&document, "ping"),
        &json!({"name": "ping", "params": [], "result": {"name": "result", "schema": {}}})
    );
    const PING: MethodInfo =
        MethodInfo::new("ping", &[], &[], "String", false, false, "Answers pong.");
    router.describe("ping", PING).unwrap();
    assert_eq!(
        method(&discover(&router), "ping")["summary"],
        "Answers pong."
    );
    router.alias("hello", "ping").unwrap();
    assert_eq!(
        method(&discover(&router), "ping")["x-aliases"],
        json!(["hello"])
    );

    // Merged and nested routers' methods come in under their served names.
    router
        .merge(examples::calculator::Calculator.into_router())
        .unwrap();
    let mut inner = Router::new();
    const ECHO_PARAMS: &[ParamInfo] = &[ParamInfo::new("text", "String", false)];
    inner.method("echo", ping).unwrap();
    inner
        .describe(
            "echo",
            MethodInfo::new("echo", &[], ECHO_PARAMS, "String", false, false, "Echoes."),
        )
        .unwrap();
    inner
        .serve_discover(ServiceInfo::new("inner", "1"))
        .unwrap();
    router.nest("tools", inner).unwrap();
    let document = discover(&router);
    assert_valid("a merged and nested router", &document);
    assert_eq!(
        names(&document),
        [
            "math.add",
            "math.div",
            "math.midpoint",
            "math.sum",
            "ping",
            "tools.echo"
        ]
    );
    assert_eq!(method(&document, "tools.echo")["params"][0]["name"], "text");
    // The nested router's own rpc.discover stays behind.
    assert!(!router.contains("tools.rpc.discover"));
}

#[test]
fn a_clone_describes_itself_not_the_original() {
    let mut original = Router::new();
    original.method("a", ping).unwrap();
    original
        .serve_discover(ServiceInfo::new("original", "1"))
        .unwrap();
    let before = discover(&original);
    let mut clone = original.clone();
    clone.method("b", ping).unwrap();
    assert_eq!(names(&discover(&clone)), ["a", "b"]);
    assert_eq!(discover(&original), before);
    assert_eq!(names(&discover(&original)), ["a"]);
}

#[test]
fn merging_brings_the_other_routers_introspection_along() {
    let mut described = Router::new();
    described
        .serve_discover(ServiceInfo::new("described", "1"))
        .unwrap();
    let mut router = examples::calculator::Calculator.into_router();
    router.merge(described).unwrap();
    assert!(router.serves_discover());
    assert!(names(&discover(&router)).contains(&"math.add"));

    // Two documents cannot be merged into one router.
    let mut other = Router::new();
    other
        .serve_discover(ServiceInfo::new("other", "1"))
        .unwrap();
    let err = router.merge(other).unwrap_err();
    assert!(err.is_duplicate(), "{err}");
    assert!(router
        .serve_discover(ServiceInfo::new("again", "1"))
        .unwrap_err()
        .is_duplicate());
}

#[test]
fn rpc_discover_takes_no_params_and_answers_the_same_bytes_each_time() {
    let router = examples::calculator::router().unwrap();
    let first = call(
        &router,
        r#"{"jsonrpc":"2.0","method":"rpc.discover","id":1}"#,
    );
    for body in [
        r#"{"jsonrpc":"2.0","method":"rpc.discover","params":[],"id":1}"#,
        r#"{"jsonrpc":"2.0","method":"rpc.discover","params":{},"id":1}"#,
    ] {
        assert_eq!(call(&router, body), first);
    }
    let refused = call(
        &router,
        r#"{"jsonrpc":"2.0","method":"rpc.discover","params":[1],"id":1}"#,
    );
    assert_eq!(refused["error"]["code"], -32602);
    // The servers are where a transport serves it; in process, none.
    assert!(first["result"].get("servers").is_none());
}

#[test]
fn the_server_lists_where_it_serves_the_router() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let server = examples::calculator::start("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/", server.local_addr().unwrap());
        let client = rpc_core::client::Client::new(rpc_http::HttpClient::new(&url).unwrap());
        let document: Value = client.request("rpc.discover", ()).await.unwrap();
        assert_eq!(document["servers"], json!([{"url": url}]));
        assert_valid("the calculator over HTTP", &document);
        server.shutdown();
        server.stopped().await;
    });
}
