//! The seeds' listing methods, one test per seed, each asserting the exact
//! answer shape the seed's clients expect (see `docs/INTROSPECTION.md` for
//! the seed text each follows). jsonrpclib-pelix's own client runs against
//! the XML-RPC trio in `tests/interop.rs`, and aiohttp-json-rpc's against
//! `get_methods`.

use rpc_core::introspection::Listing;
use rpc_core::{rpc, Context, Error, Params, Router};
use serde_json::{json, Value};

use crate::support::{call, result};

struct Pinger;

#[rpc]
impl Pinger {
    /// :return: response to ping
    fn ping(&self) -> &'static str {
        "pong"
    }

    /// :param process
    /// :return usage of the process on the system
    #[rpc(alias = "usage")]
    fn check_process(&self, process: String, verbose: Option<bool>) -> Vec<String> {
        let _ = verbose;
        vec![process]
    }
}

fn pinger(listing: Listing) -> Router {
    let mut router = Pinger.into_router();
    router
        .method("undescribed", |_: Params<'_>, _: &Context| {
            Ok::<_, Error>(1)
        })
        .unwrap();
    router.serve_listing(listing).unwrap();
    router
}

/// py-jrpc (its README, and `SimpleTCPDispatcher` of py-jrpc 2.1.1):
/// `list_methods` → the sorted names; `method_help(name)` → the docs, or
/// `"Method [name] not found"`; `method_signature(name)` →
/// `{name: [param names]}`, or `{name: "method/function not found"}`.
#[test]
fn py_jrpc_list_methods_method_help_and_method_signature() {
    let router = pinger(Listing::py_jrpc());
    assert_eq!(
        result(&router, "list_methods", json!([])),
        json!([
            "check_process",
            "list_methods",
            "method_help",
            "method_signature",
            "ping",
            "undescribed",
            "usage"
        ])
    );
    assert_eq!(
        result(&router, "method_help", json!(["ping"])),
        json!(":return: response to ping")
    );
    assert_eq!(
        result(
            &router,
            "method_help",
            json!({"method_name": "check_process"})
        ),
        json!(":param process\n:return usage of the process on the system")
    );
    assert_eq!(
        result(&router, "method_help", json!(["nope"])),
        json!("Method [nope] not found")
    );
    assert_eq!(
        result(&router, "method_signature", json!(["check_process"])),
        json!({"check_process": ["process", "verbose"]})
    );
    assert_eq!(
        result(&router, "method_signature", json!(["usage"])),
        json!({"usage": ["process", "verbose"]})
    );
    assert_eq!(
        result(&router, "method_signature", json!(["nope"])),
        json!({"nope": "method/function not found"})
    );
    assert_eq!(
        result(&router, "method_signature", json!(["undescribed"])),
        json!({"undescribed": "Not a proper function/method"})
    );
    // A name is required.
    let refused = call(
        &router,
        r#"{"jsonrpc":"2.0","method":"method_help","params":[],"id":1}"#,
    );
    assert_eq!(refused["error"]["code"], -32602);
}

/// aiohttp-json-rpc (its README: `get_methods` "Returns list of all
/// available RPC methods", `<-- {"jsonrpc": "2.0", "result": ["get_methods", "ping"], "id": 1}`).
#[test]
fn aiohttp_get_methods() {
    let router = pinger(Listing::aiohttp());
    // As its `JsonRpcClient.call('get_methods')` sends it: no params member.
    let answer = call(
        &router,
        r#"{"jsonrpc": "2.0", "method": "get_methods", "id": 1}"#,
    );
    assert_eq!(
        answer,
        json!({"jsonrpc": "2.0", "result": ["check_process", "get_methods", "ping", "undescribed", "usage"], "id": 1})
    );
}

/// Python's `SimpleXMLRPCDispatcher`, which jsonrpclib-pelix's server
/// builds on: `system.listMethods()` → the sorted names;
/// `system.methodHelp(name)` → the docs, or `""`;
/// `system.methodSignature(name)` → `[[result, param, ...]]` in XML-RPC
/// type names (the XML-RPC introspection shape its docstring shows:
/// `system.methodSignature('add') => [double, int, int]`), or its
/// `"signatures not supported"` where no signature is known.
#[test]
fn xml_rpc_system_list_methods_method_help_and_method_signature() {
    let router = pinger(Listing::xml_rpc());
    let names = result(&router, "system.listMethods", json!([]));
    assert_eq!(
        names,
        json!([
            "check_process",
            "ping",
            "system.listMethods",
            "system.methodHelp",
            "system.methodSignature",
            "undescribed",
            "usage"
        ])
    );
    assert_eq!(
        result(&router, "system.methodHelp", json!(["ping"])),
        json!(":return: response to ping")
    );
    assert_eq!(
        result(&router, "system.methodHelp", json!(["nope"])),
        json!("")
    );
    assert_eq!(
        result(&router, "system.methodSignature", json!(["check_process"])),
        json!([["array", "string", "boolean"]])
    );
    assert_eq!(
        result(&router, "system.methodSignature", json!(["ping"])),
        json!([["string"]])
    );
    for unknown in ["nope", "undescribed"] {
        assert_eq!(
            result(&router, "system.methodSignature", json!([unknown])),
            json!("signatures not supported")
        );
    }
}

#[test]
fn listing_methods_take_other_names_and_refuse_taken_ones() {
    let mut router = pinger(
        Listing::py_jrpc()
            .list_as("ls")
            .help_as("help")
            .signature_as("sig"),
    );
    assert_eq!(
        result(&router, "help", json!(["ping"])),
        json!(":return: response to ping")
    );
    assert!(result(&router, "ls", json!([]))
        .as_array()
        .unwrap()
        .contains(&Value::from("sig")));
    // aiohttp-json-rpc has no help method: naming one adds nothing.
    router
        .serve_listing(Listing::aiohttp().list_as("methods").help_as("nothing"))
        .unwrap();
    assert!(!router.contains("nothing"));
    let err = router
        .serve_listing(Listing::aiohttp().list_as("ping"))
        .unwrap_err();
    assert!(err.is_duplicate(), "{err}");
    let err = router
        .serve_listing(Listing::py_jrpc().list_as("ls"))
        .unwrap_err();
    assert!(err.is_duplicate(), "{err}");
}
