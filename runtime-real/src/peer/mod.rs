//! Node-to-node traffic: outgoing links to each peer ([`link`], with hinted handoff's per-peer store in
//! [`hints`]), the peer listener that executes replicas' requests and coordinates for remote
//! datacenters ([`server`]), and the byte streams they run on, plain TCP or TLS ([`stream`], with
//! certificates and the per-link policy in [`tls`]). Every link starts with the authenticated
//! [`handshake`].

pub mod handshake;
pub mod hints;
pub mod link;
pub mod server;
pub mod stream;
pub mod tls;

use bytes::Bytes;
use dynomite_core::config::Consistency;
use dynomite_core::peer::PeerMessage;
use dynomite_core::resp::Protocol;

/// What a coordinator asks of a peer.
#[derive(Debug, Clone)]
pub enum PeerRequest {
    /// Execute on your local datastore (you hold a replica of the key).
    Execute {
        /// Protocol of the reply bytes wanted (the client's).
        protocol: Protocol,
        /// The command.
        args: Vec<Bytes>,
    },
    /// Coordinate in your datacenter: write to every rack there / read at `consistency`, then reply.
    Coordinate {
        /// Protocol of the reply bytes wanted.
        protocol: Protocol,
        /// Consistency to reach inside that datacenter.
        consistency: Consistency,
        /// The command.
        args: Vec<Bytes>,
    },
}

impl PeerRequest {
    /// The command's arguments.
    pub fn args(&self) -> &[Bytes] {
        match self {
            PeerRequest::Execute { args, .. } | PeerRequest::Coordinate { args, .. } => args,
        }
    }

    /// The wire message for this request under `request_id`.
    pub fn into_message(self, request_id: u64) -> PeerMessage {
        match self {
            PeerRequest::Execute { protocol, args } => PeerMessage::Request { request_id, protocol, args },
            PeerRequest::Coordinate { protocol, consistency, args } => {
                PeerMessage::ForwardToDatacenter { request_id, protocol, consistency, args }
            }
        }
    }
}
