//! wsjsonrpc's demo, ported: the `math.sum` server, its client, and its
//! batch clients (one of them with notifications). Calls itself and exits;
//! `-- --serve PORT` keeps serving (ws://127.0.0.1:PORT/wsjsonrpc) for
//! wsjsonrpc's own Python clients.
//!
//! Run with: `cargo run -p examples --example math_sum`

#![deny(warnings)]

use examples::seeds::math_sum::{self, MathApiClient};
use rpc_http::WsClient;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let serve = std::env::args().skip_while(|arg| arg != "--serve").nth(1);
    let server = math_sum::start(&format!("127.0.0.1:{}", serve.as_deref().unwrap_or("0"))).await?;
    let addr = server.local_addr().expect("a TCP address");
    if serve.is_some() {
        println!("math.sum at ws://{addr}{}; Ctrl-C stops", math_sum::PATH);
        tokio::signal::ctrl_c().await?;
        server.shutdown();
        server.stopped().await;
        return Ok(());
    }

    let client =
        MathApiClient::new(WsClient::connect(&format!("ws://{addr}{}", math_sum::PATH)).await?);
    println!("sum result: {}", client.sum(1, 2).await?);

    // The batch context of the README: four requests in one message.
    let mut batch = client.batch();
    let sums = [(1, 2), (2, 3), (3, 4), (4, 5)].map(|(x, y)| batch.sum(x, y));
    let answers = batch.send().await?;
    let results: Vec<i64> = sums
        .into_iter()
        .map(|entry| answers.get(&entry?))
        .collect::<Result<_, _>>()?;
    println!("sum result: {results:?}");

    // Without the context: two requests and two notifications, which get no answer.
    let mut batch = client.batch();
    let (first, second) = (batch.sum(1, 2)?, batch.sum(2, 3)?);
    batch.inner().notify("math.sum", [3, 4])?;
    batch.inner().notify("math.sum", [4, 5])?;
    let answers = batch.send().await?;
    println!(
        "sum result: [{}, {}]",
        answers.get(&first)?,
        answers.get(&second)?
    );

    server.shutdown();
    server.stopped().await;
    Ok(())
}
