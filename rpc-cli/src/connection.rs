//! The way to the server: HTTP(S), or a WebSocket connection.

use std::future::Future;
use std::time::Duration;

use rpc_core::client::{Client, ClientError, Transport};
use rpc_http::{HttpClient, WsClient, WsConfig};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::{Failure, Options};

/// A client over HTTP or WebSocket, as the URL's scheme says.
pub(crate) struct Connection {
    kind: Kind,
    timeout: Duration,
}

enum Kind {
    Http(Client<HttpClient>),
    Ws(Client<WsClient>),
}

/// `Name: value` as a pair.
fn header(text: &str) -> Result<(&str, &str), Failure> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| Failure::Usage(format!("a header is `Name: value`, not `{text}`")))?;
    Ok((name.trim(), value.trim()))
}

fn transport(err: impl std::fmt::Display) -> Failure {
    let why = err.to_string();
    // Both transports say so in words ("larger than ... bytes"): an answer
    // over the HTTP client's limit, a message over the WebSocket's.
    if why.contains("larger than") {
        return Failure::Transport(format!("{why} (allow more with --max-size)"));
    }
    Failure::Transport(why)
}

impl Connection {
    /// Connects to `url` with the headers and timeout of `options`.
    pub(crate) async fn open(url: &str, options: &Options) -> Result<Self, Failure> {
        let scheme = url
            .split_once("://")
            .map(|(scheme, _)| scheme.to_ascii_lowercase());
        match scheme.as_deref() {
            Some("http" | "https") => {
                let mut builder = HttpClient::builder()
                    .timeout(options.timeout)
                    .max_response_size(options.max_size);
                for text in &options.headers {
                    let (name, value) = header(text)?;
                    builder = builder
                        .header(name, value)
                        .map_err(|err| Failure::Usage(err.to_string()))?;
                }
                let client = builder
                    .build(url)
                    .map_err(|err| Failure::Usage(err.to_string()))?;
                Ok(Self {
                    kind: Kind::Http(Client::new(client)),
                    timeout: options.timeout,
                })
            }
            Some("ws" | "wss") => Ok(Self {
                kind: Kind::Ws(Client::new(websocket(url, options).await?)),
                timeout: options.timeout,
            }),
            _ => Err(Failure::Usage(format!(
                "`{url}` is not an http://, https://, ws:// or wss:// URL"
            ))),
        }
    }

    /// Calls `method`; the answer as `{"result": ..}` or `{"error": ..}`.
    pub(crate) async fn call(&self, method: &str, params: Option<Value>) -> Result<Value, Failure> {
        let answer = match &self.kind {
            Kind::Http(client) => self.timed(request(client, method, params)).await?,
            Kind::Ws(client) => self.timed(request(client, method, params)).await?,
        };
        match answer {
            Ok(result) => {
                let result: Value = serde_json::from_str(result.get()).map_err(transport)?;
                Ok(serde_json::json!({ "result": result }))
            }
            Err(err) => match err.call_error() {
                Some(error) => Ok(serde_json::json!({ "error": error })),
                None => Err(transport(err)),
            },
        }
    }

    /// Sends a request or a batch as written; the answer, parsed.
    pub(crate) async fn send(&self, message: Vec<u8>) -> Result<Value, Failure> {
        let answer = match &self.kind {
            Kind::Http(client) => self
                .timed(client.transport().send(message))
                .await?
                .map_err(transport)?,
            Kind::Ws(client) => self
                .timed(client.transport().send(message))
                .await?
                .map_err(transport)?,
        };
        serde_json::from_slice(&answer)
            .map_err(|err| Failure::Transport(format!("the answer is not JSON: {err}")))
    }

    /// Sends a notification (or a batch of them) as written.
    pub(crate) async fn notify(&self, message: Vec<u8>) -> Result<(), Failure> {
        match &self.kind {
            Kind::Http(client) => self
                .timed(client.transport().notify(message))
                .await?
                .map_err(transport),
            Kind::Ws(client) => {
                self.timed(client.transport().notify(message))
                    .await?
                    .map_err(transport)?;
                // Handed over is not yet written: close gracefully, which writes it first.
                self.timed(client.transport().close()).await
            }
        }
    }

    /// `work`, or a failure once the timeout has passed.
    async fn timed<T>(&self, work: impl Future<Output = T>) -> Result<T, Failure> {
        tokio::time::timeout(self.timeout, work)
            .await
            .map_err(|_| Failure::Transport(format!("no answer within {:?}", self.timeout)))
    }
}

async fn request<T: Transport>(
    client: &Client<T>,
    method: &str,
    params: Option<Value>,
) -> Result<Box<RawValue>, ClientError> {
    match params {
        Some(params) => client.request(method, params).await,
        None => client.request(method, ()).await,
    }
}

/// A WebSocket connection to `url` with the headers and timeout of `options`.
pub(crate) async fn websocket(url: &str, options: &Options) -> Result<WsClient, Failure> {
    let config = WsConfig::new()
        .with_max_message_size(options.max_size)
        .with_max_frame_size(options.max_size);
    let mut builder = WsClient::builder()
        .connect_timeout(options.timeout)
        .config(config);
    for text in &options.headers {
        let (name, value) = header(text)?;
        builder = builder
            .header(name, value)
            .map_err(|err| Failure::Usage(err.to_string()))?;
    }
    builder.connect(url).await.map_err(transport)
}
