//! A service built with `#[rpc]` that passes every example of section 7 of
//! the JSON-RPC 2.0 specification, served and called through the generated
//! client over the in-process transport.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use rpc_core::client::InProcess;
use rpc_core::{rpc, Context, Router};
use serde_json::Value;
use tests::{block_on, spec_examples, without_error_data};
use tokio::sync::Notify;

#[derive(Default)]
struct Spec {
    updates: AtomicUsize,
    hellos: AtomicUsize,
    notified: Notify,
}

#[rpc]
impl Spec {
    /// Subtracts `subtrahend` from `minuend`.
    fn subtract(&self, minuend: i64, subtrahend: i64) -> i64 {
        minuend - subtrahend
    }

    /// Sums any number of integers.
    fn sum(&self, #[rpc(flatten)] numbers: Vec<i64>) -> i64 {
        numbers.iter().sum()
    }

    /// Counts its calls.
    #[rpc(notification)]
    fn update(&self, #[rpc(flatten)] _values: Vec<i64>) {
        self.updates.fetch_add(1, Ordering::SeqCst);
        self.notified.notify_one();
    }

    /// How many times `update` ran.
    fn get_update_count(&self) -> usize {
        self.updates.load(Ordering::SeqCst)
    }

    #[rpc(notification)]
    fn notify_hello(&self, _n: i64) {
        self.hellos.fetch_add(1, Ordering::SeqCst);
        self.notified.notify_one();
    }

    #[rpc(notification)]
    fn notify_sum(&self, #[rpc(flatten)] numbers: Vec<i64>) -> i64 {
        numbers.iter().sum()
    }

    fn get_data(&self) -> (String, i64) {
        ("hello".to_owned(), 5)
    }

    /// Named-only use of the context: the caller's peer address, if any.
    async fn whoami(&self, ctx: &Context) -> Option<String> {
        ctx.peer_addr().map(|addr| addr.to_string())
    }
}

fn router() -> (Router, Arc<Spec>) {
    let spec = Arc::new(Spec::default());
    (Spec::router_from_arc(Arc::clone(&spec)), spec)
}

fn answer(router: &Router, input: &str) -> Option<Value> {
    block_on(router.handle(input.as_bytes(), &Context::new()))
        .map(|bytes| without_error_data(serde_json::from_slice(&bytes).unwrap()))
}

#[test]
fn section_7_examples_as_bytes() {
    let (router, spec) = router();
    let cases = spec_examples();
    for (input, expected) in cases {
        assert_eq!(answer(&router, input), expected, "{input}");
    }
    assert_eq!(
        spec.updates.load(Ordering::SeqCst),
        1,
        "the `update` notification ran"
    );
    assert_eq!(
        spec.hellos.load(Ordering::SeqCst),
        2,
        "both `notify_hello` notifications ran"
    );
}

#[tokio::test]
async fn section_7_through_the_generated_client() {
    let (router, spec) = router();
    let client = SpecClient::new(InProcess::new(router));

    assert_eq!(client.subtract(42, 23).await.unwrap(), 19);
    assert_eq!(client.subtract(23, 42).await.unwrap(), -19);
    assert_eq!(client.sum(vec![1, 2, 4]).await.unwrap(), 7);
    assert_eq!(client.get_data().await.unwrap(), ("hello".to_owned(), 5));

    client.update(vec![1, 2, 3, 4, 5]).await.unwrap();
    spec.notified.notified().await;
    assert_eq!(client.get_update_count().await.unwrap(), 1);

    let mut batch = client.batch();
    let sum = batch.sum(vec![1, 2, 4]).unwrap();
    batch.notify_hello(7).unwrap();
    let difference = batch.subtract(42, 23).unwrap();
    let data = batch.get_data().unwrap();
    let answers = batch.send().await.unwrap();
    assert_eq!(answers.get(&sum).unwrap(), 7);
    assert_eq!(answers.get(&difference).unwrap(), 19);
    assert_eq!(answers.get(&data).unwrap(), ("hello".to_owned(), 5));

    let err = client
        .client()
        .request::<()>("foobar", ())
        .await
        .unwrap_err();
    assert_eq!(err.code().unwrap().code(), -32601);
}

#[tokio::test]
async fn the_context_parameter_is_not_an_rpc_param() {
    let spec = Arc::new(Spec::default());
    let transport = InProcess::new(Spec::router_from_arc(spec))
        .with_context(|| Context::new().with_peer_addr("127.0.0.1:9".parse().unwrap()));
    let client = SpecClient::new(transport);
    assert_eq!(
        client.whoami().await.unwrap().as_deref(),
        Some("127.0.0.1:9")
    );
    let whoami = SpecClient::METHODS
        .iter()
        .find(|m| m.name == "whoami")
        .unwrap();
    assert!(whoami.params.is_empty());
}

#[test]
fn the_listing_describes_every_method() {
    let names: Vec<&str> = Spec::METHODS.iter().map(|m| m.name).collect();
    assert_eq!(
        names,
        [
            "subtract",
            "sum",
            "update",
            "get_update_count",
            "notify_hello",
            "notify_sum",
            "get_data",
            "whoami"
        ]
    );
    let subtract = &Spec::METHODS[0];
    assert_eq!(subtract.docs, "Subtracts `subtrahend` from `minuend`.");
    assert_eq!(
        subtract.params.iter().map(|p| p.name).collect::<Vec<_>>(),
        ["minuend", "subtrahend"]
    );
    assert_eq!(subtract.returns, "i64");
    assert!(Spec::METHODS[2].notification);
    assert_eq!(Spec::METHODS[6].returns, "(String, i64)");
    // The listing is usable in const context.
    const COUNT: usize = SpecClient::METHODS.len();
    assert_eq!(COUNT, 8);
}
