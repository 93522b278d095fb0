//! HTTPS with rustls: a certificate generated at start-up (use your own PEM
//! files with `TlsConfig::from_pem_files`), HTTP/2 by ALPN.
//!
//! Run with: `cargo run -p examples --example tls`

#![deny(warnings)]

use rpc_core::rpc;
use rpc_http::{HttpClient, Server, TlsConfig};

/// A service that only answers over TLS.
#[derive(Debug)]
pub struct Vault;

#[rpc]
impl Vault {
    /// A secret, safe on an encrypted connection.
    fn secret(&self) -> &'static str {
        "the answer is 42"
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()])?;
    let cert_pem = certified.cert.pem();
    let key_pem = certified.signing_key.serialize_pem();

    let server = Server::bind("127.0.0.1:0")
        .tls(TlsConfig::from_pem(
            cert_pem.as_bytes(),
            key_pem.as_bytes(),
        )?)
        .mount("/", Vault.into_router())
        .start()
        .await?;
    let port = server.local_addr().expect("a TCP address").port();
    let url = format!("https://localhost:{port}/");
    println!("serving on {url}");

    // The client trusts the self-signed certificate explicitly.
    let transport = HttpClient::builder()
        .root_certificate_pem(cert_pem.as_bytes())
        .build(&url)?;
    let client = VaultClient::new(transport);
    println!("secret() -> {:?}", client.secret().await?);

    server.shutdown();
    server.stopped().await;
    Ok(())
}
