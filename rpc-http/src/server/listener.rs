//! TCP and Unix listeners behind one type.

use std::io;
use std::net::SocketAddr;
#[cfg(unix)]
use std::path::Path;
use std::path::PathBuf;

use tokio::net::{TcpListener, TcpStream};
#[cfg(unix)]
use tokio::net::{UnixListener, UnixStream};

use crate::error::Error;

/// What a server listens on.
#[derive(Debug)]
pub(super) enum Target {
    Tcp(String),
    Listener(std::net::TcpListener),
    Unix(PathBuf),
}

pub(super) enum Listener {
    Tcp(TcpListener),
    #[cfg(unix)]
    Unix(UnixListener),
}

pub(super) enum Accepted {
    Tcp(TcpStream, SocketAddr),
    #[cfg(unix)]
    Unix(UnixStream),
}

impl Listener {
    pub(super) async fn bind(target: Target) -> Result<Self, Error> {
        match target {
            Target::Tcp(addr) => TcpListener::bind(addr.as_str())
                .await
                .map(Listener::Tcp)
                .map_err(|err| Error::bind(&addr, err)),
            Target::Listener(listener) => {
                let subject = "the given listener";
                listener
                    .set_nonblocking(true)
                    .map_err(|err| Error::bind(subject, err))?;
                TcpListener::from_std(listener)
                    .map(Listener::Tcp)
                    .map_err(|err| Error::bind(subject, err))
            }
            #[cfg(unix)]
            Target::Unix(path) => {
                remove_stale_socket(&path).await?;
                UnixListener::bind(&path)
                    .map(Listener::Unix)
                    .map_err(|err| Error::bind(path.display(), err))
            }
            #[cfg(not(unix))]
            Target::Unix(path) => Err(Error::bind(
                path.display(),
                "Unix sockets are not available on this platform",
            )),
        }
    }

    pub(super) fn local_addr(&self) -> Option<SocketAddr> {
        match self {
            Listener::Tcp(listener) => listener.local_addr().ok(),
            #[cfg(unix)]
            Listener::Unix(_) => None,
        }
    }

    pub(super) async fn accept(&self) -> io::Result<Accepted> {
        match self {
            Listener::Tcp(listener) => listener
                .accept()
                .await
                .map(|(stream, peer)| Accepted::Tcp(stream, peer)),
            #[cfg(unix)]
            Listener::Unix(listener) => listener
                .accept()
                .await
                .map(|(stream, _)| Accepted::Unix(stream)),
        }
    }
}

/// Removes a socket file that no server answers on any more. A live socket,
/// or a path that is not a socket, is left alone and reported.
#[cfg(unix)]
async fn remove_stale_socket(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::FileTypeExt;

    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(Error::bind(path.display(), err)),
    };
    if !metadata.file_type().is_socket() {
        return Err(Error::bind(
            path.display(),
            "the path exists and is not a socket; refusing to replace it",
        ));
    }
    match UnixStream::connect(path).await {
        Ok(_) => Err(Error::bind(
            path.display(),
            "a server is already listening there",
        )),
        Err(err) if err.kind() == io::ErrorKind::ConnectionRefused => {
            tracing::info!(path = %path.display(), "removing a stale socket file");
            std::fs::remove_file(path).map_err(|err| Error::bind(path.display(), err))
        }
        Err(err) => Err(Error::bind(path.display(), err)),
    }
}
