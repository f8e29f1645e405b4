//! The peer (node-to-node, "dnode") wire protocol: typed [`PeerMessage`]s and their framed binary
//! encoding on `bytes`.
//!
//! Nodes keep persistent TCP links to each other and multiplex many requests per link; a request and
//! its answer share a `request_id`. This module is the codec only: it never touches a socket, a clock
//! or a random source. Link state (handshake, pending requests, timeouts) lives with the callers.
//!
//! ## Why not C Dynomite's format
//! C Dynomite frames peer traffic as a text header (`   $2014$ <msg_id> <type> <flags> <version>
//! <same_dc> *<len> <data> <payload_len>\r\n`) followed by the raw datastore protocol, which the
//! receiver parses again. dynomite-rs nodes only talk to dynomite-rs nodes (a mixed cluster is not a
//! goal; clients keep full RESP compatibility), so the format is our own: binary, length-prefixed,
//! versioned, and checkable without parsing the datastore protocol. A C Dynomite node connecting to us
//! is refused at once with [`PeerProtocolError::BadMagic`].
//!
//! ## Frame layout (integers big-endian)
//! | offset | size | field | meaning |
//! |---|---|---|---|
//! | 0 | 3 | magic | `DYN` ([`PEER_MAGIC`]) |
//! | 3 | 1 | version | [`PEER_PROTOCOL_VERSION`]; any other value is refused |
//! | 4 | 1 | kind | message kind code (table below) |
//! | 5 | 4 | body length | u32 bytes after the header; header + body ≤ [`PEER_FRAME_BYTES_MAX`] |
//! | 9 | body length | body | the fields of the kind, in order, nothing after them |
//!
//! Body field types: `u8`, `u32`, `u64` fixed width; `bytes` = u32 length + raw bytes; `text` = u32
//! length (≤ [`PEER_TEXT_BYTES_MAX`]) + UTF-8; `list<T>` = u32 count + the items. Enum codes start at
//! 1 (0 is never valid), in the declaration order of their enum (`codes.rs` holds the tables):
//! consistency 1 `dc_one` .. 4 `dc_each_safe_quorum`; failure kind 1 `DatastoreUnavailable` .. 8
//! `InvalidRequest`; node state 1 `Normal`, 2 `Down`, 3 `Joining`, 4 `Leaving`, 5 `Standby`,
//! 6 `WritesOnly`, 7 `Resuming`. Protocol is the RESP version itself, 2 or 3.
//!
//! | kind | code | body |
//! |---|---|---|
//! | Hello | 1 | version u8, datacenter text, rack text, address text, tokens `list<u32>` (≤ [`PEER_TOKENS_MAX`]), nonce bytes, proof bytes (each ≤ [`PEER_AUTH_BYTES_MAX`]) |
//! | Request | 2 | request_id u64, protocol u8 (2 or 3), args `list<bytes>` (≤ [`PEER_ARGS_MAX`]) |
//! | ForwardToDatacenter | 3 | request_id u64, protocol u8, consistency u8, args `list<bytes>` |
//! | Response | 4 | request_id u64, reply bytes |
//! | Failure | 5 | request_id u64, failure kind u8, message text |
//! | Gossip | 6 | sender text, entries `list<(datacenter text, rack text, tokens list<u32>, address text, generation u64, heartbeat u64, state u8)>` (≤ [`PEER_GOSSIP_ENTRIES_MAX`]; tokens ≤ [`PEER_TOKENS_MAX`] each) |
//! | Ping | 7 | nonce u64 |
//! | Pong | 8 | nonce u64 |
//! | Challenge | 9 | nonce bytes (≤ [`PEER_AUTH_BYTES_MAX`]) |
//! | Welcome | 10 | proof bytes (≤ [`PEER_AUTH_BYTES_MAX`]) |
//!
//! A `Gossip` frame is a push-pull digest ([`crate::gossip`]): the link's opening side sends its view
//! of every member, and the accepting side merges it and answers with its own view on the same
//! connection. Version 3 added each entry's datacenter, rack and tokens (gossip identifies a node by
//! its place on the ring, so a replacement at a new address takes over).
//!
//! ## Handshake (version 2 and later)
//! The accepting side speaks first: `Challenge { nonce }` with fresh random bytes. The opening side
//! answers `Hello { version, node, nonce, proof }`, where `proof` is HMAC-SHA256 under the cluster
//! secret (`peer_secret`) over the challenge, its own nonce and its identity; the accepting side
//! reads nothing else before it has checked that proof, and closes the link on a wrong one. It then
//! answers `Welcome { proof }` (HMAC over both nonces), which the opening side checks before it sends
//! any request: both ends prove the secret, neither sends it, and a recorded handshake cannot be
//! replayed (the nonces differ every time). Without a secret the proofs are empty (the cluster
//! then relies on the network or on mutual TLS). The runtime computes and checks the proofs.
//!
//! ## Versioning
//! Each frame carries the version byte, so a node refuses a frame it cannot read before looking at its
//! body. `Hello` also carries the sender's version for the link state machine to log and compare.
//! A change to any body layout or code table is a new version.
//!
//! ## Decoding guarantees
//! [`decode`] is incremental (`Ok(None)` = need more bytes), never panics, refuses a bad header as soon
//! as its bytes arrive (an oversized length before reserving anything), never reserves room from the
//! length a header claims (the caller's buffer grows as bytes arrive), and hands out `args` and
//! `reply` as zero-copy `Bytes` slices of the received frame.
//!
//! ## Link liveness
//! [`Liveness`] is the sans-IO failure detector of one outgoing link: fed the times bytes arrive, it
//! says when to send a `Ping` and when the link counts as dead.

mod codes;
mod decode;
mod encode;
mod error;
mod liveness;
mod message;
mod reader;

pub use decode::decode;
pub use encode::{check_encodable, encode, encoded_len};
pub use error::{MalformedReason, PeerProtocolError};
pub use liveness::{Liveness, LivenessAction};
pub use message::{FailureKind, GossipEntry, MessageKind, NodeIdentity, NodeState, PeerMessage};

/// The peer protocol version this node speaks and writes in every frame header (2: the
/// Challenge/Hello/Welcome handshake with proofs of the cluster secret; 3: gossip entries carry the
/// node's datacenter, rack and tokens).
pub const PEER_PROTOCOL_VERSION: u8 = 3;
/// Longest nonce or proof in a handshake message (HMAC-SHA256 proofs are 32 bytes, nonces 32).
pub const PEER_AUTH_BYTES_MAX: usize = 64;
/// Largest frame, header included: one maximal bulk string (Redis's 512 MiB `proto-max-bulk-len`)
/// plus headroom for the command, the other arguments and the framing.
pub const PEER_FRAME_BYTES_MAX: usize = 512 * 1024 * 1024 + 64 * 1024;
/// The first three bytes of every frame.
pub const PEER_MAGIC: [u8; 3] = *b"DYN";
/// Size of the fixed header: magic, version, kind, body length.
pub const PEER_HEADER_BYTES: usize = 9;
/// Most arguments in one request: the same bound as a RESP request array.
pub const PEER_ARGS_MAX: usize = 1024 * 1024;
/// Most tokens one node may announce in `Hello`.
pub const PEER_TOKENS_MAX: usize = 256;
/// Most nodes one `Gossip` message may describe.
pub const PEER_GOSSIP_ENTRIES_MAX: usize = 4096;
/// Longest text field (names, addresses, failure messages).
pub const PEER_TEXT_BYTES_MAX: usize = 64 * 1024;
