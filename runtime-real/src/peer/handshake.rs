//! The peer-link handshake (protocol version 2; messages and the exact proofs in
//! `dynomite_core::peer` and [`crate::auth`]):
//!
//! ```text
//! accepting side                         opening side
//!   Challenge { nonce_a }          ──▶
//!                                  ◀──   Hello { version, identity, nonce_o, proof_o }
//!   checks proof_o, else closes
//!   Welcome { proof_a }            ──▶
//!                                        checks proof_a, else closes; then requests
//! ```
//!
//! The accepting side reads nothing but the `Hello` before the proof checks out: a stranger's
//! request frames are never decoded, let alone executed. Both sides bound the handshake in time.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use dynomite_core::peer::{self, NodeIdentity, PeerMessage, PeerProtocolError, PEER_PROTOCOL_VERSION};
use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use crate::auth::{self, PeerSecret, Random, RandomUnavailable};

/// Bytes read per call while waiting for a handshake message.
const READ_CHUNK_BYTES: usize = 4 * 1024;
/// Time the accepting side gives the opening side to answer its challenge.
pub const HANDSHAKE_TIMEOUT_MS: u64 = 5_000;

/// Why a handshake failed (the link is closed; the opening side retries with backoff).
#[derive(Debug, Error)]
pub enum HandshakeError {
    /// The socket failed or closed.
    #[error("connection: {0}")]
    Io(#[from] std::io::Error),
    /// The other side sent bytes that are no peer frame.
    #[error("malformed frame: {0}")]
    Protocol(#[from] PeerProtocolError),
    /// A frame other than the one the handshake expects at this step.
    #[error("expected {expected}, got {got}")]
    Unexpected {
        /// What the step needs.
        expected: &'static str,
        /// What arrived.
        got: &'static str,
    },
    /// The other side speaks another protocol version.
    #[error("peer protocol version {0} (this node speaks {PEER_PROTOCOL_VERSION})")]
    Version(u8),
    /// The proof of the cluster secret is wrong: the other side is not a member (or its
    /// `peer_secret` differs).
    #[error("wrong proof of the cluster secret (peer_secret differs, or not a cluster member)")]
    WrongProof,
    /// No nonce could be drawn.
    #[error("{0}")]
    Random(#[from] RandomUnavailable),
    /// The other side did not finish in time.
    #[error("handshake not finished within {HANDSHAKE_TIMEOUT_MS} ms")]
    TimedOut,
}

/// Reads one whole frame (bytes after it stay in `buffer`).
async fn read_message<S: AsyncRead + Unpin>(
    stream: &mut S,
    buffer: &mut BytesMut,
) -> Result<PeerMessage, HandshakeError> {
    loop {
        if let Some(message) = peer::decode(buffer)? {
            return Ok(message);
        }
        buffer.reserve(READ_CHUNK_BYTES);
        if stream.read_buf(buffer).await? == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
}

async fn send<S: AsyncWrite + Unpin>(stream: &mut S, message: &PeerMessage) -> std::io::Result<()> {
    let mut frame = BytesMut::new();
    peer::encode(message, &mut frame);
    stream.write_all(&frame).await?;
    stream.flush().await
}

fn kind_name(message: &PeerMessage) -> &'static str {
    message.kind().name()
}

/// The opening side: answers the challenge with `identity` and its proof, and checks the accepting
/// side's. Returns the bytes read past the `Welcome` (normally none).
pub async fn open<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    secret: &PeerSecret,
    random: &dyn Random,
    identity: &NodeIdentity,
) -> Result<BytesMut, HandshakeError> {
    let mut buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
    let challenge = match read_message(stream, &mut buffer).await? {
        PeerMessage::Challenge { nonce } => nonce,
        other => return Err(HandshakeError::Unexpected { expected: "Challenge", got: kind_name(&other) }),
    };
    let nonce = auth::nonce(random)?;
    let proof = secret.hello_proof(&challenge, &nonce, identity);
    let hello = PeerMessage::Hello {
        version: PEER_PROTOCOL_VERSION,
        node: identity.clone(),
        nonce: nonce.clone(),
        proof,
    };
    send(stream, &hello).await?;
    match read_message(stream, &mut buffer).await? {
        PeerMessage::Welcome { proof } if secret.welcome_proof_is_valid(&challenge, &nonce, &proof) => {
            Ok(buffer)
        }
        PeerMessage::Welcome { .. } => Err(HandshakeError::WrongProof),
        other => Err(HandshakeError::Unexpected { expected: "Welcome", got: kind_name(&other) }),
    }
}

/// The accepting side: challenges, checks the `Hello`'s proof, answers with its own. Returns who the
/// peer says it is (proven when a secret is set) and the bytes read past the `Hello`.
pub async fn accept<S: AsyncRead + AsyncWrite + Unpin>(
    stream: &mut S,
    secret: &PeerSecret,
    random: &dyn Random,
) -> Result<(NodeIdentity, BytesMut), HandshakeError> {
    let exchange = async {
        let challenge: Bytes = auth::nonce(random)?;
        send(stream, &PeerMessage::Challenge { nonce: challenge.clone() }).await?;
        let mut buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
        let (version, identity, nonce, proof) = match read_message(stream, &mut buffer).await? {
            PeerMessage::Hello { version, node, nonce, proof } => (version, node, nonce, proof),
            other => return Err(HandshakeError::Unexpected { expected: "Hello", got: kind_name(&other) }),
        };
        if version != PEER_PROTOCOL_VERSION {
            return Err(HandshakeError::Version(version));
        }
        if !secret.hello_proof_is_valid(&challenge, &nonce, &identity, &proof) {
            return Err(HandshakeError::WrongProof);
        }
        send(stream, &PeerMessage::Welcome { proof: secret.welcome_proof(&challenge, &nonce) }).await?;
        Ok((identity, buffer))
    };
    match tokio::time::timeout(Duration::from_millis(HANDSHAKE_TIMEOUT_MS), exchange).await {
        Ok(result) => result,
        Err(_) => Err(HandshakeError::TimedOut),
    }
}
