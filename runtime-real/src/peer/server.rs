//! The peer listener (`dyn_listen`): executes requests from coordinators on this node's datastore and
//! coordinates inside this datacenter for forwards from remote datacenters.
//!
//! Each connection has a reader that decodes frames and queues reply handles, and a writer that
//! resolves them in order and sends `Response`/`Failure` frames tagged with the request id. A malformed
//! frame closes only that connection.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use dynomite_core::cluster::{ReplicaFailure, ReplicaResult};
use dynomite_core::peer::{self, FailureKind, PeerMessage, PEER_PROTOCOL_VERSION};
use tokio::io::{AsyncReadExt, AsyncWriteExt, WriteHalf};
use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::stream::{placement_link_is_encrypted, Acceptor, PeerStream, Transport};
use crate::coordinator::{coordinate_in_local_datacenter, datastore_result};
use crate::node::NodeShared;

/// Replies queued per peer connection before its reader pauses.
const PEER_PIPELINE_DEPTH_MAX: usize = 8192;
/// Bytes read per call.
const READ_CHUNK_BYTES: usize = 64 * 1024;
/// Bytes gathered before a write when several replies are ready.
const WRITE_BATCH_BYTES_MAX: usize = 256 * 1024;
/// Pause after a failed accept.
const ACCEPT_RETRY_DELAY_MS: u64 = 50;

type ResultFuture = Pin<Box<dyn Future<Output = ReplicaResult> + Send>>;

/// One queued answer: its request id and the result on its way.
enum Outgoing {
    /// A local datastore result: resolved in queue order (the datastore answers in order anyway).
    Result(u64, ResultFuture),
    /// A result computed elsewhere (a datacenter forward, which waits on other nodes and must not hold
    /// back the replies queued after it).
    Ready(u64, ReplicaResult),
    Pong(u64),
}

/// Accepts peer connections until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: Acceptor,
    node: Arc<NodeShared>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            _ = &mut shutdown => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer_address)) => {
                    let node = node.clone();
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match acceptor.accept_with_transport(stream).await {
                            Ok((stream, transport)) => serve_connection(stream, transport, node).await,
                            Err(error) => tracing::warn!(%peer_address, %error, "peer handshake failed"),
                        }
                    });
                }
                Err(error) => {
                    tracing::warn!(%error, "peer accept failed");
                    tokio::time::sleep(Duration::from_millis(ACCEPT_RETRY_DELAY_MS)).await;
                }
            },
        }
    }
}

async fn serve_connection(stream: PeerStream, transport: Transport, node: Arc<NodeShared>) {
    let (mut read_half, write_half) = tokio::io::split(stream);
    let (queue, outgoing) = mpsc::channel(PEER_PIPELINE_DEPTH_MAX);
    let writer = tokio::spawn(write_results(write_half, outgoing));
    let mut buffer = BytesMut::with_capacity(READ_CHUNK_BYTES);
    let mut peer_name = String::from("unidentified peer");
    'connection: loop {
        loop {
            let message = match peer::decode(&mut buffer) {
                Ok(Some(message)) => message,
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(peer = %peer_name, %error, "malformed frame from peer; closing its connection");
                    break 'connection;
                }
            };
            let item = match message {
                PeerMessage::Hello { version, node: identity } => {
                    if version != PEER_PROTOCOL_VERSION {
                        tracing::warn!(peer = %identity.address, version, "peer speaks another protocol version");
                        break 'connection;
                    }
                    peer_name = format!("{} ({}/{})", identity.address, identity.datacenter, identity.rack);
                    let must_encrypt = placement_link_is_encrypted(
                        node.config.secure_server_option,
                        &node.config.datacenter,
                        &node.config.rack,
                        &identity.datacenter,
                        &identity.rack,
                    );
                    if must_encrypt && transport == Transport::Plain {
                        tracing::warn!(peer = %peer_name, "plain link where secure_server_option needs TLS; closing");
                        break 'connection;
                    }
                    continue;
                }
                PeerMessage::Request { request_id, protocol, args } => {
                    let reply = node.datastore.call(&args, protocol);
                    let future: ResultFuture = Box::pin(datastore_result(reply, protocol, node.timeout_ms()));
                    Outgoing::Result(request_id, future)
                }
                PeerMessage::ForwardToDatacenter { request_id, protocol, consistency, args } => {
                    let future = coordinate_in_local_datacenter(node.clone(), args, protocol, consistency);
                    let queue = queue.clone();
                    tokio::spawn(async move {
                        let result = future.await;
                        let _ = queue.send(Outgoing::Ready(request_id, result)).await;
                    });
                    continue;
                }
                PeerMessage::Ping { nonce } => Outgoing::Pong(nonce),
                PeerMessage::Response { .. } | PeerMessage::Failure { .. } | PeerMessage::Pong { .. } => {
                    continue
                }
                PeerMessage::Gossip { .. } => continue, // membership arrives with the gossip work
            };
            if queue.send(item).await.is_err() {
                break 'connection;
            }
        }
        buffer.reserve(READ_CHUNK_BYTES);
        match read_half.read_buf(&mut buffer).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    drop(queue);
    let _ = writer.await;
}

async fn write_results(mut socket: WriteHalf<PeerStream>, mut outgoing: mpsc::Receiver<Outgoing>) {
    let mut out = BytesMut::with_capacity(16 * 1024);
    while let Some(first) = outgoing.recv().await {
        let mut next = Some(first);
        while let Some(item) = next.take() {
            let message = match item {
                Outgoing::Pong(nonce) => PeerMessage::Pong { nonce },
                Outgoing::Ready(request_id, result) => result_message(request_id, result),
                Outgoing::Result(request_id, future) => {
                    if !out.is_empty()
                        && (socket.write_all(&out).await.is_err() || socket.flush().await.is_err())
                    {
                        return;
                    }
                    out.clear();
                    result_message(request_id, future.await)
                }
            };
            peer::encode(&message, &mut out);
            if out.len() >= WRITE_BATCH_BYTES_MAX {
                break;
            }
            next = outgoing.try_recv().ok();
        }
        if socket.write_all(&out).await.is_err() || socket.flush().await.is_err() {
            return;
        }
        out.clear();
    }
}

fn result_message(request_id: u64, result: ReplicaResult) -> PeerMessage {
    match result {
        ReplicaResult::Reply(reply) => PeerMessage::Response { request_id, reply },
        ReplicaResult::Failed(failure) => {
            let message = match &failure {
                ReplicaFailure::Datastore(text) | ReplicaFailure::Datacenter(text) => text.clone(),
                other => other.error_text(),
            };
            PeerMessage::Failure { request_id, kind: failure_kind(&failure), message }
        }
    }
}

fn failure_kind(failure: &ReplicaFailure) -> FailureKind {
    match failure {
        ReplicaFailure::Datastore(_) => FailureKind::DatastoreUnavailable,
        ReplicaFailure::Timeout => FailureKind::DatastoreTimeout,
        ReplicaFailure::PeerDown => FailureKind::PeerDown,
        ReplicaFailure::PeerNotConnected | ReplicaFailure::PeerRefused => FailureKind::PeerNotConnected,
        ReplicaFailure::Datacenter(_) => FailureKind::QuorumFailed,
    }
}
