//! HTTPS for the server, with rustls.

use std::path::Path;
use std::sync::Arc;

use tokio_rustls::rustls::{self, ServerConfig};
use tokio_rustls::TlsAcceptor;

use crate::error::Error;

/// The certificate and key the server presents.
///
/// ```no_run
/// use rpc_http::{Server, TlsConfig};
///
/// # fn build() -> Result<Server, rpc_http::Error> {
/// let tls = TlsConfig::from_pem_files("cert.pem", "key.pem")?;
/// Ok(Server::bind("127.0.0.1:3443").tls(tls))
/// # }
/// ```
#[derive(Clone)]
pub struct TlsConfig {
    acceptor: TlsAcceptor,
}

impl std::fmt::Debug for TlsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsConfig").finish_non_exhaustive()
    }
}

impl TlsConfig {
    /// Reads a PEM certificate chain and a PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub fn from_pem_files(cert: impl AsRef<Path>, key: impl AsRef<Path>) -> Result<Self, Error> {
        let read = |path: &Path| {
            std::fs::read(path).map_err(|err| Error::tls(format!("{}: {err}", path.display())))
        };
        Self::from_pem(&read(cert.as_ref())?, &read(key.as_ref())?)
    }

    /// Uses PEM text already in memory.
    pub fn from_pem(cert: &[u8], key: &[u8]) -> Result<Self, Error> {
        let chain = rustls_pemfile::certs(&mut &*cert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|err| Error::tls(format!("certificate: {err}")))?;
        if chain.is_empty() {
            return Err(Error::tls("no certificate found in the PEM text"));
        }
        let key = rustls_pemfile::private_key(&mut &*key)
            .map_err(|err| Error::tls(format!("private key: {err}")))?
            .ok_or_else(|| Error::tls("no private key found in the PEM text"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(Error::tls)?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(Error::tls)?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Self::from_rustls(Arc::new(config)))
    }

    /// Uses a rustls configuration as it is (set `alpn_protocols` for HTTP/2).
    pub fn from_rustls(config: Arc<ServerConfig>) -> Self {
        Self {
            acceptor: TlsAcceptor::from(config),
        }
    }

    pub(super) fn acceptor(&self) -> &TlsAcceptor {
        &self.acceptor
    }
}
