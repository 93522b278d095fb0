use rpc_core::client::Client;
use rpc_core::{Context, Error, Method, Params, Router};
use rpc_http::WsClient;

use crate::support::{connect, start_router, within};

fn calculator() -> Router {
    let mut router = Router::new();
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, Error>(a + b)
        })
        .unwrap();
    router
        .add(
            "ask_client",
            Method::asynchronous(|params: Params<'_>, ctx: &Context| {
                Box::pin(async move {
                    let (question,): (String,) = params.decode(&["question"])?;
                    let client = ctx.peer()?.client();
                    let answer: String = client
                        .request("answer", (question,))
                        .await
                        .map_err(|err| Error::new(-32000, err.to_string()))?;
                    Ok::<_, Error>(answer)
                })
            }),
        )
        .unwrap();
    router
}

#[tokio::test]
async fn calls_go_both_ways_on_one_socket() {
    let (server, url) = start_router(calculator()).await;
    let client = connect(&url).await;
    let calls = Client::new(client.clone());
    let sum: i64 = within(calls.request("add", (1, 2))).await.unwrap();
    assert_eq!(sum, 3);

    let mut answers = Router::new();
    answers
        .method("answer", |params: Params<'_>, _: &Context| {
            let (question,): (String,) = params.decode(&["question"])?;
            Ok::<_, Error>(format!("you asked {question}"))
        })
        .unwrap();
    let asking = within(WsClient::builder().router(answers).connect(&url))
        .await
        .unwrap();
    let answer: String = within(Client::new(asking.clone()).request("ask_client", ("why",)))
        .await
        .unwrap();
    assert_eq!(answer, "you asked why");
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn wss_with_a_private_root_and_calls_both_ways() {
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let cert_pem = cert.pem();
    let tls =
        rpc_http::TlsConfig::from_pem(cert_pem.as_bytes(), signing_key.serialize_pem().as_bytes())
            .unwrap();
    let server = rpc_http::Server::bind("127.0.0.1:0")
        .mount("/", calculator())
        .tls(tls)
        .start()
        .await
        .unwrap();
    let url = format!("wss://localhost:{}/", server.local_addr().unwrap().port());

    let mut answers = Router::new();
    answers
        .method("answer", |params: Params<'_>, _: &Context| {
            let (question,): (String,) = params.decode(&["question"])?;
            Ok::<_, Error>(format!("yes to {question}"))
        })
        .unwrap();
    let client = within(
        WsClient::builder()
            .root_certificate_pem(cert_pem.as_bytes())
            .router(answers)
            .connect(&url),
    )
    .await
    .unwrap();
    let calls = Client::new(client.clone());
    let sum: i64 = within(calls.request("add", (1, 2))).await.unwrap();
    assert_eq!(sum, 3);
    let answer: String = within(calls.request("ask_client", ("tea?",)))
        .await
        .unwrap();
    assert_eq!(answer, "yes to tea?");

    // Without the private root the server is not trusted; plain ws:// to the TLS port fails.
    assert!(within(WsClient::connect(&url)).await.is_err());
    let plain = url.replace("wss://", "ws://");
    assert!(within(WsClient::connect(&plain)).await.is_err());
    server.shutdown();
    within(server.stopped()).await;
}
