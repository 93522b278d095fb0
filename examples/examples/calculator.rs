//! The main demo: a calculator service over HTTP, called through the typed
//! client that `#[rpc]` generates, listed from its compile-time table, and
//! describing itself with `rpc.discover`.
//!
//! Run with: `cargo run -p examples --example calculator`
//! (add `-- --serve 3000` to keep serving on 127.0.0.1:3000: try it with
//! curl, with `rpc list http://127.0.0.1:3000/`, or in a browser at
//! <http://127.0.0.1:3000/explorer>).
//!
//! The service itself is `examples::calculator` (`examples/src/calculator.rs`).

#![deny(warnings)]

use examples::calculator::{self, Calculator, CalculatorClient};
use rpc_http::HttpClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let port = args.get(2).map(String::as_str).unwrap_or("3000");
        let server = calculator::start(&format!("127.0.0.1:{port}")).await?;
        let address = server.local_addr().expect("a TCP address");
        println!("serving the calculator on http://{address}/ (Ctrl-C to stop); try:");
        println!(
            r#"  curl -s http://{address}/ -H 'content-type: application/json' -d '{{"jsonrpc":"2.0","method":"math.add","params":[1,2],"id":1}}'"#
        );
        println!("  the method explorer: http://{address}/explorer");
        tokio::signal::ctrl_c().await?;
        server.shutdown();
        server.stopped().await;
        return Ok(());
    }

    let server = calculator::start("127.0.0.1:0").await?;
    let url = format!("http://{}/", server.local_addr().expect("a TCP address"));
    println!("serving on {url}\n");

    println!("methods (from Calculator::METHODS, known at compile time):");
    for method in Calculator::METHODS {
        let params: Vec<String> = method
            .params
            .iter()
            .map(|p| format!("{}: {}", p.name, p.ty))
            .collect();
        println!(
            "  {}({}) -> {}    {}",
            method.name,
            params.join(", "),
            method.returns,
            method.summary()
        );
    }
    println!();

    let client = CalculatorClient::new(HttpClient::new(&url)?);
    println!("math.add(40, 2)        = {}", client.add(40, 2).await?);
    println!("math.div(1, 8)         = {}", client.div(1.0, 8.0).await?);
    println!(
        "math.sum([1, 2, 3.5])  = {}",
        client.sum(vec![1.0, 2.0, 3.5]).await?
    );

    let err = client.div(1.0, 0.0).await.unwrap_err();
    let server_error = err.call_error().expect("the server answered with an error");
    println!(
        "math.div(1, 0)         failed: code {}, message {:?}, data {}",
        server_error.code(),
        server_error.message(),
        server_error.data().map_or("none", |d| d.get())
    );

    let mut batch = client.batch();
    let big = batch.add(i64::MAX, 1)?;
    let total = batch.inner().request::<f64>("math.total", (10, 20))?;
    let answers = batch.send().await?;
    println!(
        "batch: math.add(MAX, 1) -> {:?}",
        answers.get(&big).map_err(|e| e.to_string())
    );
    println!(
        "batch: math.total(10, 20) (an alias) -> {}",
        answers.get(&total)?
    );

    // The same service, as it describes itself to anyone who asks.
    let document: serde_json::Value = client.client().request("rpc.discover", ()).await?;
    let described = document["methods"]
        .as_array()
        .expect("the document lists methods");
    println!(
        "\nrpc.discover: {} methods, each with its description:",
        described.len()
    );
    for method in described {
        let description = method["summary"]
            .as_str()
            .expect("every method is described");
        println!(
            "  {:<24} {description}",
            method["name"].as_str().unwrap_or_default()
        );
    }

    server.shutdown();
    server.stopped().await;
    Ok(())
}
