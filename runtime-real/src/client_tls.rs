//! The client TLS listener (`client_tls_listen`, like Redis's `tls-port`): the same client protocol
//! as `listen`, `requirepass` and `client_connections` included, over TLS (rustls, ring provider).
//!
//! Each accepted connection gets its own task: it reads the first byte (within
//! [`TLS_ACCEPT_TIMEOUT_MS`]); a client that speaks plain text (anything but a TLS handshake record)
//! reads [`PLAIN_TEXT_REFUSAL`] in plain text and is closed, so `redis-cli` without `--tls` says why
//! instead of hanging. Otherwise the TLS handshake runs with the configuration current at that moment,
//! and the connection is served by [`crate::client::serve_stream`]. A failed handshake (untrusted or
//! missing client certificate, wrong protocol) closes the connection after rustls' alert and is
//! counted (`tls_handshake_failures` in `INFO`).
//!
//! **Reload.** [`ClientTlsAcceptor::reload`] re-reads the certificate, key and CA files named by the
//! configuration and swaps the rustls configuration; connections accepted afterwards use it, open ones
//! keep theirs. The binary calls it on SIGHUP. A reload that fails (unreadable file, key that does not
//! match) keeps the previous configuration and says why.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dynomite_core::config::ClientTls;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::node::NodeShared;
use crate::peer::stream::{Prefixed, TlsSetupError, TLS_HANDSHAKE_RECORD_BYTE};

/// Longest a new connection may take to send its first byte and complete the TLS handshake.
pub const TLS_ACCEPT_TIMEOUT_MS: u64 = 10_000;
/// What a plain-text client on the TLS port reads before its connection closes.
pub const PLAIN_TEXT_REFUSAL: &[u8] =
    b"-ERR this port (client_tls_listen) accepts TLS connections only: connect with TLS (redis-cli --tls), \
      or use the plain-text port (listen)\r\n";
/// Time allowed to write a refusal.
const REFUSAL_WRITE_TIMEOUT_MS: u64 = 1_000;
/// Reads of what a refused client still sends, at most (1 KiB each).
const REFUSAL_DRAIN_READS_MAX: usize = 64;
/// Pause after a failed `accept` (e.g. out of file descriptors) before trying again.
const ACCEPT_RETRY_DELAY_MS: u64 = 50;

/// The client TLS configuration in use, swappable by [`ClientTlsAcceptor::reload`].
pub struct ClientTlsAcceptor {
    /// The `client_tls_*` settings (the files are re-read from these paths on reload).
    settings: ClientTls,
    /// The acceptor new connections use.
    current: RwLock<TlsAcceptor>,
}

impl ClientTlsAcceptor {
    /// Reads the configured files and builds the acceptor.
    pub fn load(settings: ClientTls) -> Result<ClientTlsAcceptor, TlsSetupError> {
        let acceptor = build(&settings)?;
        Ok(ClientTlsAcceptor { settings, current: RwLock::new(acceptor) })
    }

    /// Re-reads the certificate, key and CA files; on success new connections use them, on failure
    /// nothing changes.
    pub fn reload(&self) -> Result<(), TlsSetupError> {
        let acceptor = build(&self.settings)?;
        *self.current.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = acceptor;
        Ok(())
    }

    /// The settings this acceptor was loaded from.
    pub fn settings(&self) -> &ClientTls {
        &self.settings
    }

    fn current(&self) -> TlsAcceptor {
        self.current.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }
}

fn build(settings: &ClientTls) -> Result<TlsAcceptor, TlsSetupError> {
    let config = crate::peer::tls::client_server_config(settings)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Accepts TLS clients on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: Arc<ClientTlsAcceptor>,
    node: Arc<NodeShared>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tokio::spawn(serve_connection(stream, peer, acceptor.current(), node.clone()));
                }
                Err(error) => {
                    tracing::warn!(%error, "client TLS accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
                }
            },
        }
    }
}

/// One TLS client: refusal of plain text, handshake, admission, then the client protocol.
async fn serve_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    acceptor: TlsAcceptor,
    node: Arc<NodeShared>,
) {
    let _ = stream.set_nodelay(true);
    let limit = Duration::from_millis(TLS_ACCEPT_TIMEOUT_MS);
    let first = match tokio::time::timeout(limit, stream.read_u8()).await {
        Ok(Ok(first)) => first,
        Ok(Err(error)) => return handshake_failed(&node, peer, &error.to_string()),
        Err(_) => return handshake_failed(&node, peer, "no first byte in time"),
    };
    if first != TLS_HANDSHAKE_RECORD_BYTE {
        handshake_failed(&node, peer, "plain-text client on the TLS port");
        let _ = write_refusal(&mut stream, PLAIN_TEXT_REFUSAL).await;
        return;
    }
    let mut tls_stream =
        match tokio::time::timeout(limit, acceptor.accept(Prefixed::new(first, stream))).await {
            Ok(Ok(tls_stream)) => tls_stream,
            Ok(Err(error)) => return handshake_failed(&node, peer, &error.to_string()),
            Err(_) => return handshake_failed(&node, peer, "handshake not completed in time"),
        };
    if !node.stats.admit_connection(node.config.client_connections) {
        let _ = write_refusal(&mut tls_stream, crate::node::MAX_CLIENTS_REACHED).await;
        return;
    }
    crate::client::serve_stream(tls_stream, Some(peer), node).await;
}

fn handshake_failed(node: &NodeShared, peer: SocketAddr, why: &str) {
    node.stats.count_tls_handshake_failure();
    tracing::debug!(%peer, why, "client TLS connection refused");
}

/// Writes `refusal`, shuts the sending side down and discards what the client still sends (so that
/// closing does not reset the connection before the client has read the refusal), all within
/// [`REFUSAL_WRITE_TIMEOUT_MS`].
async fn write_refusal<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    refusal: &[u8],
) -> std::io::Result<()> {
    let write = async {
        stream.write_all(refusal).await?;
        stream.flush().await?;
        stream.shutdown().await?;
        let mut discarded = [0u8; 1024];
        for _ in 0..REFUSAL_DRAIN_READS_MAX {
            if stream.read(&mut discarded).await? == 0 {
                break;
            }
        }
        Ok(())
    };
    tokio::time::timeout(Duration::from_millis(REFUSAL_WRITE_TIMEOUT_MS), write)
        .await
        .unwrap_or_else(|_| Err(std::io::Error::new(std::io::ErrorKind::TimedOut, "refusal write timed out")))
}
