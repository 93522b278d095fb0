//! Smoke test: the server answers a call from the generated client over HTTP.

use rpc_core::rpc;
use rpc_http::{HttpClient, Server};

struct Calculator;

#[rpc]
impl Calculator {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }
}

#[tokio::test]
async fn a_call_over_http() {
    let server = Server::bind("127.0.0.1:0")
        .mount("/", Calculator.into_router())
        .start()
        .await
        .unwrap();
    let url = format!("http://{}/", server.local_addr().unwrap());
    let client = CalculatorClient::new(HttpClient::new(&url).unwrap());
    assert_eq!(client.add(40, 2).await.unwrap(), 42);
    server.shutdown();
    server.stopped().await;
}
