//! Helpers shared by the WebSocket tests.

use std::future::Future;
use std::time::Duration;

use rpc_core::Router;
use rpc_http::{Server, ServerHandle, WsClient};

/// Every wait is bounded by this, so a broken feature fails instead of hanging.
pub(crate) const WAIT: Duration = Duration::from_secs(20);

pub(crate) async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .expect("the step finished within the time limit")
}

/// A server on a free port with `router` at `/`; its `ws://` URL.
pub(crate) async fn start(server: Server) -> (ServerHandle, String) {
    let handle = within(server.start()).await.expect("the server starts");
    let url = format!("ws://{}/", handle.local_addr().unwrap());
    (handle, url)
}

pub(crate) async fn start_router(router: Router) -> (ServerHandle, String) {
    start(Server::bind("127.0.0.1:0").mount("/", router)).await
}

pub(crate) async fn connect(url: &str) -> WsClient {
    within(WsClient::connect(url))
        .await
        .expect("the client connects")
}
