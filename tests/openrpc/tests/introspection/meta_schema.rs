//! Every document validates against the official OpenRPC meta-schema
//! (`@open-rpc/meta-schema`, vendored beside this package with the JSON
//! Schema meta-schema it refers to).

use std::path::PathBuf;

use jsonschema::{Registry, Validator};
use rpc_core::introspection::ServiceInfo;
use serde_json::Value;

use crate::support::discover;

fn vendored(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file);
    serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap()
}

/// The validator of the OpenRPC meta-schema, offline.
pub(crate) fn validator() -> Validator {
    // What the OpenRPC schema's `$ref: "https://meta.json-schema.tools"` names.
    let registry = Registry::new()
        .add(
            "https://meta.json-schema.tools",
            vendored("json-schema-tools-meta-schema-1.8.0.json"),
        )
        .and_then(|registry| registry.prepare())
        .expect("the JSON Schema meta-schema registers");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .should_validate_formats(true)
        .offline()
        .with_registry(&registry)
        .build(&vendored("openrpc-meta-schema-1.14.9.json"))
        .expect("the meta-schema compiles")
}

/// Panics with every violation when `document` is not a valid OpenRPC document.
pub(crate) fn assert_valid(what: &str, document: &Value) {
    let errors: Vec<String> = validator()
        .iter_errors(document)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "the OpenRPC document of {what} is not valid:\n{}\n\n{document:#}",
        errors.join("\n")
    );
}

#[test]
fn the_meta_schema_refuses_what_is_not_an_openrpc_document() {
    let validator = validator();
    assert!(validator.is_valid(&serde_json::json!({
        "openrpc": "1.3.2", "info": {"title": "t", "version": "1"}, "methods": []
    })));
    for bad in [
        serde_json::json!({"openrpc": "1.3.2", "methods": []}),
        serde_json::json!({"openrpc": "9.9.9", "info": {"title": "t", "version": "1"}, "methods": []}),
        serde_json::json!({"openrpc": "1.3.2", "info": {"title": "t", "version": "1"}, "methods": [{"name": "m"}]}),
        serde_json::json!({"openrpc": "1.3.2", "info": {"title": "t", "version": "1"}, "methods": [
            {"name": "m", "params": [{"name": "p", "schema": {"type": 5}}]}
        ]}),
    ] {
        assert!(!validator.is_valid(&bad), "accepted {bad}");
    }
}

#[test]
fn the_calculator_document_is_valid() {
    assert_valid(
        "the calculator",
        &discover(&examples::calculator::router().unwrap()),
    );
}

#[test]
fn the_spec_methods_document_is_valid() {
    let mut router = examples::spec_methods::SpecMethods::default().into_router();
    router
        .serve_discover(ServiceInfo::new("spec methods", "1"))
        .unwrap();
    assert_valid("spec_methods", &discover(&router));
}

#[test]
fn the_ws_methods_document_is_valid() {
    let router = examples::ws_methods::router(&rpc_http::Stats::new()).unwrap();
    assert_valid("ws_methods", &discover(&router));
}

#[test]
fn the_seeds_demo_documents_are_valid() {
    let mut math_sum = examples::seeds::math_sum::MathApi.into_router();
    math_sum
        .serve_discover(ServiceInfo::new("wsjsonrpc's math.sum", "1"))
        .unwrap();
    assert_valid("math_sum", &discover(&math_sum));
    let mut ping = examples::seeds::ping::router();
    ping.serve_discover(ServiceInfo::new("aiohttp-json-rpc's ping", "1"))
        .unwrap();
    let document = discover(&ping);
    assert_valid("ping", &document);
    let names: Vec<&str> = document["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|method| method["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["get_methods", "ping"]);
}
