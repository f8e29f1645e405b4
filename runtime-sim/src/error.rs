//! Typed errors of the harness and its small RESP client.

use std::net::SocketAddr;

/// A request over simulated TCP did not produce a reply.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Connecting or writing failed (host killed, link clogged, nothing listening).
    #[error("{address}: {source}")]
    Io {
        /// Whom we talked to.
        address: SocketAddr,
        /// What the simulated socket said.
        source: std::io::Error,
    },
    /// No complete reply within the request timeout (simulated time).
    #[error("{address}: no reply within {timeout_ms} ms")]
    Timeout {
        /// Whom we talked to.
        address: SocketAddr,
        /// The bound that ran out.
        timeout_ms: u64,
    },
    /// The server closed the connection before replying.
    #[error("{address}: connection closed before the reply")]
    Closed {
        /// Whom we talked to.
        address: SocketAddr,
    },
    /// The reply was not valid RESP.
    #[error("{address}: malformed reply: {detail}")]
    Protocol {
        /// Whom we talked to.
        address: SocketAddr,
        /// The decoder's complaint.
        detail: String,
    },
}

/// The cluster did not reach the expected state in time.
#[derive(Debug, thiserror::Error)]
pub enum ReadyError {
    /// A live node has not bound its listeners yet.
    #[error("node {index} is not serving after {waited_ms} simulated ms")]
    NodeNotServing {
        /// The node's index.
        index: usize,
        /// How long we waited.
        waited_ms: u64,
    },
    /// A live node has no connection up to a live peer.
    #[error("node {index} has no connection to peer {peer} after {waited_ms} simulated ms")]
    PeerNotConnected {
        /// The node's index.
        index: usize,
        /// The peer's `dyn_listen` address.
        peer: String,
        /// How long we waited.
        waited_ms: u64,
    },
}

/// A replica's datastore could not be read directly.
#[derive(Debug, thiserror::Error)]
pub enum ReplicaReadError {
    /// Talking to the datastore host failed.
    #[error("datastore of node {index}: {source}")]
    Client {
        /// The node whose datastore we read.
        index: usize,
        /// Why.
        source: ClientError,
    },
    /// The datastore answered something other than a string or nil.
    #[error("datastore of node {index} answered GET with {reply}")]
    UnexpectedReply {
        /// The node whose datastore we read.
        index: usize,
        /// The reply, debug-printed.
        reply: String,
    },
}
