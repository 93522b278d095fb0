//! Serving and calling over a Unix domain socket.
//!
//! Run with: `cargo run -p examples --example unix_socket`

#![deny(warnings)]

#[cfg(unix)]
#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    use rpc_core::rpc;
    use rpc_http::{HttpClient, Server};

    /// A greeter.
    struct Greeter;

    #[rpc]
    impl Greeter {
        /// Greets `name`.
        fn hello(&self, name: String) -> String {
            format!("hello {name}, over a Unix socket")
        }
    }

    let path = std::env::temp_dir().join(format!("rpc-example-{}.sock", std::process::id()));
    let server = Server::bind_unix(&path)
        .mount("/", Greeter.into_router())
        .start()
        .await?;
    println!("serving on {}", path.display());

    let client = GreeterClient::new(HttpClient::unix(&path, "/")?);
    println!("{}", client.hello("ada".to_owned()).await?);

    server.shutdown();
    server.stopped().await;
    std::fs::remove_file(&path)?;
    Ok(())
}

#[cfg(not(unix))]
fn main() {
    println!("Unix sockets are not available on this platform");
}
