//! A statistics hook (`Observer`) that panics must not escape dispatch: the
//! call is still answered and the server goes on serving.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rpc_core::{ErrorCode, Observer};
use rpc_http::Server;
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

use crate::support::{raw_post, read_response, start};

struct Panicking(AtomicUsize);

impl Observer for Panicking {
    fn on_call(&self, _: &str, _: Duration, _: Option<ErrorCode>) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("the observer panicked");
    }
}

#[tokio::test]
async fn a_panicking_observer_does_not_escape_dispatch_and_the_server_goes_on() {
    let _serial = crate::support::one_at_a_time().await;
    let observer = Arc::new(Panicking(AtomicUsize::new(0)));
    let mut router = crate::support::router();
    router.set_observer(observer.clone());
    let (_server, addr) = start(Server::bind("127.0.0.1:0").mount("/", router)).await;
    // Several calls, synchronous and not, on one keep-alive connection.
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for (id, (method, params, result)) in [
        ("ping", json!([]), json!("pong")),
        ("sleep", json!([1]), json!(1)),
        ("ping", json!([]), json!("pong")),
    ]
    .into_iter()
    .enumerate()
    {
        let call = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        stream
            .write_all(&raw_post(&call.to_string()))
            .await
            .unwrap();
        let (status, _, body) = read_response(&mut stream)
            .await
            .expect("answered on the same connection");
        assert_eq!(status, 200);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body, json!({"jsonrpc": "2.0", "result": result, "id": id}));
    }
    // A batch, whose entries all report.
    let batch = r#"[{"jsonrpc":"2.0","method":"ping","id":1},{"jsonrpc":"2.0","method":"sleep","params":[1],"id":2}]"#;
    stream.write_all(&raw_post(batch)).await.unwrap();
    let (status, _, body) = read_response(&mut stream).await.expect("answered");
    assert_eq!(status, 200);
    let body: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body[1]["result"], 1, "{body}");
    assert_eq!(observer.0.load(Ordering::SeqCst), 5);
}
