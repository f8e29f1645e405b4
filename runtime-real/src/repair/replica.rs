//! Talking to one replica: the local datastore directly, a peer through its link as a
//! `PeerRequest::Execute` (the peer runs it on its own datastore). Replies come back as RESP2 frames.

use std::time::Duration;

use bytes::Bytes;
use dynomite_core::cluster::ReplicaResult;
use dynomite_core::request::order_shard;
use dynomite_core::resp::{parse_frame, Frame, Protocol};
use dynomite_core::ring::NodeId;

use crate::coordinator::datastore_result;
use crate::node::NodeShared;
use crate::peer::PeerRequest;

/// Why a replica gave no usable reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplicaError {
    /// The replica could not be reached or did not answer in time (down, not connected, timeout,
    /// datastore unavailable).
    #[error("replica {node} unreachable: {reason}")]
    Unreachable {
        /// The replica.
        node: u32,
        /// What the link or datastore said.
        reason: String,
    },
    /// The reply was not valid RESP.
    #[error("replica {node} sent an unreadable reply")]
    Unreadable {
        /// The replica.
        node: u32,
    },
}

/// Runs `args` on replica `id` (this node's datastore when `id` is the local node), on the ordered
/// connection of `token` (the key's requests share it), within `timeout_ms`.
pub async fn call(
    node: &NodeShared,
    id: NodeId,
    args: Vec<Bytes>,
    token: u32,
    timeout_ms: u64,
) -> Result<Frame, ReplicaError> {
    let shard = order_shard(token);
    let result = if id == node.topology.local().id {
        datastore_result(node.datastore.call(&args, Protocol::Resp2, shard), Protocol::Resp2, timeout_ms)
            .await
    } else {
        match node.peer(id) {
            Some(link) => {
                let request = PeerRequest::Execute { protocol: Protocol::Resp2, args };
                link.call(request, shard, timeout_ms).result(link).await
            }
            None => return Err(ReplicaError::Unreachable { node: id.0, reason: "no link".to_string() }),
        }
    };
    match result {
        ReplicaResult::Reply(bytes) => {
            parse_frame(&bytes).map_err(|_| ReplicaError::Unreadable { node: id.0 })
        }
        ReplicaResult::Failed(failure) => {
            Err(ReplicaError::Unreachable { node: id.0, reason: failure.error_text() })
        }
    }
}

/// [`call`] on the local datastore, with a plain timeout (no key: shard of `token`).
pub async fn local(node: &NodeShared, args: Vec<Bytes>, token: u32) -> Result<Frame, ReplicaError> {
    let id = node.topology.local().id;
    let timeout_ms = node.timeout_ms();
    tokio::time::timeout(
        Duration::from_millis(timeout_ms.saturating_add(1)),
        call(node, id, args, token, timeout_ms),
    )
    .await
    .unwrap_or_else(|_| Err(ReplicaError::Unreachable { node: id.0, reason: "timeout".to_string() }))
}
