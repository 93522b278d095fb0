//! The client core over the in-process transport.

use std::sync::Arc;

use rpc_core::client::{Client, InProcess};
use rpc_core::{Context, Error, ErrorCode, Params, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, Notify};

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Point {
    x: i32,
    y: i32,
}

fn router(release: Arc<Notify>, ran: mpsc::UnboundedSender<i64>) -> Router {
    let mut router = Router::new();
    router
        .method("add", |params: Params<'_>, _: &Context| {
            let (a, b): (i64, i64) = params.decode(&["a", "b"])?;
            Ok::<_, Error>(a + b)
        })
        .unwrap()
        .method("mirror", |params: Params<'_>, _: &Context| {
            let (point,): (Point,) = params.decode(&["point"])?;
            Ok::<_, Error>(Point {
                x: point.y,
                y: point.x,
            })
        })
        .unwrap()
        .method("refuse", |_: Params<'_>, _: &Context| {
            Err::<(), _>(Error::new(ErrorCode::new(-32001), "refused").with_data(&[1, 2, 3]))
        })
        .unwrap()
        .async_method("slow_log", move |params: Params<'_>, _: &Context| {
            let release = Arc::clone(&release);
            let ran = ran.clone();
            Box::pin(async move {
                let (n,): (i64,) = params.decode(&["n"])?;
                release.notified().await;
                ran.send(n).ok();
                Ok::<_, Error>(())
            })
        })
        .unwrap();
    router
}

fn client() -> (Client<InProcess>, Arc<Notify>, mpsc::UnboundedReceiver<i64>) {
    let release = Arc::new(Notify::new());
    let (tx, rx) = mpsc::unbounded_channel();
    let client = Client::new(InProcess::new(router(Arc::clone(&release), tx)));
    (client, release, rx)
}

#[tokio::test]
async fn positional_and_named_calls() {
    let (client, _, _) = client();
    assert_eq!(client.request::<i64>("add", (40, 2)).await.unwrap(), 42);
    #[derive(Serialize)]
    struct Named {
        a: i64,
        b: i64,
    }
    assert_eq!(
        client
            .request::<i64>("add", Named { a: 1, b: 2 })
            .await
            .unwrap(),
        3
    );
    let mirrored: Point = client
        .request("mirror", (Point { x: 1, y: 2 },))
        .await
        .unwrap();
    assert_eq!(mirrored, Point { x: 2, y: 1 });
}

#[tokio::test]
async fn server_errors_keep_code_message_and_data() {
    let (client, _, _) = client();
    let err = client.request::<()>("refuse", ()).await.unwrap_err();
    assert!(err.is_call());
    let server = err.call_error().unwrap();
    assert_eq!(server.code().code(), -32001);
    assert_eq!(server.message(), "refused");
    assert_eq!(
        server.data_as::<Vec<i32>>().unwrap().unwrap(),
        vec![1, 2, 3]
    );

    let err = client.request::<()>("missing", ()).await.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::METHOD_NOT_FOUND));
}

#[tokio::test]
async fn results_of_the_wrong_type_and_scalar_params_are_local_errors() {
    let (client, _, _) = client();
    assert!(client
        .request::<String>("add", (1, 2))
        .await
        .unwrap_err()
        .is_decode());
    assert!(client
        .request::<i64>("add", 5)
        .await
        .unwrap_err()
        .is_encode());
}

#[tokio::test]
async fn notifications_do_not_wait_for_the_method() {
    let (client, release, mut ran) = client();
    // The method waits for `release`; the notification returns before it is given.
    client.notify("slow_log", (7,)).await.unwrap();
    assert!(ran.try_recv().is_err(), "the method has not finished yet");
    release.notify_one();
    assert_eq!(ran.recv().await, Some(7));
}

#[tokio::test]
async fn batches_mix_requests_and_notifications_with_typed_results() {
    let (client, release, mut ran) = client();
    let mut batch = client.batch();
    let sum = batch.request::<i64>("add", (1, 2)).unwrap();
    let point = batch
        .request::<Point>("mirror", (Point { x: 5, y: 6 },))
        .unwrap();
    let refused = batch.request::<()>("refuse", ()).unwrap();
    batch.notify("add", (0, 0)).unwrap();
    assert_eq!(batch.len(), 4);
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.len(), 3);
    assert_eq!(answers.get(&sum).unwrap(), 3);
    assert_eq!(answers.get(&point).unwrap(), Point { x: 6, y: 5 });
    assert_eq!(
        answers.get(&refused).unwrap_err().code().unwrap().code(),
        -32001
    );

    let mut notifications = client.batch();
    notifications.notify("slow_log", (1,)).unwrap();
    let answers = notifications.send().await.unwrap();
    assert!(answers.is_empty());
    release.notify_one();
    assert_eq!(ran.recv().await, Some(1));
}

#[tokio::test]
async fn a_failed_entry_leaves_the_batch_usable() {
    let (client, _, _) = client();
    let mut batch = client.batch();
    assert!(batch.request::<i64>("add", 1).unwrap_err().is_encode());
    let sum = batch.request::<i64>("add", (2, 2)).unwrap();
    assert_eq!(batch.len(), 1);
    assert_eq!(batch.send().await.unwrap().get(&sum).unwrap(), 4);
}

#[tokio::test]
async fn empty_batches_are_refused() {
    let (client, _, _) = client();
    assert!(client.batch().send().await.unwrap_err().is_empty_batch());
}

#[tokio::test]
async fn ids_are_unique_across_clones() {
    let (client, _, _) = client();
    let other = client.clone();
    let (a, b) = tokio::join!(
        client.request::<i64>("add", (1, 1)),
        other.request::<i64>("add", (2, 2))
    );
    assert_eq!((a.unwrap(), b.unwrap()), (2, 4));
}
