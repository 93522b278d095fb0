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
