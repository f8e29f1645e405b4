//! The byte streams peer links run on: plain TCP, or TLS (rustls) when `secure_server_option` asks for
//! it on that link.
//!
//! The side that opens a link decides whether it is encrypted ([`connector_for`]); the peer listener
//! accepts both on the same port ([`Acceptor::Tls`]): it reads the first byte, `0x16` (a TLS handshake
//! record) starts a TLS handshake, anything else (the peer protocol starts with ASCII `D`) is a plain
//! link. The byte read is replayed to whoever reads the stream next ([`Prefixed`]), because madsim's
//! `TcpStream` cannot peek.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::{TlsAcceptor, TlsConnector};

pub use super::tls::{
    acceptor, connector_for, link_is_encrypted, placement_link_is_encrypted, TlsSetupError, PEER_SERVER_NAME,
    PEM_FILE_BYTES_MAX,
};

/// The first byte of a TLS connection: the content type of a handshake record.
pub const TLS_HANDSHAKE_RECORD_BYTE: u8 = 0x16;

/// Longest an accepted connection may take to send its first byte and finish the TLS handshake.
pub const ACCEPT_HANDSHAKE_TIMEOUT_MS: u64 = 10_000;

/// A bidirectional byte stream a peer link can use.
pub trait AsyncStream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> AsyncStream for T {}

/// A peer connection, plain or encrypted.
pub type PeerStream = Box<dyn AsyncStream>;

/// Wraps a freshly opened peer stream (see [`Connector::Wrapped`]).
pub type StreamWrapper = Arc<dyn Fn(PeerStream) -> PeerStream + Send + Sync>;

/// How to open a connection to one peer.
#[derive(Clone)]
pub enum Connector {
    /// Plain TCP.
    Plain,
    /// TLS over TCP, verifying the peer's certificate as `server_name` and presenting this node's.
    Tls {
        /// The rustls client configuration (trust roots and this node's certificate).
        connector: TlsConnector,
        /// The name the peer's certificate must carry ([`PEER_SERVER_NAME`]).
        server_name: ServerName<'static>,
    },
    /// `base`, then `wrap` applied to the stream it opened. The simulator's hook (per-link latency
    /// as a delaying stream, `NodeOptions::peer_stream_wrapper`), so simulated links run exactly the
    /// production link code over a slower stream; never built in production.
    Wrapped {
        /// Plain or TLS (never itself wrapped: see [`Connector::wrapped`]).
        base: Box<Connector>,
        /// Applied to every stream `base` opens.
        wrap: StreamWrapper,
    },
}

impl Connector {
    /// Connects to `address` (`host:port`), completing the TLS handshake when encrypted.
    pub async fn connect(&self, address: &str) -> std::io::Result<PeerStream> {
        let (base, wrap) = match self {
            Connector::Wrapped { base, wrap } => (&**base, Some(wrap)),
            other => (other, None),
        };
        let stream = TcpStream::connect(address).await?;
        stream.set_nodelay(true)?;
        let stream: PeerStream = match base {
            Connector::Tls { connector, server_name } => {
                Box::new(connector.connect(server_name.clone(), stream).await?)
            }
            Connector::Plain | Connector::Wrapped { .. } => Box::new(stream),
        };
        Ok(match wrap {
            Some(wrap) => wrap(stream),
            None => stream,
        })
    }

    /// This connector with `wrap` applied to every stream it opens (replacing an earlier wrapper).
    pub fn wrapped(self, wrap: StreamWrapper) -> Connector {
        let base = match self {
            Connector::Wrapped { base, .. } => base,
            other => Box::new(other),
        };
        Connector::Wrapped { base, wrap }
    }

    /// Whether links opened by this connector are encrypted.
    pub fn is_encrypted(&self) -> bool {
        match self {
            Connector::Wrapped { base, .. } => base.is_encrypted(),
            other => matches!(other, Connector::Tls { .. }),
        }
    }
}

/// How to accept a peer connection.
#[derive(Clone)]
pub enum Acceptor {
    /// Plain TCP only.
    Plain,
    /// TLS, and plain too when `plain_allowed`: the first byte tells which one the peer chose.
    Tls {
        /// The rustls server configuration (this node's certificate, client certificate verifier).
        acceptor: TlsAcceptor,
        /// Whether plain links are accepted too (false under `secure_server_option: all`).
        plain_allowed: bool,
    },
}

/// Which transport an accepted connection uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Plain TCP.
    Plain,
    /// TLS with a verified client certificate.
    Tls,
}

impl Acceptor {
    /// Completes the accept of `stream` (the TLS handshake when encrypted).
    pub async fn accept(&self, stream: TcpStream) -> std::io::Result<PeerStream> {
        Ok(self.accept_with_transport(stream).await?.0)
    }

    /// Completes the accept of `stream` and says whether the peer chose TLS, so that the caller can
    /// refuse a plain link that `secure_server_option` says must be encrypted (known after `Hello`).
    pub async fn accept_with_transport(&self, stream: TcpStream) -> std::io::Result<(PeerStream, Transport)> {
        let _ = stream.set_nodelay(true);
        match self {
            Acceptor::Plain => Ok((Box::new(stream), Transport::Plain)),
            Acceptor::Tls { acceptor, plain_allowed } => {
                let handshake = accept_either(acceptor, *plain_allowed, stream);
                match tokio::time::timeout(Duration::from_millis(ACCEPT_HANDSHAKE_TIMEOUT_MS), handshake)
                    .await
                {
                    Ok(result) => result,
                    Err(_) => {
                        Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "peer TLS handshake timed out"))
                    }
                }
            }
        }
    }
}

/// Reads the first byte and completes a TLS or a plain accept accordingly.
async fn accept_either(
    acceptor: &TlsAcceptor,
    plain_allowed: bool,
    mut stream: TcpStream,
) -> std::io::Result<(PeerStream, Transport)> {
    let first = stream.read_u8().await?;
    let stream = Prefixed::new(first, stream);
    if first == TLS_HANDSHAKE_RECORD_BYTE {
        return Ok((Box::new(acceptor.accept(stream).await?), Transport::Tls));
    }
    if !plain_allowed {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            "plain peer link refused: secure_server_option is all",
        ));
    }
    Ok((Box::new(stream), Transport::Plain))
}

/// A stream with one byte already read from it: reads return that byte first, then the stream's.
pub struct Prefixed<S> {
    /// The byte read ahead, until it has been handed out.
    first: Option<u8>,
    /// The stream the byte came from.
    inner: S,
}

impl<S> Prefixed<S> {
    /// `inner`, from which `first` has already been read.
    pub fn new(first: u8, inner: S) -> Prefixed<S> {
        Prefixed { first: Some(first), inner }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Prefixed<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if buffer.remaining() > 0 {
            if let Some(first) = self.first.take() {
                buffer.put_slice(&[first]);
                return Poll::Ready(Ok(()));
            }
        }
        Pin::new(&mut self.inner).poll_read(context, buffer)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Prefixed<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        context: &mut Context<'_>,
        bytes: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(context, bytes)
    }

    fn poll_flush(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(context)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(context)
    }
}
