//! `rpc list`: the methods, from `rpc.discover` or a listing method.

use serde_json::Value;

use crate::connection::Connection;
use crate::{Failure, Options};

/// The listing methods tried, in order, when there is no `rpc.discover`:
/// XML-RPC's (jsonrpclib-pelix), py-jrpc's, aiohttp-json-rpc's.
const LISTING_METHODS: [&str; 3] = ["system.listMethods", "list_methods", "get_methods"];

/// JSON-RPC's "Method not found".
const METHOD_NOT_FOUND: i64 = -32601;

pub(crate) async fn run(connection: &Connection, options: &Options) -> Result<(), Failure> {
    let answer = connection.call("rpc.discover", None).await?;
    if let Some(document) = answer.get("result") {
        print!("{}", describe(document));
        return Ok(());
    }
    let mut last_error = answer["error"].clone();
    for method in LISTING_METHODS {
        if last_error["code"] != METHOD_NOT_FOUND {
            break;
        }
        let answer = connection.call(method, None).await?;
        match answer.get("result").and_then(Value::as_array) {
            Some(names) => {
                for name in names {
                    println!("{}", name.as_str().unwrap_or_default());
                }
                return Ok(());
            }
            None => last_error = answer["error"].clone(),
        }
    }
    options.print_error(&last_error);
    Err(Failure::Answered)
}

/// A content descriptor's type: the Rust type, else what its schema says.
fn type_of(descriptor: &Value) -> String {
    if let Some(rust) = descriptor["x-rust-type"].as_str() {
        return rust.to_owned();
    }
    let schema = &descriptor["schema"];
    if let Some(reference) = schema["$ref"].as_str() {
        return reference.rsplit('/').next().unwrap_or(reference).to_owned();
    }
    schema["title"]
        .as_str()
        .or_else(|| schema["type"].as_str())
        .unwrap_or("any")
        .to_owned()
}

/// The listing of an OpenRPC document, as text.
fn describe(document: &Value) -> String {
    let mut out = String::new();
    let info = &document["info"];
    out.push_str(&format!(
        "{} {}\n",
        info["title"].as_str().unwrap_or("service"),
        info["version"].as_str().unwrap_or_default()
    ));
    if let Some(description) = info["description"].as_str() {
        out.push_str(&format!("{description}\n"));
    }
    for method in document["methods"].as_array().into_iter().flatten() {
        let params: Vec<String> = method["params"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|param| {
                let optional = if param["required"] == true { "" } else { "?" };
                format!(
                    "{}{optional}: {}",
                    param["name"].as_str().unwrap_or("?"),
                    type_of(param)
                )
            })
            .collect();
        let result = match method.get("result") {
            Some(result) => format!(" -> {}", type_of(result)),
            None => " (notification)".to_owned(),
        };
        out.push_str(&format!(
            "\n{}({}){result}\n",
            method["name"].as_str().unwrap_or("?"),
            params.join(", ")
        ));
        if let Some(summary) = method["summary"].as_str() {
            out.push_str(&format!("    {summary}\n"));
        }
        if let Some(aliases) = method["x-aliases"].as_array() {
            let aliases: Vec<&str> = aliases.iter().filter_map(Value::as_str).collect();
            out.push_str(&format!("    also: {}\n", aliases.join(", ")));
        }
        for error in method["errors"].as_array().into_iter().flatten() {
            out.push_str(&format!(
                "    error {}: {}\n",
                error["code"],
                error["message"].as_str().unwrap_or_default()
            ));
        }
        if let Some(subscription) = method.get("x-subscription") {
            out.push_str(&format!(
                "    subscription: items of {} arrive as `{}`; ended by {}\n",
                type_of(&subscription["item"]),
                subscription["notification"].as_str().unwrap_or_default(),
                subscription["unsubscribe"].as_str().unwrap_or_default()
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::describe;
    use serde_json::json;

    #[test]
    fn a_document_reads_as_signatures_and_summaries() {
        let document = json!({
            "openrpc": "1.3.2",
            "info": {"title": "Calculator", "version": "1.0"},
            "methods": [
                {"name": "add", "summary": "Adds.", "params": [
                    {"name": "a", "required": true, "schema": {"type": "integer"}, "x-rust-type": "i64"},
                    {"name": "b", "required": false, "schema": {"$ref": "#/components/schemas/Point"}}
                ], "result": {"name": "result", "schema": {"type": "integer"}},
                 "errors": [{"code": 1, "message": "integer overflow"}], "x-aliases": ["plus"]},
                {"name": "log", "params": []}
            ]
        });
        assert_eq!(
            describe(&document),
            "Calculator 1.0\n\nadd(a: i64, b?: Point) -> integer\n    Adds.\n    also: plus\n    error 1: integer overflow\n\nlog() (notification)\n"
        );
    }
}
