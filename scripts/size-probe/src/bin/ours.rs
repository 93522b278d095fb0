use rpc_core::rpc;
use rpc_http::Server;

struct Service;

#[rpc]
impl Service {
    fn add(&self, a: i64, b: i64) -> i64 {
        a.wrapping_add(b)
    }
    fn echo(&self, text: String) -> String {
        text
    }
    fn sum(&self, values: Vec<f64>) -> f64 {
        values.iter().sum()
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".into());
    let server = Server::bind(format!("127.0.0.1:{port}"))
        .mount("/", Service.into_router())
        .start()
        .await?;
    println!("{}", server.local_addr().unwrap());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
