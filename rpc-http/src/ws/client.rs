//! [`WsClient`]: one WebSocket connection to a server, symmetric with the
//! server's side of it.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, CONNECTION, HOST, UPGRADE};
use http::{HeaderMap, Request, Uri};
use http_body_util::Empty;
use rpc_core::client::Transport;
use rpc_core::connection::{Connection, Peer, PeerError};
use rpc_core::{Context, Router};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use super::WsConfig;
use crate::error::Error;

/// A JSON-RPC client over one WebSocket connection, and a server for the
/// calls the other end makes on it: both ends are alike.
///
/// - It is a [`Transport`]: every client the `#[rpc]` attribute generates
///   runs over it (`CalculatorClient::new(ws.clone())`), and many calls may
///   be in flight at once on the one socket.
/// - The server's requests and notifications go to the [`Router`] given to
///   the [builder](Self::builder), as on a server; its answers go back on the
///   same socket.
/// - Notifications no method of that router takes (topic messages, say) can
///   be read as a stream: [`notifications`](Self::notifications).
///
/// Clones share the connection; it closes when the last clone is dropped,
/// or with [`close`](Self::close).
///
/// ```no_run
/// use rpc_http::WsClient;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let ws = WsClient::connect("ws://127.0.0.1:3000/").await?;
/// let sum: i64 = rpc_core::client::Client::new(ws.clone()).request("add", (1, 2)).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct WsClient {
    peer: Peer,
    inner: Arc<Inner>,
}

struct Inner {
    closing: CancellationToken,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // The last clone is gone: nobody can call or listen any more.
        self.closing.cancel();
    }
}

impl std::fmt::Debug for WsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WsClient")
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}

/// Options of a [`WsClient`]: the router that answers the server's calls,
/// headers of the opening request, limits and timeouts.
#[derive(Debug, Default)]
pub struct WsClientBuilder {
    router: Router,
    headers: HeaderMap,
    config: WsConfig,
    connect_timeout: Option<Duration>,
    #[cfg(feature = "tls")]
    roots: Vec<Vec<u8>>,
}

impl WsClientBuilder {
    /// The opening request: the upgrade, with the builder's headers.
    fn opening_request(&self, uri: &Uri, host: &str) -> Result<Request<Empty<Bytes>>, Error> {
        let mut request = Request::new(Empty::<Bytes>::new());
        *request.uri_mut() = uri.path_and_query().map_or_else(
            || Uri::from_static("/"),
            |path| Uri::try_from(path.as_str()).unwrap_or_else(|_| Uri::from_static("/")),
        );
        let headers = request.headers_mut();
        let authority = uri.authority().map_or(host, |authority| authority.as_str());
        headers.insert(
            HOST,
            HeaderValue::try_from(authority).map_err(Error::invalid_uri)?,
        );
        headers.insert(UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(
            "sec-websocket-key",
            HeaderValue::try_from(fastwebsockets::handshake::generate_key())
                .expect("a base64 key is a header value"),
        );
        headers.insert("sec-websocket-version", HeaderValue::from_static("13"));
        for (name, value) in &self.headers {
            headers.append(name, value.clone());
        }
        Ok(request)
    }

    /// TLS (HTTP/1.1 by ALPN: the upgrade is an HTTP/1.1 affair), then the handshake.
    #[cfg(feature = "tls")]
    async fn handshake_tls(
        &self,
        request: Request<Empty<Bytes>>,
        stream: TcpStream,
        host: &str,
    ) -> Result<Socket, Error> {
        let mut config = crate::client::tls_client_config(&self.roots)?;
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let name = tokio_rustls::rustls::pki_types::ServerName::try_from(host.to_owned())
            .map_err(|err| Error::invalid_uri(format!("`{host}` is not a server name: {err}")))?;
        let stream = tokio_rustls::TlsConnector::from(Arc::new(config))
            .connect(name, stream)
            .await
            .map_err(Error::tls)?;
        handshake(request, stream).await
    }

    #[cfg(not(feature = "tls"))]
    async fn handshake_tls(
        &self,
        _request: Request<Empty<Bytes>>,
        _stream: TcpStream,
        _host: &str,
    ) -> Result<Socket, Error> {
        Err(Error::invalid_uri(
            "wss:// needs the `tls` feature of rpc-http",
        ))
    }

    /// Serves `router` to the server: its requests and notifications to this
    /// client are answered by it.
    #[must_use]
    pub fn router(mut self, router: Router) -> Self {
        self.router = router;
        self
    }

    /// Sends this header with the opening request (a token, a cookie).
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(name).map_err(Error::invalid_header)?;
        let value = HeaderValue::try_from(value).map_err(Error::invalid_header)?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// Limits and timeouts of the connection (the same as a server's).
    #[must_use]
    pub fn config(mut self, config: WsConfig) -> Self {
        self.config = config;
        self
    }

    /// Trusts this PEM certificate (a private CA, or a self-signed server)
    /// besides the public roots, for `wss://`.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.roots.push(pem.to_vec());
        self
    }

    /// How long connecting, with the opening handshake, may take (default 30 s).
    #[must_use]
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// Connects to `url` (`ws://host:port/path`, or `wss://` with the `tls` feature).
    pub async fn connect(self, url: &str) -> Result<WsClient, Error> {
        let limit = self.connect_timeout.unwrap_or(Duration::from_secs(30));
        tokio::time::timeout(limit, self.open(url))
            .await
            .map_err(|_| Error::timeout())?
    }

    async fn open(self, url: &str) -> Result<WsClient, Error> {
        let uri: Uri = url.parse().map_err(Error::invalid_uri)?;
        let secure = match uri.scheme_str() {
            Some("ws") => false,
            Some("wss") => true,
            _ => {
                return Err(Error::invalid_uri(format!(
                    "`{url}` is not a ws:// or wss:// URL"
                )))
            }
        };
        let host = uri
            .host()
            .ok_or_else(|| Error::invalid_uri(format!("`{url}` has no host")))?;
        let port = uri.port_u16().unwrap_or(if secure { 443 } else { 80 });
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(Error::connect)?;
        let _ = stream.set_nodelay(true);
        let request = self.opening_request(&uri, host)?;
        let socket = if secure {
            self.handshake_tls(request, stream, host).await?
        } else {
            handshake(request, stream).await?
        };
        let connection = Connection::new(
            Arc::new(self.router),
            Context::new(),
            self.config.connection().clone(),
        );
        let peer = connection.peer().clone();
        let closing = CancellationToken::new();
        let stop = closing.clone();
        let config = self.config;
        tokio::spawn(async move {
            super::serve(
                socket,
                super::Side::Client,
                connection,
                &config,
                stop.cancelled_owned(),
            )
            .await;
        });
        Ok(WsClient {
            peer,
            inner: Arc::new(Inner { closing }),
        })
    }
}

/// An upgraded socket, whatever carries it.
type Socket = fastwebsockets::WebSocket<hyper_util::rt::TokioIo<hyper::upgrade::Upgraded>>;

/// The opening handshake over `stream`; a status other than `101` is an HTTP error.
async fn handshake<S>(request: Request<Empty<Bytes>>, stream: S) -> Result<Socket, Error>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (socket, _response) = fastwebsockets::handshake::client(&Spawn, request, stream)
        .await
        .map_err(|err| match err {
            fastwebsockets::WebSocketError::InvalidStatusCode(code) => Error::http_status(
                http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::BAD_GATEWAY),
                String::new(),
            ),
            other => Error::connect(other),
        })?;
    Ok(socket)
}

/// Runs hyper's handshake connection on Tokio.
struct Spawn;

impl hyper::rt::Executor<Pin<Box<dyn Future<Output = ()> + Send>>> for Spawn {
    fn execute(&self, future: Pin<Box<dyn Future<Output = ()> + Send>>) {
        tokio::spawn(future);
    }
}

impl WsClient {
    /// Connects to `url` (`ws://host:port/path`) with default options.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        Self::builder().connect(url).await
    }

    /// Options: the router for the server's calls, headers, limits.
    pub fn builder() -> WsClientBuilder {
        WsClientBuilder::default()
    }

    /// The server's end of the connection, as a [`Peer`].
    pub fn peer(&self) -> &Peer {
        &self.peer
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.peer.is_closed()
    }

    /// Notifications of `method` that the client's router does not take
    /// (a topic's messages), as they arrive.
    pub fn notifications(&self, method: &str) -> rpc_core::connection::Notifications {
        self.peer.notifications(method)
    }

    /// Closes the connection: calls in flight finish, then the socket closes.
    /// Resolves once it has.
    pub async fn close(&self) {
        self.inner.closing.cancel();
        self.peer.closed().await;
    }
}

impl Transport for WsClient {
    type Error = PeerError;

    fn send(&self, message: Vec<u8>) -> impl Future<Output = Result<Vec<u8>, PeerError>> + Send {
        self.peer.send(message)
    }

    fn notify(&self, message: Vec<u8>) -> impl Future<Output = Result<(), PeerError>> + Send {
        self.peer.notify(message)
    }

    fn shared_ids(&self) -> Option<&AtomicU64> {
        self.peer.shared_ids()
    }

    fn peer(&self) -> Option<&Peer> {
        Some(&self.peer)
    }
}
