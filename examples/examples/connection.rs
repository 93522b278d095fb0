//! The flaskJSONRPCServer demo in Rust: methods that see the connection
//! (the caller's IP, its cookies), set cookies, report server statistics,
//! and send a large answer compressed, under an alias, all under `/api`
//! with the GET/JSONP fallback on.
//!
//! Run with: `cargo run -p examples --example connection`

#![deny(warnings)]

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::{rpc, Context, Cookie};
use rpc_http::{HttpClient, HttpConfig, Server, Stats};

/// Methods that use the connection.
#[derive(Debug)]
pub struct Shared;

#[rpc]
impl Shared {
    /// Echoes `data` (default "Hello world!").
    fn echo(&self, #[rpc(default = "Hello world!".to_owned())] data: String) -> String {
        data
    }

    /// Greets the caller by IP address.
    fn myip(&self, ctx: &Context) -> String {
        match ctx.peer_addr() {
            Some(addr) => format!("Hello, {}!", addr.ip()),
            None => "Hello, whoever you are!".to_owned(),
        }
    }

    /// Sets a cookie holding the caller's IP, and says what cookie came in.
    fn setcookie(&self, ctx: &Context) -> String {
        let ip = ctx
            .peer_addr()
            .map(|addr| addr.ip().to_string())
            .unwrap_or_default();
        ctx.set_cookie(
            Cookie::new("myTestCookie", format!("Your IP is {ip}"))
                .path("/")
                .http_only(true),
        );
        format!(
            "Set (the request carried: {:?})",
            ctx.cookie("myTestCookie")
        )
    }

    /// A large text: compressed on the wire when the caller accepts it.
    #[rpc(alias = ["bigdata"])]
    fn big(&self) -> String {
        "They say that if you sat an infinite number of monkeys with an infinite number of typewriters, \
         then they would write the complete works of Shakespeare. "
            .repeat(200)
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let stats = Stats::new();
    let mut router = Shared.into_router();
    router.add("stats", stats.method())?;

    let server = Server::bind("127.0.0.1:0")
        .mount("/api", router)
        .config(HttpConfig::new().with_get_fallback(true).with_jsonp(true))
        .stats(&stats)
        .start()
        .await?;
    let base = format!("http://{}", server.local_addr().expect("a TCP address"));
    println!("serving on {base}/api (GET fallback: {base}/api/echo?data=test_data&jsonp=cb)\n");

    let client = SharedClient::new(HttpClient::new(&format!("{base}/api"))?);
    println!(
        "echo()           -> {:?}",
        client.echo("Hello world!".to_owned()).await?
    );
    println!("myip()           -> {:?}", client.myip().await?);
    println!("setcookie()      -> {:?}", client.setcookie().await?);
    println!(
        "big()            -> {} characters",
        client.big().await?.len()
    );

    // A plain HTTP client that accepts gzip, to see the compression and the cookie on the wire.
    let http = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("{base}/api"))
        .header("content-type", "application/json")
        .header("accept-encoding", "gzip")
        .body(Full::new(Bytes::from_static(
            br#"{"jsonrpc":"2.0","method":"bigdata","id":1}"#,
        )))?;
    let response = http.request(request).await?;
    let encoding = response.headers().get("content-encoding").cloned();
    let wire = response.into_body().collect().await?.to_bytes().len();
    println!("bigdata over HTTP with Accept-Encoding: gzip -> {wire} bytes on the wire, content-encoding {encoding:?}");

    let request = http::Request::get(format!("{base}/api/echo?data=test_data&jsonp=cb"))
        .body(Full::new(Bytes::new()))?;
    let body = http
        .request(request)
        .await?
        .into_body()
        .collect()
        .await?
        .to_bytes();
    println!(
        "GET /api/echo?data=test_data&jsonp=cb -> {}",
        String::from_utf8_lossy(&body)
    );

    let request = http::Request::post(format!("{base}/api"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(
            br#"{"jsonrpc":"2.0","method":"setcookie","id":1}"#,
        )))?;
    let response = http.request(request).await?;
    println!(
        "set-cookie on the wire: {:?}",
        response.headers().get("set-cookie")
    );

    let snapshot: serde_json::Value = client.client().request("stats", ()).await?;
    println!("\nstats -> {}", serde_json::to_string_pretty(&snapshot)?);

    server.shutdown();
    server.stopped().await;
    Ok(())
}
