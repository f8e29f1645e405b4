//! The one-byte wire codes of every enum a peer frame carries, in both directions.
//!
//! Codes are fixed forever within a protocol version: new variants take new codes, old codes are never
//! reused. Code `0` is never valid, so a zero-filled buffer cannot pass for a message.

use crate::config::Consistency;
use crate::resp::Protocol;

use super::message::{FailureKind, MessageKind, NodeState};

/// An enum with a stable one-byte wire code.
pub(crate) trait WireCode: Sized + Copy + 'static {
    /// Every variant (the decoder searches it, so a code has exactly one meaning).
    const VARIANTS: &'static [Self];

    /// The byte written on the wire for this variant.
    fn code(self) -> u8;

    /// The variant with this code, if any.
    fn from_code(code: u8) -> Option<Self> {
        Self::VARIANTS.iter().copied().find(|variant| variant.code() == code)
    }
}

impl WireCode for MessageKind {
    const VARIANTS: &'static [Self] = &MessageKind::ALL;

    fn code(self) -> u8 {
        match self {
            MessageKind::Hello => 1,
            MessageKind::Request => 2,
            MessageKind::ForwardToDatacenter => 3,
            MessageKind::Response => 4,
            MessageKind::Failure => 5,
            MessageKind::Gossip => 6,
            MessageKind::Ping => 7,
            MessageKind::Pong => 8,
            MessageKind::Challenge => 9,
            MessageKind::Welcome => 10,
        }
    }
}

impl WireCode for Protocol {
    const VARIANTS: &'static [Self] = &[Protocol::Resp2, Protocol::Resp3];

    /// The RESP version number itself (`2` or `3`), as `HELLO` spells it.
    fn code(self) -> u8 {
        match self {
            Protocol::Resp2 => 2,
            Protocol::Resp3 => 3,
        }
    }
}

impl WireCode for Consistency {
    const VARIANTS: &'static [Self] = &Consistency::ALL;

    fn code(self) -> u8 {
        match self {
            Consistency::DcOne => 1,
            Consistency::DcQuorum => 2,
            Consistency::DcSafeQuorum => 3,
            Consistency::DcEachSafeQuorum => 4,
        }
    }
}

impl WireCode for NodeState {
    const VARIANTS: &'static [Self] = &NodeState::ALL;

    fn code(self) -> u8 {
        match self {
            NodeState::Normal => 1,
            NodeState::Down => 2,
            NodeState::Joining => 3,
            NodeState::Leaving => 4,
            NodeState::Standby => 5,
            NodeState::WritesOnly => 6,
            NodeState::Resuming => 7,
        }
    }
}

impl WireCode for FailureKind {
    const VARIANTS: &'static [Self] = &FailureKind::ALL;

    fn code(self) -> u8 {
        match self {
            FailureKind::DatastoreUnavailable => 1,
            FailureKind::DatastoreTimeout => 2,
            FailureKind::PeerDown => 3,
            FailureKind::PeerNotConnected => 4,
            FailureKind::QuorumFailed => 5,
            FailureKind::StateRejected => 6,
            FailureKind::Overloaded => 7,
            FailureKind::InvalidRequest => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every code decodes back to its variant and no two variants share a code.
    fn round_trips<T: WireCode + PartialEq + std::fmt::Debug>() {
        for variant in T::VARIANTS {
            assert_ne!(variant.code(), 0, "{variant:?}");
            assert_eq!(T::from_code(variant.code()), Some(*variant));
        }
        assert_eq!(T::from_code(0), None);
    }

    #[test]
    fn codes_are_unique_and_never_zero() {
        round_trips::<MessageKind>();
        round_trips::<Protocol>();
        round_trips::<Consistency>();
        round_trips::<NodeState>();
        round_trips::<FailureKind>();
    }
}
