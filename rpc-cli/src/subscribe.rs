//! `rpc subscribe`: a subscription's items or a topic's messages, as they come.

use std::future::Future;
use std::time::Duration;

use serde_json::{json, Value};

use crate::connection::websocket;
use crate::{Failure, Options};
use rpc_core::client::Client;

/// What `rpc.discover` says a name is.
enum Source {
    /// A subscription method: its items' notification and the method that ends it.
    Subscription {
        notification: String,
        unsubscribe: String,
    },
    /// A topic, subscribed to with these methods.
    Topic {
        subscribe: String,
        unsubscribe: String,
    },
}

pub(crate) async fn run(
    url: &str,
    topic: &str,
    params: Option<Value>,
    count: Option<u64>,
    options: &Options,
) -> Result<(), Failure> {
    let url = websocket_url(url);
    let socket = websocket(&url, options).await?;
    let client = Client::new(socket.clone());
    let timeout = options.timeout;

    let document: Option<Value> = timed(timeout, client.request::<Value>("rpc.discover", ()))
        .await?
        .ok();
    let source = source(document.as_ref(), topic);
    let (listen_to, subscribe_method, subscribe_params) = match &source {
        Source::Subscription { notification, .. } => (
            notification.clone(),
            topic.to_owned(),
            params.unwrap_or(json!([])),
        ),
        Source::Topic { subscribe, .. } => (topic.to_owned(), subscribe.clone(), json!([topic])),
    };
    // Listening before subscribing: nothing sent right after the answer is missed.
    let mut messages = socket.notifications(&listen_to);
    let answer = timed(
        timeout,
        client.request::<Value>(&subscribe_method, subscribe_params),
    )
    .await?;
    let subscription = match answer {
        Ok(subscription) => subscription,
        Err(err) => {
            return match err.call_error() {
                Some(error) => {
                    options.print_error(&json!(error));
                    Err(Failure::Answered)
                }
                None => Err(Failure::Transport(err.to_string())),
            };
        }
    };
    // A topic the connection may not receive is left out of the answer, not refused.
    if let (Source::Topic { .. }, Some(subscribed)) = (&source, subscription.as_array()) {
        if !subscribed.iter().any(|name| name == topic) {
            eprintln!(
                "error: not subscribed to `{topic}`: it is neither a subscription method nor a \
                 topic this connection may receive (subscribed: {})",
                options.json(&subscription)
            );
            return Err(Failure::Answered);
        }
    }
    eprintln!(
        "subscribed ({}); Ctrl-C to stop",
        options.json(&subscription)
    );

    let mut received = 0;
    while count.is_none_or(|count| received < count) {
        let next = tokio::select! {
            next = messages.next::<Value>() => next,
            _ = tokio::signal::ctrl_c() => break,
        };
        let Some(Ok(params)) = next else {
            return Err(Failure::Transport("the connection ended".to_owned()));
        };
        let message = match &source {
            // Items of other subscriptions of this connection are not ours.
            Source::Subscription { .. } if params["subscription"] != subscription => continue,
            Source::Subscription { .. } => params["result"].clone(),
            Source::Topic { .. } => params,
        };
        println!("{}", options.json(&message));
        received += 1;
    }

    let (method, params) = match &source {
        Source::Subscription { unsubscribe, .. } => (unsubscribe, json!([subscription])),
        Source::Topic { unsubscribe, .. } => (unsubscribe, json!([topic])),
    };
    // The connection closes next anyway: a failed unsubscribe changes nothing.
    let _ = timed(timeout, client.request::<Value>(method, params)).await;
    let _ = timed(timeout, socket.close()).await;
    Ok(())
}

/// `work`, or a failure once `timeout` has passed.
async fn timed<T>(timeout: Duration, work: impl Future<Output = T>) -> Result<T, Failure> {
    tokio::time::timeout(timeout, work)
        .await
        .map_err(|_| Failure::Transport(format!("no answer within {timeout:?}")))
}

/// `http(s)://` as `ws(s)://`: the same mount serves both.
fn websocket_url(url: &str) -> String {
    if let Some(rest) = url.strip_prefix("http://") {
        format!("ws://{rest}")
    } else if let Some(rest) = url.strip_prefix("https://") {
        format!("wss://{rest}")
    } else {
        url.to_owned()
    }
}

/// A subscription method if the document says `name` is one, else a topic
/// (subscribed to with the document's topic methods, or aiohttp-json-rpc's).
fn source(document: Option<&Value>, name: &str) -> Source {
    let methods = document
        .and_then(|document| document["methods"].as_array())
        .into_iter()
        .flatten();
    for method in methods {
        if method["name"] == name {
            if let Some(subscription) = method.get("x-subscription") {
                return Source::Subscription {
                    notification: subscription["notification"]
                        .as_str()
                        .unwrap_or(name)
                        .to_owned(),
                    unsubscribe: subscription["unsubscribe"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                };
            }
        }
    }
    let topics = document.map(|document| &document["x-topics"]);
    let named = |key: &str, default: &str| {
        topics
            .and_then(|topics| topics[key].as_str())
            .unwrap_or(default)
            .to_owned()
    };
    Source::Topic {
        subscribe: named("subscribe", "subscribe"),
        unsubscribe: named("unsubscribe", "unsubscribe"),
    }
}
