//! [`PeerMessage`] → frame bytes, and the checks a sender runs before framing a message.
//!
//! Sizes are computed before anything is written, so an oversized message never produces a partial
//! or truncated frame (see [`encode`]).

use bytes::{BufMut, Bytes, BytesMut};

use super::codes::WireCode;
use super::error::{MalformedReason, PeerProtocolError};
use super::message::{GossipEntry, NodeIdentity, PeerMessage};
use super::{
    PEER_ARGS_MAX, PEER_AUTH_BYTES_MAX, PEER_FRAME_BYTES_MAX, PEER_GOSSIP_ENTRIES_MAX, PEER_HEADER_BYTES,
    PEER_MAGIC, PEER_PROTOCOL_VERSION, PEER_TEXT_BYTES_MAX, PEER_TOKENS_MAX,
};

/// Bytes of a `u32` length or count prefix.
const PREFIX_BYTES: u64 = 4;
/// Bytes of a request id, nonce, generation or heartbeat.
const U64_BYTES: u64 = 8;

/// Appends the frame of `message` to `out`.
///
/// Run [`check_encodable`] first on anything built from client input: a message that breaks a bound is
/// still written without panicking, and the receiver refuses it (closing the link, and with it every
/// other request in flight on it). A message whose frame would exceed [`PEER_FRAME_BYTES_MAX`] is
/// written as a header alone that declares its real length (saturated to `u32::MAX`), which every
/// receiver refuses with [`PeerProtocolError::FrameTooLarge`] before reading a body: never a
/// truncated frame that could be misread.
pub fn encode(message: &PeerMessage, out: &mut BytesMut) {
    let frame_bytes = encoded_len(message);
    let body_bytes = frame_bytes - PEER_HEADER_BYTES as u64;
    out.put_slice(&PEER_MAGIC);
    out.put_u8(PEER_PROTOCOL_VERSION);
    out.put_u8(message.kind().code());
    out.put_u32(u32::try_from(body_bytes).unwrap_or(u32::MAX));
    if frame_bytes > PEER_FRAME_BYTES_MAX as u64 {
        return;
    }
    // Fits in usize: bounded by PEER_FRAME_BYTES_MAX just above.
    out.reserve(body_bytes as usize);
    write_body(message, out);
}

/// The size of the frame [`encode`] writes for `message` (header included), when it fits the limit.
pub fn encoded_len(message: &PeerMessage) -> u64 {
    let body_bytes = match message {
        PeerMessage::Hello { node, nonce, proof, .. } => {
            (1 + identity_len(node)).saturating_add(bytes_len(nonce)).saturating_add(bytes_len(proof))
        }
        PeerMessage::Challenge { nonce: field } | PeerMessage::Welcome { proof: field } => bytes_len(field),
        PeerMessage::Request { args, .. } => U64_BYTES + 1 + args_len(args),
        PeerMessage::ForwardToDatacenter { args, .. } => U64_BYTES + 2 + args_len(args),
        PeerMessage::Response { reply, .. } => U64_BYTES + bytes_len(reply),
        PeerMessage::Failure { message, .. } => U64_BYTES + 1 + bytes_len(message.as_bytes()),
        PeerMessage::Gossip { sender, entries } => {
            let entries_bytes = entries.iter().map(entry_len).fold(0, u64::saturating_add);
            bytes_len(sender.as_bytes()).saturating_add(PREFIX_BYTES).saturating_add(entries_bytes)
        }
        PeerMessage::Ping { .. } | PeerMessage::Pong { .. } => U64_BYTES,
    };
    body_bytes.saturating_add(PEER_HEADER_BYTES as u64)
}

/// Checks every bound the decoder enforces (list counts, text lengths, frame size), so a sender can
/// answer the client with an error instead of sending a frame the peer would refuse.
pub fn check_encodable(message: &PeerMessage) -> Result<(), PeerProtocolError> {
    let kind = message.kind();
    let malformed = |field, reason| PeerProtocolError::Malformed { kind, field, reason };
    let too_many = |field, count: usize, limit| {
        let reason = MalformedReason::TooMany { count: count as u64, limit };
        if count > limit {
            Err(malformed(field, reason))
        } else {
            Ok(())
        }
    };
    let too_long = |field, text: &str| {
        let reason =
            MalformedReason::TooLong { length_bytes: text.len() as u64, limit_bytes: PEER_TEXT_BYTES_MAX };
        if text.len() > PEER_TEXT_BYTES_MAX {
            Err(malformed(field, reason))
        } else {
            Ok(())
        }
    };
    let auth_field = |field, bytes: &Bytes| {
        let reason =
            MalformedReason::TooLong { length_bytes: bytes.len() as u64, limit_bytes: PEER_AUTH_BYTES_MAX };
        if bytes.len() > PEER_AUTH_BYTES_MAX {
            Err(malformed(field, reason))
        } else {
            Ok(())
        }
    };
    match message {
        PeerMessage::Challenge { nonce } => auth_field("nonce", nonce)?,
        PeerMessage::Welcome { proof } => auth_field("proof", proof)?,
        PeerMessage::Hello { node, nonce, proof, .. } => {
            auth_field("nonce", nonce)?;
            auth_field("proof", proof)?;
            too_long("datacenter", &node.datacenter)?;
            too_long("rack", &node.rack)?;
            too_long("address", &node.address)?;
            too_many("tokens", node.tokens.len(), PEER_TOKENS_MAX)?;
        }
        PeerMessage::Request { args, .. } | PeerMessage::ForwardToDatacenter { args, .. } => {
            too_many("args", args.len(), PEER_ARGS_MAX)?;
        }
        PeerMessage::Failure { message, .. } => too_long("message", message)?,
        PeerMessage::Gossip { sender, entries } => {
            too_long("sender", sender)?;
            too_many("entries", entries.len(), PEER_GOSSIP_ENTRIES_MAX)?;
            for entry in entries {
                too_long("entry.datacenter", &entry.datacenter)?;
                too_long("entry.rack", &entry.rack)?;
                too_many("entry.tokens", entry.tokens.len(), PEER_TOKENS_MAX)?;
                too_long("entry.address", &entry.address)?;
            }
        }
        PeerMessage::Response { .. } | PeerMessage::Ping { .. } | PeerMessage::Pong { .. } => {}
    }
    let frame_bytes = encoded_len(message);
    if frame_bytes > PEER_FRAME_BYTES_MAX as u64 {
        return Err(PeerProtocolError::FrameTooLarge { frame_bytes, limit_bytes: PEER_FRAME_BYTES_MAX });
    }
    Ok(())
}

/// Size of a length-prefixed byte or text field.
fn bytes_len(field: &[u8]) -> u64 {
    PREFIX_BYTES.saturating_add(field.len() as u64)
}

/// Size of a counted list of length-prefixed arguments.
fn args_len(args: &[Bytes]) -> u64 {
    args.iter().map(|arg| bytes_len(arg)).fold(PREFIX_BYTES, u64::saturating_add)
}

/// Size of a [`NodeIdentity`] (its three texts and token list).
fn identity_len(node: &NodeIdentity) -> u64 {
    let texts = [&node.datacenter, &node.rack, &node.address].map(|text| bytes_len(text.as_bytes()));
    let tokens = PREFIX_BYTES.saturating_add((node.tokens.len() as u64).saturating_mul(4));
    texts.into_iter().fold(tokens, u64::saturating_add)
}

/// Size of one gossip entry: datacenter, rack, tokens, address, generation, heartbeat, state.
fn entry_len(entry: &GossipEntry) -> u64 {
    let texts = [&entry.datacenter, &entry.rack, &entry.address].map(|text| bytes_len(text.as_bytes()));
    let tokens = PREFIX_BYTES.saturating_add((entry.tokens.len() as u64).saturating_mul(4));
    texts.into_iter().fold(tokens, u64::saturating_add).saturating_add(2 * U64_BYTES + 1)
}

/// Writes the body fields of `message`, in the order of the layout table in the module doc.
fn write_body(message: &PeerMessage, out: &mut BytesMut) {
    match message {
        PeerMessage::Hello { version, node, nonce, proof } => {
            out.put_u8(*version);
            write_identity(node, out);
            write_bytes(nonce, out);
            write_bytes(proof, out);
        }
        PeerMessage::Challenge { nonce: field } | PeerMessage::Welcome { proof: field } => {
            write_bytes(field, out)
        }
        PeerMessage::Request { request_id, protocol, args } => {
            out.put_u64(*request_id);
            out.put_u8(protocol.code());
            write_args(args, out);
        }
        PeerMessage::ForwardToDatacenter { request_id, protocol, consistency, args } => {
            out.put_u64(*request_id);
            out.put_u8(protocol.code());
            out.put_u8(consistency.code());
            write_args(args, out);
        }
        PeerMessage::Response { request_id, reply } => {
            out.put_u64(*request_id);
            write_bytes(reply, out);
        }
        PeerMessage::Failure { request_id, kind, message } => {
            out.put_u64(*request_id);
            out.put_u8(kind.code());
            write_bytes(message.as_bytes(), out);
        }
        PeerMessage::Gossip { sender, entries } => write_gossip(sender, entries, out),
        PeerMessage::Ping { nonce } | PeerMessage::Pong { nonce } => out.put_u64(*nonce),
    }
}

/// Writes a `u32` count or length. Callers only frame messages under [`PEER_FRAME_BYTES_MAX`], so
/// every count and length fits; the saturation is never reached.
fn write_prefix(count: usize, out: &mut BytesMut) {
    out.put_u32(u32::try_from(count).unwrap_or(u32::MAX));
}

/// Writes a length-prefixed byte or text field.
fn write_bytes(field: &[u8], out: &mut BytesMut) {
    write_prefix(field.len(), out);
    out.put_slice(field);
}

/// Writes a counted list of arguments.
fn write_args(args: &[Bytes], out: &mut BytesMut) {
    write_prefix(args.len(), out);
    args.iter().for_each(|arg| write_bytes(arg, out));
}

/// Writes the fields of a [`NodeIdentity`].
fn write_identity(node: &NodeIdentity, out: &mut BytesMut) {
    write_bytes(node.datacenter.as_bytes(), out);
    write_bytes(node.rack.as_bytes(), out);
    write_bytes(node.address.as_bytes(), out);
    write_prefix(node.tokens.len(), out);
    node.tokens.iter().for_each(|token| out.put_u32(*token));
}

/// Writes the body of a `Gossip` message.
fn write_gossip(sender: &str, entries: &[GossipEntry], out: &mut BytesMut) {
    write_bytes(sender.as_bytes(), out);
    write_prefix(entries.len(), out);
    for entry in entries {
        write_bytes(entry.datacenter.as_bytes(), out);
        write_bytes(entry.rack.as_bytes(), out);
        write_prefix(entry.tokens.len(), out);
        entry.tokens.iter().for_each(|token| out.put_u32(*token));
        write_bytes(entry.address.as_bytes(), out);
        out.put_u64(entry.generation);
        out.put_u64(entry.heartbeat);
        out.put_u8(entry.state.code());
    }
}
