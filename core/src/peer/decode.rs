//! Frame bytes → [`PeerMessage`], incrementally: check the header as soon as its bytes arrive, wait
//! for the whole body, then parse it with a bounds-checked [`BodyReader`].

use bytes::{Buf, Bytes, BytesMut};

use super::codes::WireCode;
use super::error::{MalformedReason, PeerProtocolError};
use super::message::{GossipEntry, MessageKind, NodeIdentity, PeerMessage};
use super::reader::BodyReader;
use super::{
    PEER_ARGS_MAX, PEER_AUTH_BYTES_MAX, PEER_FRAME_BYTES_MAX, PEER_GOSSIP_ENTRIES_MAX, PEER_HEADER_BYTES,
    PEER_MAGIC, PEER_PROTOCOL_VERSION, PEER_TOKENS_MAX,
};

/// Smallest encoded argument or text: its length prefix.
const PREFIXED_BYTES_MIN: u64 = 4;
/// Smallest encoded token.
const TOKEN_BYTES: u64 = 4;
/// Smallest encoded gossip entry: empty datacenter, rack, token list and address, generation,
/// heartbeat, state.
const GOSSIP_ENTRY_BYTES_MIN: u64 = 4 * 4 + 8 + 8 + 1;

/// Takes one message off the front of `buffer`, the bytes read from a peer link so far.
///
/// Returns `Ok(None)` when the frame is not complete yet (nothing is consumed and nothing is
/// reserved: the buffer grows only as bytes arrive, so a header that claims a huge body costs nothing
/// until the peer actually sends it). A bad header (magic, version, kind, length) is an error as soon
/// as its bytes arrive, with nothing consumed; a bad body is an error with its frame consumed. Either
/// way the caller should close the link. Never panics and never allocates; `args` and `reply` are
/// zero-copy slices.
pub fn decode(buffer: &mut BytesMut) -> Result<Option<PeerMessage>, PeerProtocolError> {
    let Some((kind, frame_bytes)) = check_header(buffer)? else {
        return Ok(None);
    };
    if buffer.len() < frame_bytes {
        return Ok(None);
    }
    let mut body = buffer.split_to(frame_bytes).freeze();
    body.advance(PEER_HEADER_BYTES);
    decode_body(kind, body).map(Some)
}

/// Checks the header bytes received so far. Returns the kind and the whole frame's size once the
/// header is complete, `None` before.
fn check_header(received: &[u8]) -> Result<Option<(MessageKind, usize)>, PeerProtocolError> {
    let magic_seen = received.len().min(PEER_MAGIC.len());
    if received[..magic_seen] != PEER_MAGIC[..magic_seen] {
        return Err(PeerProtocolError::BadMagic { found: received[..magic_seen].to_vec() });
    }
    let Some(&version) = received.get(3) else { return Ok(None) };
    if version != PEER_PROTOCOL_VERSION {
        return Err(PeerProtocolError::UnsupportedVersion { version, supported: PEER_PROTOCOL_VERSION });
    }
    let Some(&code) = received.get(4) else { return Ok(None) };
    let kind = MessageKind::from_code(code).ok_or(PeerProtocolError::UnknownKind { code })?;
    let Some(length) = received.get(5..PEER_HEADER_BYTES) else { return Ok(None) };
    let body_bytes = length.iter().fold(0u64, |total, byte| total << 8 | u64::from(*byte));
    let frame_bytes = body_bytes + PEER_HEADER_BYTES as u64;
    if frame_bytes > PEER_FRAME_BYTES_MAX as u64 {
        return Err(PeerProtocolError::FrameTooLarge { frame_bytes, limit_bytes: PEER_FRAME_BYTES_MAX });
    }
    // Fits in usize: at most PEER_FRAME_BYTES_MAX, checked just above.
    Ok(Some((kind, frame_bytes as usize)))
}

/// Parses a complete body of a frame of `kind`; the body must hold exactly the kind's fields.
fn decode_body(kind: MessageKind, body: Bytes) -> Result<PeerMessage, PeerProtocolError> {
    let mut reader = BodyReader::new(kind, body);
    let message = match kind {
        MessageKind::Hello => PeerMessage::Hello {
            version: reader.u8("version")?,
            node: identity(&mut reader)?,
            nonce: auth_field(&mut reader, "nonce")?,
            proof: auth_field(&mut reader, "proof")?,
        },
        MessageKind::Challenge => PeerMessage::Challenge { nonce: auth_field(&mut reader, "nonce")? },
        MessageKind::Welcome => PeerMessage::Welcome { proof: auth_field(&mut reader, "proof")? },
        MessageKind::Request => PeerMessage::Request {
            request_id: reader.u64("request_id")?,
            protocol: reader.code("protocol")?,
            args: args(&mut reader)?,
        },
        MessageKind::ForwardToDatacenter => PeerMessage::ForwardToDatacenter {
            request_id: reader.u64("request_id")?,
            protocol: reader.code("protocol")?,
            consistency: reader.code("consistency")?,
            args: args(&mut reader)?,
        },
        MessageKind::Response => {
            PeerMessage::Response { request_id: reader.u64("request_id")?, reply: reader.bytes("reply")? }
        }
        MessageKind::Failure => PeerMessage::Failure {
            request_id: reader.u64("request_id")?,
            kind: reader.code("kind")?,
            message: reader.text("message")?,
        },
        MessageKind::Gossip => gossip(&mut reader)?,
        MessageKind::Ping => PeerMessage::Ping { nonce: reader.u64("nonce")? },
        MessageKind::Pong => PeerMessage::Pong { nonce: reader.u64("nonce")? },
    };
    reader.finish()?;
    Ok(message)
}

/// A nonce or proof: bytes of at most [`PEER_AUTH_BYTES_MAX`].
fn auth_field(reader: &mut BodyReader, field: &'static str) -> Result<Bytes, PeerProtocolError> {
    let bytes = reader.bytes(field)?;
    if bytes.len() > PEER_AUTH_BYTES_MAX {
        let reason =
            MalformedReason::TooLong { length_bytes: bytes.len() as u64, limit_bytes: PEER_AUTH_BYTES_MAX };
        return Err(reader.malformed(field, reason));
    }
    Ok(bytes)
}

/// The fields of a [`NodeIdentity`].
fn identity(reader: &mut BodyReader) -> Result<NodeIdentity, PeerProtocolError> {
    let datacenter = reader.text("datacenter")?;
    let rack = reader.text("rack")?;
    let address = reader.text("address")?;
    let count = reader.count("tokens", PEER_TOKENS_MAX, TOKEN_BYTES)?;
    let tokens = (0..count).map(|_| reader.u32("token")).collect::<Result<_, _>>()?;
    Ok(NodeIdentity { datacenter, rack, address, tokens })
}

/// A counted list of arguments, each a slice of the frame.
fn args(reader: &mut BodyReader) -> Result<Vec<Bytes>, PeerProtocolError> {
    let count = reader.count("args", PEER_ARGS_MAX, PREFIXED_BYTES_MIN)?;
    let mut args = Vec::with_capacity(count);
    for _ in 0..count {
        args.push(reader.bytes("arg")?);
    }
    Ok(args)
}

/// The body of a `Gossip` message.
fn gossip(reader: &mut BodyReader) -> Result<PeerMessage, PeerProtocolError> {
    let sender = reader.text("sender")?;
    let count = reader.count("entries", PEER_GOSSIP_ENTRIES_MAX, GOSSIP_ENTRY_BYTES_MIN)?;
    let mut entries = Vec::with_capacity(count);
    for _ in 0..count {
        let datacenter = reader.text("entry.datacenter")?;
        let rack = reader.text("entry.rack")?;
        let tokens_count = reader.count("entry.tokens", PEER_TOKENS_MAX, TOKEN_BYTES)?;
        let tokens = (0..tokens_count).map(|_| reader.u32("entry.token")).collect::<Result<_, _>>()?;
        entries.push(GossipEntry {
            datacenter,
            rack,
            tokens,
            address: reader.text("entry.address")?,
            generation: reader.u64("entry.generation")?,
            heartbeat: reader.u64("entry.heartbeat")?,
            state: reader.code("entry.state")?,
        });
    }
    Ok(PeerMessage::Gossip { sender, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::peer::MessageKind;

    /// A header of `kind` claiming a body of `body_bytes`, and nothing after it.
    fn header_only(kind: MessageKind, body_bytes: u32) -> BytesMut {
        let mut buffer = BytesMut::with_capacity(PEER_HEADER_BYTES);
        buffer.extend_from_slice(&PEER_MAGIC);
        buffer.extend_from_slice(&[PEER_PROTOCOL_VERSION, kind.code()]);
        buffer.extend_from_slice(&body_bytes.to_be_bytes());
        buffer
    }

    #[test]
    fn a_header_claiming_a_gibibyte_reserves_nothing() {
        // Over the frame limit: refused as soon as the header is in, before any allocation.
        let mut buffer = header_only(MessageKind::Request, 1 << 30);
        let capacity = buffer.capacity();
        assert!(matches!(decode(&mut buffer), Err(PeerProtocolError::FrameTooLarge { .. })));
        assert_eq!(buffer.capacity(), capacity);
    }

    #[test]
    fn a_header_claiming_a_large_allowed_body_waits_without_reserving_it() {
        // Within the limit (500 MiB): incomplete, and the buffer is not grown to the claimed size; it
        // grows only as the body's bytes arrive.
        let mut buffer = header_only(MessageKind::Request, 500 << 20);
        let capacity = buffer.capacity();
        for _ in 0..3 {
            assert_eq!(decode(&mut buffer), Ok(None));
        }
        assert_eq!(buffer.len(), PEER_HEADER_BYTES, "nothing consumed");
        assert_eq!(buffer.capacity(), capacity, "nothing reserved for the claimed body");
        buffer.extend_from_slice(&[0; 100]);
        assert_eq!(decode(&mut buffer), Ok(None));
        assert!(buffer.capacity() < 1 << 20, "capacity {} after 100 body bytes", buffer.capacity());
    }
}
