//! `rpc_http::RpcService` mounted inside an axum 0.8 application, next to
//! ordinary routes on one listener, with axum middleware handing the peer
//! address and other request extensions to the methods.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request};
use axum::middleware::map_request;
use axum::routing::get;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::{rpc, Context};
use rpc_http::{HttpClient, PeerAddr, RpcService};
use tokio::sync::oneshot;

/// Every step is bounded by this, so a broken feature fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(20);

async fn within<T>(future: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, future)
        .await
        .expect("the step did not finish in time")
}

/// What an authentication middleware might leave for the methods.
#[derive(Debug, Clone, PartialEq)]
struct User(String);

struct Api;

#[rpc]
impl Api {
    fn add(&self, a: i64, b: i64) -> i64 {
        a + b
    }

    fn peer(&self, ctx: &Context) -> Option<SocketAddr> {
        ctx.peer_addr()
    }

    /// The user a middleware put in the HTTP request's extensions.
    fn user(&self, ctx: &Context) -> Option<String> {
        let extensions = ctx.get::<http::Extensions>()?;
        extensions.get::<User>().map(|user| user.0.clone())
    }

    /// The peer as axum recorded it, read straight from the passed-through extensions.
    fn connect_info(&self, ctx: &Context) -> Option<SocketAddr> {
        let extensions = ctx.get::<http::Extensions>()?;
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr)
    }
}

/// Copies axum's `ConnectInfo` into the extension `RpcService` reads the peer from.
async fn copy_peer_addr(
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Request {
    request.extensions_mut().insert(PeerAddr(addr));
    request
}

async fn authenticate(mut request: Request) -> Request {
    if request.headers().get("authorization").is_some() {
        request.extensions_mut().insert(User("ada".to_owned()));
    }
    request
}

/// Serves `app` on a fresh port; the sender stops it.
async fn serve(
    app: axum::Router,
) -> (SocketAddr, oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let listener = within(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .await
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .expect("axum serves");
    });
    (addr, stop, task)
}

async fn stop(stop: oneshot::Sender<()>, task: tokio::task::JoinHandle<()>) {
    let _ = stop.send(());
    within(task).await.unwrap();
}

fn app() -> axum::Router {
    // `route_service` hands the service the full path: a router mounted at that path serves it...
    let at_rpc = RpcService::builder()
        .mount("/rpc", Api.into_router())
        .build();
    // ... and so does `RpcService::new`, which serves whatever path it is routed to.
    let any_path = RpcService::new(Api.into_router());
    // `nest_service` strips the prefix: the service sees `/`.
    let nested = RpcService::new(Api.into_router());
    axum::Router::new()
        .route("/health", get(|| async { "ok" }))
        .route_service("/rpc", at_rpc)
        .route_service("/plain", any_path)
        .nest_service("/nested", nested)
        .layer(map_request(authenticate))
        .layer(map_request(copy_peer_addr))
}

#[tokio::test]
async fn rpc_next_to_axum_routes_on_one_listener() {
    let (addr, stop_tx, task) = serve(app()).await;

    // The RPC endpoints, through the generated client.
    for path in ["rpc", "plain", "nested"] {
        let client = ApiClient::new(HttpClient::new(&format!("http://{addr}/{path}")).unwrap());
        assert_eq!(within(client.add(40, 2)).await.unwrap(), 42, "{path}");
    }

    // The plain route, through a plain hyper client.
    let hyper_client = Client::builder(TokioExecutor::new()).build_http::<Empty<Bytes>>();
    let uri: http::Uri = format!("http://{addr}/health").parse().unwrap();
    let response = within(hyper_client.get(uri)).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::OK);
    let body = within(response.into_body().collect())
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(&body[..], b"ok");

    // Unknown paths stay axum's.
    let uri: http::Uri = format!("http://{addr}/elsewhere").parse().unwrap();
    let response = within(hyper_client.get(uri)).await.unwrap();
    assert_eq!(response.status(), http::StatusCode::NOT_FOUND);

    stop(stop_tx, task).await;
}

#[tokio::test]
async fn methods_see_the_peer_and_middleware_extensions() {
    let (addr, stop_tx, task) = serve(app()).await;
    let url = format!("http://{addr}/rpc");

    let client = ApiClient::new(HttpClient::new(&url).unwrap());
    let peer = within(client.peer())
        .await
        .unwrap()
        .expect("the middleware's PeerAddr reaches the method");
    assert!(peer.ip().is_loopback(), "{peer}");
    assert_ne!(
        peer.port(),
        addr.port(),
        "the server's own address, not the peer's"
    );
    // The same address axum recorded, which also passes through untouched.
    assert_eq!(within(client.connect_info()).await.unwrap(), Some(peer));
    // No authorization header: the middleware added no user.
    assert_eq!(within(client.user()).await.unwrap(), None);

    let authorized = ApiClient::new(
        HttpClient::builder()
            .header("authorization", "Bearer secret")
            .unwrap()
            .build(&url)
            .unwrap(),
    );
    assert_eq!(
        within(authorized.user()).await.unwrap(),
        Some("ada".to_owned())
    );

    stop(stop_tx, task).await;
}

#[tokio::test]
async fn without_the_middleware_there_is_no_peer_address() {
    let app = axum::Router::new().route_service(
        "/rpc",
        RpcService::builder()
            .mount("/rpc", Api.into_router())
            .build(),
    );
    let (addr, stop_tx, task) = serve(app).await;
    let client = ApiClient::new(HttpClient::new(&format!("http://{addr}/rpc")).unwrap());
    assert_eq!(within(client.peer()).await.unwrap(), None);
    // axum's own record is still there, among the passed-through extensions.
    assert!(within(client.connect_info()).await.unwrap().is_some());
    stop(stop_tx, task).await;
}
