//! Properties of the peer codec: every message survives a round trip, a stream decodes the same
//! however the network splits it, and no input (random, or a valid frame with bytes flipped) makes the
//! decoder panic or do anything but answer, wait or refuse.

use bytes::{Bytes, BytesMut};
use dynomite_core::config::Consistency;
use dynomite_core::peer::{
    check_encodable, decode, encode, encoded_len, FailureKind, GossipEntry, MessageKind, NodeIdentity,
    NodeState, PeerMessage, PEER_AUTH_BYTES_MAX, PEER_HEADER_BYTES, PEER_PROTOCOL_VERSION,
};
use dynomite_core::resp::Protocol;
use proptest::prelude::*;
use proptest::sample::select;

fn text() -> impl Strategy<Value = String> {
    "\\PC{0,12}"
}

fn blob() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..24).prop_map(Bytes::from)
}

fn arguments() -> impl Strategy<Value = Vec<Bytes>> {
    prop::collection::vec(blob(), 0..6)
}

fn protocol() -> impl Strategy<Value = Protocol> {
    select(vec![Protocol::Resp2, Protocol::Resp3])
}

fn identity() -> impl Strategy<Value = NodeIdentity> {
    (text(), text(), text(), prop::collection::vec(any::<u32>(), 0..8))
        .prop_map(|(datacenter, rack, address, tokens)| NodeIdentity { datacenter, rack, address, tokens })
}

fn gossip_entry() -> impl Strategy<Value = GossipEntry> {
    (identity(), any::<u64>(), any::<u64>(), select(NodeState::ALL.to_vec())).prop_map(
        |(node, generation, heartbeat, state)| GossipEntry {
            datacenter: node.datacenter,
            rack: node.rack,
            tokens: node.tokens,
            address: node.address,
            generation,
            heartbeat,
            state,
        },
    )
}

/// A nonce or proof: up to the limit.
fn auth_bytes() -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..=PEER_AUTH_BYTES_MAX).prop_map(Bytes::from)
}

fn message() -> impl Strategy<Value = PeerMessage> {
    prop_oneof![
        (any::<u8>(), identity(), auth_bytes(), auth_bytes())
            .prop_map(|(version, node, nonce, proof)| PeerMessage::Hello { version, node, nonce, proof }),
        auth_bytes().prop_map(|nonce| PeerMessage::Challenge { nonce }),
        auth_bytes().prop_map(|proof| PeerMessage::Welcome { proof }),
        (any::<u64>(), protocol(), arguments())
            .prop_map(|(request_id, protocol, args)| PeerMessage::Request { request_id, protocol, args }),
        (any::<u64>(), protocol(), select(Consistency::ALL.to_vec()), arguments()).prop_map(
            |(request_id, protocol, consistency, args)| PeerMessage::ForwardToDatacenter {
                request_id,
                protocol,
                consistency,
                args
            }
        ),
        (any::<u64>(), blob()).prop_map(|(request_id, reply)| PeerMessage::Response { request_id, reply }),
        (any::<u64>(), select(FailureKind::ALL.to_vec()), text())
            .prop_map(|(request_id, kind, message)| PeerMessage::Failure { request_id, kind, message }),
        (text(), prop::collection::vec(gossip_entry(), 0..5))
            .prop_map(|(sender, entries)| PeerMessage::Gossip { sender, entries }),
        any::<u64>().prop_map(|nonce| PeerMessage::Ping { nonce }),
        any::<u64>().prop_map(|nonce| PeerMessage::Pong { nonce }),
    ]
}

/// Decodes everything `buffer` holds: the messages, and how the stream ended (`Ok` = waiting).
fn drain(buffer: &mut BytesMut) -> (Vec<PeerMessage>, Result<(), String>) {
    let mut messages = Vec::new();
    loop {
        match decode(buffer) {
            Ok(Some(message)) => messages.push(message),
            Ok(None) => return (messages, Ok(())),
            Err(error) => return (messages, Err(error.to_string())),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn decode_inverts_encode(message in message()) {
        prop_assert_eq!(check_encodable(&message), Ok(()));
        let mut buffer = BytesMut::new();
        encode(&message, &mut buffer);
        prop_assert_eq!(buffer.len() as u64, encoded_len(&message));
        prop_assert_eq!(decode(&mut buffer), Ok(Some(message)));
        prop_assert!(buffer.is_empty());
    }

    #[test]
    fn any_split_of_a_stream_decodes_to_the_same_messages(
        messages in prop::collection::vec(message(), 1..6),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let mut stream = BytesMut::new();
        messages.iter().for_each(|message| encode(message, &mut stream));
        let mut cut_points: Vec<usize> = cuts.iter().map(|cut| cut.index(stream.len() + 1)).collect();
        cut_points.push(stream.len());
        cut_points.sort_unstable();
        let (mut decoded, mut buffer, mut start) = (Vec::new(), BytesMut::new(), 0);
        for cut in cut_points {
            buffer.extend_from_slice(&stream[start..cut]);
            start = cut;
            let (arrived, ended) = drain(&mut buffer);
            prop_assert_eq!(ended, Ok(()));
            decoded.extend(arrived);
        }
        prop_assert_eq!(decoded, messages);
        prop_assert!(buffer.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        behind_magic_and_version in any::<bool>(),
    ) {
        let mut buffer = BytesMut::new();
        if behind_magic_and_version {
            buffer.extend_from_slice(&[b'D', b'Y', b'N', PEER_PROTOCOL_VERSION]);
        }
        buffer.extend_from_slice(&bytes);
        let _ = drain(&mut buffer);
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header_never_panic(
        kind in select(MessageKind::ALL.to_vec()),
        body in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        let kind_code = MessageKind::ALL.iter().position(|candidate| *candidate == kind).unwrap_or(0) as u8 + 1;
        let mut frame = BytesMut::from(&[b'D', b'Y', b'N', PEER_PROTOCOL_VERSION, kind_code][..]);
        frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
        frame.extend_from_slice(&body);
        match decode(&mut frame) {
            Ok(Some(message)) => prop_assert_eq!(message.kind(), kind),
            Ok(None) => prop_assert!(false, "a complete frame never waits"),
            Err(_) => {}
        }
        prop_assert!(frame.is_empty(), "a complete frame is consumed either way");
    }

    #[test]
    fn a_corrupted_frame_is_decoded_waited_for_or_refused(
        message in message(),
        position in any::<prop::sample::Index>(),
        flip in 1..=255u8,
    ) {
        let mut frame = BytesMut::new();
        encode(&message, &mut frame);
        let position = position.index(frame.len());
        frame[position] ^= flip;
        let (decoded, _) = drain(&mut frame);
        if position >= PEER_HEADER_BYTES {
            // Only the body changed: at most the one frame comes out, of the announced kind.
            prop_assert!(decoded.len() <= 1);
            prop_assert!(decoded.iter().all(|candidate| candidate.kind() == message.kind()));
        }
    }
}
