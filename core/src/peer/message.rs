//! The typed messages two nodes exchange over a peer link, independent of their byte layout.
//!
//! Everything here is plain data; [`super::encode`] and [`super::decode`] own the wire format.

use bytes::Bytes;

use crate::config::Consistency;
use crate::resp::Protocol;

/// Who a node is: sent in [`PeerMessage::Hello`] so the other end can place it on the ring.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeIdentity {
    /// The datacenter (region) the node belongs to, as in its `datacenter` config key.
    pub datacenter: String,
    /// The rack (availability zone) inside the datacenter, as in its `rack` config key.
    pub rack: String,
    /// The node's `dyn_listen` address (`host:port`): how other nodes name and reach it.
    pub address: String,
    /// The ring tokens the node owns in its rack, as in its `tokens` config key.
    pub tokens: Vec<u32>,
}

/// A node's lifecycle state as gossip reports it (Dynomite's node states plus the failure detector's
/// `Down`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum NodeState {
    /// Serving reads and writes.
    Normal,
    /// Believed dead by the failure detector (no heartbeat within its timeout).
    Down,
    /// Starting up and taking over tokens; not yet serving.
    Joining,
    /// Shutting down and handing over its tokens.
    Leaving,
    /// Rejects every request (admin `/state/standby`).
    Standby,
    /// Accepts writes only, rejects reads (admin `/state/writes_only`).
    WritesOnly,
    /// Catching up after standby; accepts writes only.
    Resuming,
}

impl NodeState {
    /// Every state, in wire-code order.
    pub const ALL: [NodeState; 7] = [
        NodeState::Normal,
        NodeState::Down,
        NodeState::Joining,
        NodeState::Leaving,
        NodeState::Standby,
        NodeState::WritesOnly,
        NodeState::Resuming,
    ];
}

/// One node as the gossip sender sees it.
///
/// A node is identified by its place on the ring (datacenter, rack, tokens), not by its address: a
/// replacement node with the same place and a new address takes over (see [`crate::gossip`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GossipEntry {
    /// The node's datacenter.
    pub datacenter: String,
    /// The node's rack.
    pub rack: String,
    /// The node's ring tokens (≤ [`PEER_TOKENS_MAX`](super::PEER_TOKENS_MAX)).
    pub tokens: Vec<u32>,
    /// The node's `dyn_listen` address (`host:port`): where it is reached now.
    pub address: String,
    /// Bumped each time the node restarts, so a restarted node's heartbeats win over stale ones.
    pub generation: u64,
    /// Bumped by the node on every gossip round within one generation; higher means fresher.
    pub heartbeat: u64,
    /// The state the node announced (or `Down` if the sender's failure detector convicted it).
    pub state: NodeState,
}

/// Why a replica or datacenter coordinator could not answer a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    /// The replica's datastore refused the connection or is down.
    DatastoreUnavailable,
    /// The replica's datastore did not answer within the timeout.
    DatastoreTimeout,
    /// A node the coordinator had to reach is marked down.
    PeerDown,
    /// A node the coordinator had to reach has no open link.
    PeerNotConnected,
    /// The coordinator could not gather the requested consistency.
    QuorumFailed,
    /// The node's state (standby, writes-only, ...) does not allow this request.
    StateRejected,
    /// The node's table of pending requests is full.
    Overloaded,
    /// The request cannot be executed as sent (for example no arguments).
    InvalidRequest,
}

impl FailureKind {
    /// Every kind, in wire-code order.
    pub const ALL: [FailureKind; 8] = [
        FailureKind::DatastoreUnavailable,
        FailureKind::DatastoreTimeout,
        FailureKind::PeerDown,
        FailureKind::PeerNotConnected,
        FailureKind::QuorumFailed,
        FailureKind::StateRejected,
        FailureKind::Overloaded,
        FailureKind::InvalidRequest,
    ];
}

/// Which of the [`PeerMessage`] variants a frame carries: the `kind` byte of the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MessageKind {
    /// [`PeerMessage::Hello`].
    Hello,
    /// [`PeerMessage::Request`].
    Request,
    /// [`PeerMessage::ForwardToDatacenter`].
    ForwardToDatacenter,
    /// [`PeerMessage::Response`].
    Response,
    /// [`PeerMessage::Failure`].
    Failure,
    /// [`PeerMessage::Gossip`].
    Gossip,
    /// [`PeerMessage::Ping`].
    Ping,
    /// [`PeerMessage::Pong`].
    Pong,
    /// [`PeerMessage::Challenge`].
    Challenge,
    /// [`PeerMessage::Welcome`].
    Welcome,
}

impl MessageKind {
    /// Every kind, in wire-code order.
    pub const ALL: [MessageKind; 10] = [
        MessageKind::Hello,
        MessageKind::Request,
        MessageKind::ForwardToDatacenter,
        MessageKind::Response,
        MessageKind::Failure,
        MessageKind::Gossip,
        MessageKind::Ping,
        MessageKind::Pong,
        MessageKind::Challenge,
        MessageKind::Welcome,
    ];

    /// The variant name, for error messages and logs.
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Hello => "Hello",
            MessageKind::Request => "Request",
            MessageKind::ForwardToDatacenter => "ForwardToDatacenter",
            MessageKind::Response => "Response",
            MessageKind::Failure => "Failure",
            MessageKind::Gossip => "Gossip",
            MessageKind::Ping => "Ping",
            MessageKind::Pong => "Pong",
            MessageKind::Challenge => "Challenge",
            MessageKind::Welcome => "Welcome",
        }
    }
}

impl std::fmt::Display for MessageKind {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.name())
    }
}

/// One message on a peer link. Requests and their answers are matched by `request_id`, chosen by the
/// sender of the request and unique among its pending requests on that link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerMessage {
    /// The opening side's answer to [`PeerMessage::Challenge`]: who is talking, which protocol
    /// version, and its proof of the cluster secret.
    Hello {
        /// The highest peer protocol version the sender speaks.
        version: u8,
        /// The sender's place in the cluster.
        node: NodeIdentity,
        /// The sender's own nonce, which the [`PeerMessage::Welcome`] proof covers (≤
        /// [`PEER_AUTH_BYTES_MAX`](super::PEER_AUTH_BYTES_MAX) bytes).
        nonce: Bytes,
        /// HMAC-SHA256 under the cluster secret over the challenge, this nonce and the identity; empty
        /// when the cluster has no secret (≤ [`PEER_AUTH_BYTES_MAX`](super::PEER_AUTH_BYTES_MAX)).
        proof: Bytes,
    },
    /// First message on a link, sent by the accepting side before it reads anything: a fresh nonce
    /// the opening side must prove the cluster secret over.
    Challenge {
        /// Random bytes (≤ [`PEER_AUTH_BYTES_MAX`](super::PEER_AUTH_BYTES_MAX)).
        nonce: Bytes,
    },
    /// The accepting side's answer to a valid [`PeerMessage::Hello`]: its own proof of the secret.
    Welcome {
        /// HMAC-SHA256 under the cluster secret over both nonces; empty without a secret.
        proof: Bytes,
    },
    /// Execute on your local datastore and reply (one replica of a key).
    Request {
        /// Matches the [`PeerMessage::Response`] or [`PeerMessage::Failure`] to this request.
        request_id: u64,
        /// The protocol the reply must be written in (the client's `HELLO` version).
        protocol: Protocol,
        /// The command and its arguments, as the client sent them.
        args: Vec<Bytes>,
    },
    /// Coordinate in your datacenter: send to the owner in each of your racks, gather `consistency`,
    /// reply.
    ForwardToDatacenter {
        /// Matches the [`PeerMessage::Response`] or [`PeerMessage::Failure`] to this request.
        request_id: u64,
        /// The protocol the reply must be written in (the client's `HELLO` version).
        protocol: Protocol,
        /// How many racks of the receiving datacenter must answer.
        consistency: Consistency,
        /// The command and its arguments, as the client sent them.
        args: Vec<Bytes>,
    },
    /// The reply to a Request/ForwardToDatacenter: raw RESP bytes in the request's protocol.
    Response {
        /// The `request_id` of the request this answers.
        request_id: u64,
        /// One complete RESP reply, forwarded to the client without re-parsing when no merge is needed.
        reply: Bytes,
    },
    /// The request could not be executed (typed reason + text), e.g. datastore down on the replica.
    Failure {
        /// The `request_id` of the request this answers.
        request_id: u64,
        /// What went wrong, for the coordinator's decision (retry, count as a failed replica, ...).
        kind: FailureKind,
        /// Human-readable detail for logs and client error texts.
        message: String,
    },
    /// Gossip: the sender's view of node states.
    Gossip {
        /// The sender's `dyn_listen` address.
        sender: String,
        /// One entry per node the sender knows, itself included.
        entries: Vec<GossipEntry>,
    },
    /// Liveness probe; the receiver answers [`PeerMessage::Pong`] with the same nonce.
    Ping {
        /// Chosen by the prober (from its seeded RNG) to match the answer.
        nonce: u64,
    },
    /// Answer to a [`PeerMessage::Ping`].
    Pong {
        /// The nonce of the probe this answers.
        nonce: u64,
    },
}

impl PeerMessage {
    /// Which variant this is: the header's `kind` byte.
    pub fn kind(&self) -> MessageKind {
        match self {
            PeerMessage::Hello { .. } => MessageKind::Hello,
            PeerMessage::Request { .. } => MessageKind::Request,
            PeerMessage::ForwardToDatacenter { .. } => MessageKind::ForwardToDatacenter,
            PeerMessage::Response { .. } => MessageKind::Response,
            PeerMessage::Failure { .. } => MessageKind::Failure,
            PeerMessage::Gossip { .. } => MessageKind::Gossip,
            PeerMessage::Ping { .. } => MessageKind::Ping,
            PeerMessage::Pong { .. } => MessageKind::Pong,
            PeerMessage::Challenge { .. } => MessageKind::Challenge,
            PeerMessage::Welcome { .. } => MessageKind::Welcome,
        }
    }
}
