//! The main demo: a calculator service over HTTP, called through the typed
//! client that `#[rpc]` generates, then listed from its compile-time table.
//!
//! Run with: `cargo run -p examples --example calculator`
//! (add `-- --serve 3000` to keep serving on 127.0.0.1:3000 and try it with curl).

#![deny(warnings)]

use rpc_core::{rpc, Error, ErrorCode};
use rpc_http::{HttpClient, Server};

/// A calculator with integer and floating-point operations.
#[derive(Debug)]
pub struct Calculator;

#[rpc(namespace = "math")]
impl Calculator {
    /// Adds two integers; fails on overflow.
    fn add(&self, a: i64, b: i64) -> Result<i64, Error> {
        a.checked_add(b)
            .ok_or_else(|| Error::new(ErrorCode::new(1), "integer overflow"))
    }

    /// Divides `a` by `b`; fails on a zero divisor.
    async fn div(&self, a: f64, b: f64) -> Result<f64, Error> {
        if b == 0.0 {
            return Err(Error::new(ErrorCode::new(2), "division by zero").with_data(&a));
        }
        Ok(a / b)
    }

    /// Sums any number of values.
    #[rpc(alias = ["total"])]
    fn sum(&self, #[rpc(flatten)] values: Vec<f64>) -> f64 {
        values.iter().sum()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--serve") {
        let port = args.get(2).map(String::as_str).unwrap_or("3000");
        let address = format!("127.0.0.1:{port}");
        println!("serving the calculator on http://{address}/ (Ctrl-C to stop); try:");
        println!(
            r#"  curl -s http://{address}/ -H 'content-type: application/json' -d '{{"jsonrpc":"2.0","method":"math.add","params":[1,2],"id":1}}'"#
        );
        let server = Server::bind(address)
            .mount("/", Calculator.into_router())
            .start()
            .await?;
        tokio::signal::ctrl_c().await?;
        server.shutdown();
        server.stopped().await;
        return Ok(());
    }

    let server = Server::bind("127.0.0.1:0")
        .mount("/", Calculator.into_router())
        .start()
        .await?;
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
            method.docs
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

    server.shutdown();
    server.stopped().await;
    Ok(())
}
