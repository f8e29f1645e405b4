//! What a replica gives back ([`ReplicaResult`], [`ReplicaFailure`]) and what the coordinator answers
//! ([`Verdict`]).
//!
//! The failure texts are the ones C Dynomite writes (`dn_strerror` with its `Peer:`/`Storage:`/
//! `Dynomite:` source prefix), except [`ReplicaFailure::Timeout`], whose text is ours: C Dynomite has
//! no dedicated text for a replica that never answered.

use bytes::Bytes;

/// The error line a quorum level answers when no quorum can be formed (C `DYNOMITE_NO_QUORUM_ACHIEVED`).
pub const NO_QUORUM_TEXT: &str = "ERR Dynomite: Failed to achieve Quorum";

/// What one contacted replica gave back for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplicaResult {
    /// The raw RESP reply bytes. A datastore error reply such as `-WRONGTYPE ...` is still a reply: it
    /// counts towards a quorum and is compared byte for byte like any other reply.
    Reply(Bytes),
    /// No reply could be had from this replica.
    Failed(ReplicaFailure),
}

/// Why no reply came back from a replica. `Display` is the full RESP error line without CRLF, e.g.
/// `-ERR Peer: Peer Node is down`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("-{}", self.error_text())]
pub enum ReplicaFailure {
    /// The failure detector marks the peer down (C `PEER_HOST_DOWN`).
    PeerDown,
    /// No connection to the peer is established (C `PEER_HOST_NOT_CONNECTED`).
    PeerNotConnected,
    /// The peer refused the connection (C `PEER_CONNECTION_REFUSE`).
    PeerRefused,
    /// No reply arrived before the request's deadline.
    Timeout,
    /// The local datastore could not be reached or failed; the text says how, e.g.
    /// `Datastore refused connection` (C `STORAGE_CONNECTION_REFUSE`).
    Datastore(String),
    /// A remote datacenter's coordinator could not reach its consistency level there; the text is the
    /// error it answered (e.g. `ERR Dynomite: Failed to achieve Quorum`).
    Datacenter(String),
}

/// The text of C's `STORAGE_CONNECTION_REFUSE`, for [`ReplicaFailure::Datastore`].
pub const DATASTORE_REFUSED_TEXT: &str = "Datastore refused connection";

impl ReplicaFailure {
    /// The error line without the leading `-` and without CRLF, e.g. `ERR Peer: Peer Node is down`.
    /// CR and LF inside a datastore text become spaces so the line stays one RESP simple error.
    pub fn error_text(&self) -> String {
        match self {
            ReplicaFailure::PeerDown => "ERR Peer: Peer Node is down".to_string(),
            ReplicaFailure::PeerNotConnected => "ERR Peer: Peer Node is not connected".to_string(),
            ReplicaFailure::PeerRefused => "ERR Peer: Peer Node refused connection".to_string(),
            ReplicaFailure::Timeout => "ERR Dynomite: Timed out waiting for the replica".to_string(),
            ReplicaFailure::Datacenter(text) => text.replace(['\r', '\n'], " "),
            ReplicaFailure::Datastore(text) => {
                format!("ERR Storage: {}", text.replace(['\r', '\n'], " "))
            }
        }
    }
}

/// The coordinator's answer to the client for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Send these raw reply bytes (one replica's reply, unchanged).
    Reply(Bytes),
    /// Send this error line; the payload excludes the leading `-` and the CRLF, e.g.
    /// `ERR Dynomite: Failed to achieve Quorum`.
    Error(Bytes),
}

impl Verdict {
    /// The bytes to write to the client: the reply itself, or `-<text>\r\n`.
    pub fn to_wire(&self) -> Bytes {
        match self {
            Verdict::Reply(bytes) => bytes.clone(),
            Verdict::Error(text) => {
                let mut line = Vec::with_capacity(text.len() + 3);
                line.push(b'-');
                line.extend_from_slice(text);
                line.extend_from_slice(b"\r\n");
                Bytes::from(line)
            }
        }
    }

    /// True for [`Verdict::Reply`].
    pub fn is_reply(&self) -> bool {
        matches!(self, Verdict::Reply(_))
    }

    pub(crate) fn no_quorum() -> Verdict {
        Verdict::Error(Bytes::from_static(NO_QUORUM_TEXT.as_bytes()))
    }

    pub(crate) fn failure(failure: &ReplicaFailure) -> Verdict {
        Verdict::Error(Bytes::from(failure.error_text()))
    }
}
