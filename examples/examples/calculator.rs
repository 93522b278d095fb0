//! A calculator service, called through the typed client core.
//!
//! Run with: `cargo run -p examples --example calculator`

use rpc_core::client::{Client, InProcess};
use rpc_core::{Context, Error, ErrorCode, Params, Router};

/// Builds the method table of the calculator.
fn calculator() -> Result<Router, rpc_core::RouterError> {
    let mut router = Router::new();
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            a.checked_add(b)
                .ok_or_else(|| Error::new(ErrorCode::new(1), "overflow"))
        })?
        .method("div", |params: Params<'_>, _: &Context| {
            let (a, b): (f64, f64) = params.decode(&["a", "b"])?;
            if b == 0.0 {
                return Err(Error::new(ErrorCode::new(2), "division by zero"));
            }
            Ok(a / b)
        })?;
    let mut root = Router::new();
    root.nest("math", router)?;
    Ok(root)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let router = calculator()?;
    println!("methods: {:?}", router.method_names());

    let client = Client::new(InProcess::new(router));
    let sum: i64 = client.request("math.add", (40, 2)).await?;
    println!("math.add(40, 2) = {sum}");

    let mut batch = client.batch();
    let half = batch.request::<f64>("math.div", (1, 2))?;
    let by_zero = batch.request::<f64>("math.div", (1, 0))?;
    let answers = batch.send().await?;
    println!("math.div(1, 2) = {}", answers.get(&half)?);
    let err = answers.get(&by_zero).unwrap_err();
    println!("math.div(1, 0) failed: {err}");
    assert_eq!(err.code(), Some(ErrorCode::new(2)));
    Ok(())
}
