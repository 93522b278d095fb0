//! The HTTP client transport.

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, Method, Request, Response, StatusCode, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rpc_core::client::Transport;

use crate::error::Error;

type Pool<C> = Client<C, Full<Bytes>>;

/// Carries rpc-core calls over HTTP: pooled keep-alive connections, HTTP/1.1
/// and HTTP/2, HTTPS (with the `tls` feature), Unix sockets, custom headers,
/// a per-call timeout and a response size limit.
///
/// Cheap to clone: clones share the connection pool. Every typed client the
/// `#[rpc]` attribute generates runs on it unchanged.
///
/// ```no_run
/// use std::time::Duration;
/// use rpc_core::client::Client;
/// use rpc_http::HttpClient;
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let transport = HttpClient::builder()
///     .header("authorization", "Bearer secret")?
///     .timeout(Duration::from_secs(5))
///     .build("http://127.0.0.1:3000/")?;
/// let client = Client::new(transport);
/// let sum: i64 = client.request("add", (1, 2)).await?;
/// # Ok(())
/// # }
/// ```
///
/// A non-200 answer whose body is JSON (a JSON-RPC error object, as this
/// crate's server sends with `413` or `415`) is handed to the client, so the
/// caller sees the server's error; any other non-200 answer is an
/// [`Error`] with [`status`](Error::status). A notification has no answer to
/// hand on, so any answer outside `2xx` to one is such an [`Error`].
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    pool: Connector,
    uri: Uri,
    headers: HeaderMap,
    timeout: Option<Duration>,
    max_response_size: usize,
}

enum Connector {
    Http(Pool<HttpConnector>),
    #[cfg(feature = "tls")]
    Https(Pool<hyper_rustls::HttpsConnector<HttpConnector>>),
    #[cfg(unix)]
    Unix(Pool<unix::UnixConnector>),
}

impl std::fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("uri", &self.inner.uri)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

/// Options of an [`HttpClient`].
#[derive(Debug)]
pub struct HttpClientBuilder {
    headers: HeaderMap,
    timeout: Option<Duration>,
    max_response_size: usize,
    http2_only: bool,
    #[cfg(feature = "tls")]
    roots: Vec<Vec<u8>>,
}

impl Default for HttpClientBuilder {
    fn default() -> Self {
        Self {
            headers: HeaderMap::new(),
            timeout: Some(Duration::from_secs(60)),
            max_response_size: 10 * 1024 * 1024,
            http2_only: false,
            #[cfg(feature = "tls")]
            roots: Vec::new(),
        }
    }
}

impl HttpClientBuilder {
    /// Sends this header with every call.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, Error> {
        let name = HeaderName::try_from(name).map_err(Error::invalid_header)?;
        let value = HeaderValue::try_from(value).map_err(Error::invalid_header)?;
        self.headers.append(name, value);
        Ok(self)
    }

    /// How long one call may take, connection included (default 60 s); `None` for no limit.
    #[must_use]
    pub fn timeout(mut self, timeout: impl Into<Option<Duration>>) -> Self {
        self.timeout = timeout.into();
        self
    }

    /// The largest answer accepted, in bytes (default 10 MiB).
    #[must_use]
    pub fn max_response_size(mut self, bytes: usize) -> Self {
        self.max_response_size = bytes;
        self
    }

    /// Speaks HTTP/2 from the first byte (prior knowledge) on cleartext connections.
    #[must_use]
    pub fn http2_only(mut self, on: bool) -> Self {
        self.http2_only = on;
        self
    }

    /// Trusts this PEM certificate (a private CA, or a self-signed server) besides the public roots.
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn root_certificate_pem(mut self, pem: &[u8]) -> Self {
        self.roots.push(pem.to_vec());
        self
    }

    fn pool<C>(&self, connector: C) -> Pool<C>
    where
        C: hyper_util::client::legacy::connect::Connect + Clone + Send + Sync + 'static,
    {
        Client::builder(TokioExecutor::new())
            .http2_only(self.http2_only)
            .build(connector)
    }

    /// A client for `url` (`http://host:port/path`, or `https://` with the `tls` feature).
    pub fn build(self, url: &str) -> Result<HttpClient, Error> {
        let uri: Uri = url.parse().map_err(Error::invalid_uri)?;
        let pool = match uri.scheme_str() {
            Some("http") => Connector::Http(self.pool(HttpConnector::new())),
            #[cfg(feature = "tls")]
            Some("https") => Connector::Https(self.pool(self.https_connector()?)),
            #[cfg(not(feature = "tls"))]
            Some("https") => {
                return Err(Error::invalid_uri(
                    "https needs the `tls` feature of rpc-http",
                ))
            }
            _ => {
                return Err(Error::invalid_uri(format!(
                    "`{url}` is not an http:// or https:// URL"
                )))
            }
        };
        Ok(self.finish(pool, uri))
    }

    /// A client that speaks HTTP over the Unix socket at `socket`, to `path` (`"/"`, `"/api"`).
    #[cfg(unix)]
    pub fn build_unix(self, socket: impl Into<PathBuf>, path: &str) -> Result<HttpClient, Error> {
        // `"api"` must not become the host `localhostapi`.
        let slash = if path.starts_with('/') { "" } else { "/" };
        let uri: Uri = format!("http://localhost{slash}{path}")
            .parse()
            .map_err(Error::invalid_uri)?;
        let pool = Connector::Unix(self.pool(unix::UnixConnector(Arc::new(socket.into()))));
        Ok(self.finish(pool, uri))
    }

    fn finish(self, pool: Connector, uri: Uri) -> HttpClient {
        HttpClient {
            inner: Arc::new(Inner {
                pool,
                uri,
                headers: self.headers,
                timeout: self.timeout,
                max_response_size: self.max_response_size,
            }),
        }
    }

    #[cfg(feature = "tls")]
    fn https_connector(&self) -> Result<hyper_rustls::HttpsConnector<HttpConnector>, Error> {
        let config = tls_client_config(&self.roots)?;
        // No `alpn_protocols` here: hyper-rustls refuses (panics on) a preset
        // list and offers `h2` and `http/1.1` itself (`enable_all_versions`).
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        Ok(hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(config)
            .https_or_http()
            .enable_all_versions()
            .wrap_connector(http))
    }
}

/// A rustls client configuration trusting the public roots and `extra`
/// PEM certificates.
#[cfg(feature = "tls")]
pub(crate) fn tls_client_config(
    extra: &[Vec<u8>],
) -> Result<tokio_rustls::rustls::ClientConfig, Error> {
    use tokio_rustls::rustls::{self, ClientConfig, RootCertStore};

    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for pem in extra {
        for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
            let cert = cert.map_err(|err| Error::tls(format!("root certificate: {err}")))?;
            roots.add(cert).map_err(Error::tls)?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(Error::tls)?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

impl HttpClient {
    /// A client for `url` with default options.
    pub fn new(url: &str) -> Result<Self, Error> {
        HttpClientBuilder::default().build(url)
    }

    /// Options: headers, timeout, size limit, HTTP/2, trusted certificates.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder::default()
    }

    /// A client over the Unix socket at `socket`, to `path`, with default options.
    #[cfg(unix)]
    pub fn unix(socket: impl Into<PathBuf>, path: &str) -> Result<Self, Error> {
        HttpClientBuilder::default().build_unix(socket, path)
    }

    async fn post(&self, message: Vec<u8>) -> Result<Response<Incoming>, Error> {
        let inner = &*self.inner;
        let mut request = Request::new(Full::new(Bytes::from(message)));
        *request.method_mut() = Method::POST;
        *request.uri_mut() = inner.uri.clone();
        let headers = request.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        for (name, value) in &inner.headers {
            headers.append(name, value.clone());
        }
        let response = match &inner.pool {
            Connector::Http(pool) => pool.request(request).await,
            #[cfg(feature = "tls")]
            Connector::Https(pool) => pool.request(request).await,
            #[cfg(unix)]
            Connector::Unix(pool) => pool.request(request).await,
        };
        response.map_err(Error::connect)
    }

    async fn read(&self, response: Response<Incoming>) -> Result<Vec<u8>, Error> {
        let status = response.status();
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("application/json"));
        let body = self.collect(response.into_body()).await?;
        if status == StatusCode::OK || (is_json && !body.is_empty()) {
            Ok(body.into())
        } else {
            Err(Error::http_status(
                status,
                String::from_utf8_lossy(&body).into_owned(),
            ))
        }
    }

    async fn collect(&self, body: Incoming) -> Result<Bytes, Error> {
        let limit = self.inner.max_response_size;
        match Limited::new(body, limit).collect().await {
            Ok(collected) => Ok(collected.to_bytes()),
            Err(err) if err.is::<LengthLimitError>() => Err(Error::too_large(limit)),
            Err(err) => Err(Error::body(err)),
        }
    }

    async fn with_timeout<T>(
        &self,
        call: impl Future<Output = Result<T, Error>>,
    ) -> Result<T, Error> {
        match self.inner.timeout {
            Some(limit) => tokio::time::timeout(limit, call)
                .await
                .map_err(|_| Error::timeout())?,
            None => call.await,
        }
    }
}

impl Transport for HttpClient {
    type Error = Error;

    async fn send(&self, message: Vec<u8>) -> Result<Vec<u8>, Error> {
        self.with_timeout(async {
            let response = self.post(message).await?;
            self.read(response).await
        })
        .await
    }

    async fn notify(&self, message: Vec<u8>) -> Result<(), Error> {
        self.with_timeout(async {
            let response = self.post(message).await?;
            let status = response.status();
            let body = self.collect(response.into_body()).await?;
            // No answer is handed on for a notification: any `2xx` (servers
            // often send `204` or `202`) is a success, and a refusal (`413`,
            // `404`, ... even with a JSON body) must not pass for one.
            if status.is_success() {
                Ok(())
            } else {
                Err(Error::http_status(
                    status,
                    String::from_utf8_lossy(&body).into_owned(),
                ))
            }
        })
        .await
    }
}

#[cfg(unix)]
mod unix {
    //! Connections over a Unix socket for the pooled client.

    use std::future::Future;
    use std::path::PathBuf;
    use std::pin::Pin;
    use std::sync::Arc;
    use std::task::{Context, Poll};

    use http::Uri;
    use hyper_util::client::legacy::connect::{Connected, Connection};
    use hyper_util::rt::TokioIo;
    use tokio::net::UnixStream;

    /// Connects every request to one socket path, whatever the URI's host.
    #[derive(Clone)]
    pub(super) struct UnixConnector(pub(super) Arc<PathBuf>);

    impl tower::Service<Uri> for UnixConnector {
        type Response = UnixIo;
        type Error = std::io::Error;
        type Future = Pin<Box<dyn Future<Output = Result<UnixIo, std::io::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, _: Uri) -> Self::Future {
            let path = Arc::clone(&self.0);
            Box::pin(async move {
                UnixStream::connect(&*path)
                    .await
                    .map(|stream| UnixIo(TokioIo::new(stream)))
            })
        }
    }

    /// A Unix stream as hyper's client sees it.
    pub(super) struct UnixIo(TokioIo<UnixStream>);

    impl Connection for UnixIo {
        fn connected(&self) -> Connected {
            Connected::new()
        }
    }

    impl hyper::rt::Read for UnixIo {
        fn poll_read(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: hyper::rt::ReadBufCursor<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.0).poll_read(cx, buf)
        }
    }

    impl hyper::rt::Write for UnixIo {
        fn poll_write(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<std::io::Result<usize>> {
            Pin::new(&mut self.0).poll_write(cx, buf)
        }

        fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.0).poll_flush(cx)
        }

        fn poll_shutdown(
            mut self: Pin<&mut Self>,
            cx: &mut Context<'_>,
        ) -> Poll<std::io::Result<()>> {
            Pin::new(&mut self.0).poll_shutdown(cx)
        }
    }
}
