//! Errors of the peer frame codec. Any of them means the link can no longer be trusted: the driver
//! logs it and closes the connection (the other end reconnects and says `Hello` again).

use super::message::MessageKind;

/// A peer frame that cannot be accepted (received), or a message that cannot be framed (to send).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeerProtocolError {
    /// The frame does not start with `DYN`: the other end is not a dynomite-rs node (for example a
    /// C Dynomite node or a Redis client on the wrong port), or the stream lost its framing.
    #[error("peer frame starts with {found:?}, expected \"DYN\": not a dynomite-rs peer link")]
    BadMagic {
        /// The first bytes received (fewer than three if that is all that arrived).
        found: Vec<u8>,
    },
    /// The frame is in a protocol version this node does not speak.
    #[error("peer frame has protocol version {version}; this node speaks version {supported}")]
    UnsupportedVersion {
        /// The version byte of the frame.
        version: u8,
        /// The version this node speaks ([`super::PEER_PROTOCOL_VERSION`]).
        supported: u8,
    },
    /// The header's kind byte names no known message.
    #[error("peer frame has unknown message kind {code}")]
    UnknownKind {
        /// The kind byte of the frame.
        code: u8,
    },
    /// The frame (header included) would be larger than [`super::PEER_FRAME_BYTES_MAX`].
    #[error("peer frame of {frame_bytes} bytes exceeds the limit of {limit_bytes} bytes")]
    FrameTooLarge {
        /// The frame's size: header plus the body length it declares (or would declare).
        frame_bytes: u64,
        /// The limit, [`super::PEER_FRAME_BYTES_MAX`].
        limit_bytes: usize,
    },
    /// The frame's body does not follow the layout of its kind, or a field breaks its bound.
    #[error("malformed {kind} peer frame, field `{field}`: {reason}")]
    Malformed {
        /// The message kind the header announced.
        kind: MessageKind,
        /// The field being read (or checked) when the defect was found.
        field: &'static str,
        /// What is wrong with it.
        reason: MalformedReason,
    },
}

/// What is wrong with one field of a peer frame's body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MalformedReason {
    /// The body ends before the field does.
    #[error("the body ends {missing_bytes} bytes too early")]
    Truncated {
        /// How many more bytes the field needed than the body had left.
        missing_bytes: u64,
    },
    /// The body goes on after the message's last field.
    #[error("{extra_bytes} bytes follow the last field")]
    TrailingBytes {
        /// How many bytes were left over.
        extra_bytes: usize,
    },
    /// A one-byte enum code (protocol, consistency, state, failure kind) names no variant.
    #[error("unknown code {code}")]
    UnknownCode {
        /// The byte found.
        code: u8,
    },
    /// A text field is not valid UTF-8.
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
    /// A list holds more items than its bound.
    #[error("{count} items, at most {limit} allowed")]
    TooMany {
        /// The item count declared (or held).
        count: u64,
        /// The bound for this list.
        limit: usize,
    },
    /// A text field is longer than [`super::PEER_TEXT_BYTES_MAX`].
    #[error("{length_bytes} bytes long, at most {limit_bytes} allowed")]
    TooLong {
        /// The length declared (or held).
        length_bytes: u64,
        /// The bound for this field.
        limit_bytes: usize,
    },
}
