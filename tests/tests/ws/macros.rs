//! `#[rpc]` guards and subscriptions, over WebSocket and HTTP.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rpc_core::guard;
use rpc_core::{rpc, Context, Error, Identity, Subscription};
use rpc_http::{HttpClient, HttpConfig, Server, WsClient};

use crate::support::{start, within};

/// Logged-in callers only; `purge` for admins.
struct Vault {
    purges: AtomicU64,
}

#[rpc(guard = guard::login_required)]
trait Secrets {
    /// Who is asking.
    fn whoami(&self, ctx: &Context) -> String;

    /// Empties the vault (admins only).
    #[rpc(guard = guard::permission_required("admin"))]
    fn purge(&self) -> u64;

    /// Counts down from `from` to 1.
    #[rpc(subscription = "countdown", unsubscribe = "stop_countdown")]
    fn countdown(&self, from: u32) -> Result<Subscription<u32>, Error>;
}

impl Secrets for Vault {
    fn whoami(&self, ctx: &Context) -> String {
        ctx.session()
            .identity()
            .map(|identity| identity.user().to_owned())
            .unwrap_or_default()
    }

    fn purge(&self) -> u64 {
        self.purges.fetch_add(1, Ordering::SeqCst) + 1
    }

    fn countdown(&self, from: u32) -> Result<Subscription<u32>, Error> {
        if from > 100 {
            return Err(Error::invalid_params("at most 100"));
        }
        let items = futures_util::stream::iter((1..=from).rev()).then(|n| async move {
            tokio::time::sleep(Duration::from_millis(2)).await;
            n
        });
        Ok(Subscription::new(items))
    }
}

use futures_util::StreamExt;

/// The vault behind an authenticator: `x-api-key: alice` (plain) or `root` (admin).
async fn server() -> (rpc_http::ServerHandle, String) {
    let config =
        HttpConfig::new().with_authenticator(|ctx: &Context| match ctx.header("x-api-key")? {
            "alice" => Some(Identity::new("alice")),
            "root" => Some(Identity::new("root").with_permission("admin")),
            _ => None,
        });
    let vault = Vault {
        purges: AtomicU64::new(0),
    };
    start(
        Server::bind("127.0.0.1:0")
            .mount("/", vault.into_router())
            .config(config),
    )
    .await
}

#[tokio::test]
async fn guards_refuse_before_the_method_runs_over_websocket_and_http() {
    let (server, url) = server().await;
    let anonymous = SecretsClient::new(WsClient::connect(&url).await.unwrap());
    let err = within(anonymous.whoami()).await.unwrap_err();
    assert_eq!(err.code(), Some(guard::NOT_AUTHENTICATED));

    let alice = SecretsClient::new(
        within(
            WsClient::builder()
                .header("x-api-key", "alice")
                .unwrap()
                .connect(&url),
        )
        .await
        .unwrap(),
    );
    assert_eq!(within(alice.whoami()).await.unwrap(), "alice");
    let err = within(alice.purge()).await.unwrap_err();
    assert_eq!(err.code(), Some(guard::NOT_PERMITTED));

    let http_url = url.replace("ws://", "http://");
    let root = SecretsClient::new(
        HttpClient::builder()
            .header("x-api-key", "root")
            .unwrap()
            .build(&http_url)
            .unwrap(),
    );
    assert_eq!(within(root.purge()).await.unwrap(), 1);
    let nobody = SecretsClient::new(HttpClient::new(&http_url).unwrap());
    assert_eq!(
        within(nobody.purge()).await.unwrap_err().code(),
        Some(guard::NOT_AUTHENTICATED),
        "the service's guard runs first"
    );
    assert_eq!(
        within(root.purge()).await.unwrap(),
        2,
        "refused calls did not run"
    );
    let err = within(root.countdown(3)).await.unwrap_err();
    assert!(
        err.to_string().contains("WebSocket"),
        "a subscription over HTTP says what it needs: {err}"
    );
    server.shutdown();
    within(server.stopped()).await;
}

#[tokio::test]
async fn a_generated_subscription_streams_typed_items_and_ends_when_dropped() {
    let (server, url) = server().await;
    let client = SecretsClient::new(
        within(
            WsClient::builder()
                .header("x-api-key", "alice")
                .unwrap()
                .connect(&url),
        )
        .await
        .unwrap(),
    );
    let mut countdown = within(client.countdown(3)).await.unwrap();
    let mut items = Vec::new();
    for _ in 0..3 {
        items.push(within(countdown.next()).await.unwrap().unwrap());
    }
    assert_eq!(items, [3, 2, 1]);
    let err = within(client.countdown(1000)).await.unwrap_err();
    assert_eq!(err.code().map(|code| code.code()), Some(-32602));
    let endless = within(client.countdown(100)).await.unwrap();
    drop(endless);
    server.shutdown();
    within(server.stopped()).await;
}

#[test]
fn the_listing_shows_guards_and_subscriptions() {
    let purge = SecretsClient::METHODS
        .iter()
        .find(|method| method.name == "purge")
        .unwrap();
    assert_eq!(
        purge.guards,
        [
            "guard::login_required",
            r#"guard::permission_required("admin")"#
        ]
    );
    let countdown = SecretsClient::METHODS
        .iter()
        .find(|method| method.name == "countdown")
        .unwrap();
    let subscription = countdown.subscription.unwrap();
    assert_eq!(
        (
            subscription.notification,
            subscription.unsubscribe,
            subscription.item
        ),
        ("countdown", "stop_countdown", "u32")
    );
}
