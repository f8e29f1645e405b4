//! The peer wire format, pinned: hex-dump snapshots of one frame per message kind, and the decoder's
//! answers to every kind of bad or partial input.

use bytes::{Bytes, BytesMut};
use dynomite_core::config::Consistency;
use dynomite_core::peer::{
    check_encodable, decode, encode, encoded_len, FailureKind, GossipEntry, MalformedReason, MessageKind,
    NodeIdentity, NodeState, PeerMessage, PeerProtocolError, PEER_ARGS_MAX, PEER_AUTH_BYTES_MAX,
    PEER_FRAME_BYTES_MAX, PEER_HEADER_BYTES, PEER_PROTOCOL_VERSION, PEER_TEXT_BYTES_MAX, PEER_TOKENS_MAX,
};
use dynomite_core::resp::Protocol;

/// Bytes per hex-dump line.
const DUMP_LINE_BYTES: usize = 16;

/// `xxd`-style dump: offset, hex bytes, printable ASCII.
fn hex_dump(bytes: &[u8]) -> String {
    let lines = bytes.chunks(DUMP_LINE_BYTES).enumerate().map(|(index, chunk)| {
        let hex: Vec<String> = chunk.iter().map(|byte| format!("{byte:02x}")).collect();
        let ascii: String = chunk
            .iter()
            .map(|&byte| if byte.is_ascii_graphic() || byte == b' ' { byte as char } else { '.' })
            .collect();
        format!("{:08x}  {:<47}  |{ascii}|", index * DUMP_LINE_BYTES, hex.join(" "))
    });
    lines.collect::<Vec<_>>().join("\n")
}

fn frame_of(message: &PeerMessage) -> BytesMut {
    let mut out = BytesMut::new();
    encode(message, &mut out);
    out
}

fn args(words: &[&'static str]) -> Vec<Bytes> {
    words.iter().map(|word| Bytes::from_static(word.as_bytes())).collect()
}

/// One message of every kind, with the snapshot name it is pinned under.
fn one_of_each_kind() -> Vec<(&'static str, PeerMessage)> {
    let node = NodeIdentity {
        datacenter: "us-east-1".into(),
        rack: "rack1".into(),
        address: "10.0.0.1:8101".into(),
        tokens: vec![0, 2_147_483_648],
    };
    let entries = vec![
        GossipEntry {
            datacenter: "us-east-1".into(),
            rack: "rack1".into(),
            tokens: vec![1_383_429_731],
            address: "10.0.0.2:8101".into(),
            generation: 7,
            heartbeat: 42,
            state: NodeState::Normal,
        },
        GossipEntry {
            datacenter: "us-east-1".into(),
            rack: "rack2".into(),
            tokens: vec![0],
            address: "10.0.0.3:8101".into(),
            generation: 1,
            heartbeat: 0,
            state: NodeState::Down,
        },
    ];
    vec![
        (
            "hello",
            PeerMessage::Hello {
                version: 2,
                node,
                nonce: Bytes::from_static(&[0x11; 32]),
                proof: Bytes::from_static(&[0x22; 32]),
            },
        ),
        (
            "request",
            PeerMessage::Request { request_id: 1, protocol: Protocol::Resp2, args: args(&["SET", "k", "v"]) },
        ),
        (
            "forward_to_datacenter",
            PeerMessage::ForwardToDatacenter {
                request_id: 2,
                protocol: Protocol::Resp3,
                consistency: Consistency::DcQuorum,
                args: args(&["GET", "k"]),
            },
        ),
        ("response", PeerMessage::Response { request_id: 1, reply: Bytes::from_static(b"+OK\r\n") }),
        (
            "failure",
            PeerMessage::Failure {
                request_id: 3,
                kind: FailureKind::DatastoreUnavailable,
                message: "Storage: Datastore refused connection".into(),
            },
        ),
        ("gossip", PeerMessage::Gossip { sender: "10.0.0.1:8101".into(), entries }),
        ("ping", PeerMessage::Ping { nonce: 0x0123_4567_89ab_cdef }),
        ("pong", PeerMessage::Pong { nonce: 0x0123_4567_89ab_cdef }),
        ("challenge", PeerMessage::Challenge { nonce: Bytes::from_static(&[0x33; 32]) }),
        ("welcome", PeerMessage::Welcome { proof: Bytes::from_static(&[0x44; 32]) }),
    ]
}

#[test]
fn snapshot_one_frame_per_kind() {
    let messages = one_of_each_kind();
    let kinds: Vec<MessageKind> = messages.iter().map(|(_, message)| message.kind()).collect();
    assert_eq!(kinds, MessageKind::ALL, "one snapshot per kind, in code order");
    for (name, message) in messages {
        let frame = frame_of(&message);
        assert_eq!(frame.len() as u64, encoded_len(&message));
        assert_eq!(check_encodable(&message), Ok(()));
        insta::assert_snapshot!(format!("peer_frame_{name}"), hex_dump(&frame));
    }
}

#[test]
fn every_kind_round_trips_and_consumes_exactly_its_frame() {
    for (_, message) in one_of_each_kind() {
        let mut buffer = frame_of(&message);
        buffer.extend_from_slice(b"DY");
        assert_eq!(decode(&mut buffer), Ok(Some(message)));
        assert_eq!(&buffer[..], b"DY");
        assert_eq!(decode(&mut buffer), Ok(None));
    }
}

#[test]
fn every_strict_prefix_of_a_frame_needs_more_and_consumes_nothing() {
    for (_, message) in one_of_each_kind() {
        let frame = frame_of(&message);
        for length in 0..frame.len() {
            let mut buffer = BytesMut::from(&frame[..length]);
            assert_eq!(decode(&mut buffer), Ok(None), "{message:?} cut at {length}");
            assert_eq!(buffer.len(), length);
        }
    }
}

#[test]
fn decoded_arguments_and_replies_are_slices_of_the_received_buffer() {
    let message = PeerMessage::Request {
        request_id: 9,
        protocol: Protocol::Resp2,
        args: args(&["SET", "key", "value"]),
    };
    let mut buffer = frame_of(&message);
    let received = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
    let Ok(Some(PeerMessage::Request { args, .. })) = decode(&mut buffer) else { panic!("a request") };
    for arg in args {
        assert!(received.contains(&(arg.as_ptr() as usize)), "{arg:?} was copied");
    }
}

#[test]
fn foreign_traffic_is_refused_as_soon_as_a_magic_byte_is_wrong() {
    // A Redis client on the peer port, a C Dynomite node (its dnode header starts with spaces), and a
    // near miss; with how many bytes each is already refused.
    for (input, refused_after) in [(&b"*1\r\n$4\r\nPING\r\n"[..], 1), (b"   $2014$ ", 1), (b"DYX\x01", 3)] {
        let mut buffer = BytesMut::from(&input[..refused_after]);
        assert_eq!(
            decode(&mut buffer),
            Err(PeerProtocolError::BadMagic { found: input[..refused_after].to_vec() })
        );
        let mut buffer = BytesMut::from(input);
        assert_eq!(decode(&mut buffer), Err(PeerProtocolError::BadMagic { found: input[..3].to_vec() }));
        assert_eq!(buffer.len(), input.len(), "nothing consumed");
    }
}

#[test]
fn another_version_or_an_unknown_kind_is_refused_before_the_length_arrives() {
    // Version 1 (before the authenticated handshake) and 2 (gossip entries without the node's place)
    // are refused like any other.
    for version in [1, 2] {
        let mut buffer = BytesMut::from(&[b'D', b'Y', b'N', version][..]);
        assert_eq!(decode(&mut buffer), Err(PeerProtocolError::UnsupportedVersion { version, supported: 3 }));
    }
    for code in [0, 11, 255] {
        let mut buffer = BytesMut::from(&[b'D', b'Y', b'N', 3, code][..]);
        assert_eq!(decode(&mut buffer), Err(PeerProtocolError::UnknownKind { code }));
    }
}

#[test]
fn a_frame_declaring_four_gibibytes_is_refused_without_allocating() {
    let mut buffer = BytesMut::with_capacity(64);
    buffer.extend_from_slice(b"DYN\x03\x04\xff\xff\xff\xff");
    let capacity_before = buffer.capacity();
    let expected = PeerProtocolError::FrameTooLarge {
        frame_bytes: u64::from(u32::MAX) + PEER_HEADER_BYTES as u64,
        limit_bytes: PEER_FRAME_BYTES_MAX,
    };
    assert_eq!(decode(&mut buffer), Err(expected));
    assert_eq!(buffer.capacity(), capacity_before);
    assert_eq!(buffer.len(), PEER_HEADER_BYTES, "nothing consumed");
}

#[test]
fn the_largest_allowed_frame_is_accepted_and_one_byte_more_is_not() {
    let body_bytes = (PEER_FRAME_BYTES_MAX - PEER_HEADER_BYTES) as u32;
    let mut buffer = BytesMut::from(&b"DYN\x03\x04"[..]);
    buffer.extend_from_slice(&body_bytes.to_be_bytes());
    assert_eq!(decode(&mut buffer), Ok(None), "waits for the body");
    let mut buffer = BytesMut::from(&b"DYN\x03\x04"[..]);
    buffer.extend_from_slice(&(body_bytes + 1).to_be_bytes());
    assert!(matches!(decode(&mut buffer), Err(PeerProtocolError::FrameTooLarge { .. })));
}

/// A frame of `kind` (code) with `body` as is.
fn raw_frame(kind: u8, body: &[u8]) -> BytesMut {
    let mut frame = BytesMut::from(&[b'D', b'Y', b'N', PEER_PROTOCOL_VERSION, kind][..]);
    frame.extend_from_slice(&(body.len() as u32).to_be_bytes());
    frame.extend_from_slice(body);
    frame
}

fn malformed(kind: MessageKind, field: &'static str, reason: MalformedReason) -> PeerProtocolError {
    PeerProtocolError::Malformed { kind, field, reason }
}

#[test]
fn bodies_that_break_their_layout_are_refused_with_the_field_named() {
    let ping_with_extra = raw_frame(7, &[0, 0, 0, 0, 0, 0, 0, 1, 0xee]);
    let short_ping = raw_frame(8, &[0, 0, 0]);
    let request_in_resp4 = raw_frame(2, &[0, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 0]);
    let bad_consistency = raw_frame(3, &[0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 0]);
    let failure_not_utf8 = raw_frame(5, &[0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1, 0xff]);
    let unknown_failure = raw_frame(5, &[0, 0, 0, 0, 0, 0, 0, 1, 99, 0, 0, 0, 0]);
    let cases = [
        (
            ping_with_extra,
            malformed(MessageKind::Ping, "end of body", MalformedReason::TrailingBytes { extra_bytes: 1 }),
        ),
        (short_ping, malformed(MessageKind::Pong, "nonce", MalformedReason::Truncated { missing_bytes: 5 })),
        (
            request_in_resp4,
            malformed(MessageKind::Request, "protocol", MalformedReason::UnknownCode { code: 4 }),
        ),
        (
            bad_consistency,
            malformed(
                MessageKind::ForwardToDatacenter,
                "consistency",
                MalformedReason::UnknownCode { code: 0 },
            ),
        ),
        (failure_not_utf8, malformed(MessageKind::Failure, "message", MalformedReason::InvalidUtf8)),
        (unknown_failure, malformed(MessageKind::Failure, "kind", MalformedReason::UnknownCode { code: 99 })),
    ];
    for (mut frame, expected) in cases {
        assert_eq!(decode(&mut frame), Err(expected));
        assert!(frame.is_empty(), "the bad frame is consumed");
    }
}

#[test]
fn declared_counts_are_checked_before_anything_is_reserved_for_them() {
    // A request claiming the maximum number of arguments in a 13-byte body.
    let mut body = vec![0, 0, 0, 0, 0, 0, 0, 1, 2];
    body.extend_from_slice(&(PEER_ARGS_MAX as u32).to_be_bytes());
    let missing_bytes = PEER_ARGS_MAX as u64 * 4;
    let expected = malformed(MessageKind::Request, "args", MalformedReason::Truncated { missing_bytes });
    assert_eq!(decode(&mut raw_frame(2, &body)), Err(expected));
    // One argument more than the bound.
    let mut body = vec![0, 0, 0, 0, 0, 0, 0, 1, 2];
    body.extend_from_slice(&(PEER_ARGS_MAX as u32 + 1).to_be_bytes());
    let reason = MalformedReason::TooMany { count: PEER_ARGS_MAX as u64 + 1, limit: PEER_ARGS_MAX };
    assert_eq!(decode(&mut raw_frame(2, &body)), Err(malformed(MessageKind::Request, "args", reason)));
    // A text claiming 4 GiB.
    let expected = malformed(
        MessageKind::Gossip,
        "sender",
        MalformedReason::TooLong { length_bytes: u64::from(u32::MAX), limit_bytes: PEER_TEXT_BYTES_MAX },
    );
    assert_eq!(decode(&mut raw_frame(6, &[0xff, 0xff, 0xff, 0xff])), Err(expected));
}

#[test]
fn senders_can_check_bounds_before_framing() {
    let node = NodeIdentity { tokens: vec![1; PEER_TOKENS_MAX + 1], ..NodeIdentity::default() };
    let hello = PeerMessage::Hello { version: 2, node, nonce: Bytes::new(), proof: Bytes::new() };
    let reason = MalformedReason::TooMany { count: PEER_TOKENS_MAX as u64 + 1, limit: PEER_TOKENS_MAX };
    assert_eq!(check_encodable(&hello), Err(malformed(MessageKind::Hello, "tokens", reason.clone())));
    // Framed anyway, the receiver refuses it the same way.
    assert_eq!(decode(&mut frame_of(&hello)), Err(malformed(MessageKind::Hello, "tokens", reason)));

    let challenge = PeerMessage::Challenge { nonce: Bytes::from(vec![0; PEER_AUTH_BYTES_MAX + 1]) };
    let reason = MalformedReason::TooLong {
        length_bytes: PEER_AUTH_BYTES_MAX as u64 + 1,
        limit_bytes: PEER_AUTH_BYTES_MAX,
    };
    assert_eq!(check_encodable(&challenge), Err(malformed(MessageKind::Challenge, "nonce", reason.clone())));
    assert_eq!(decode(&mut frame_of(&challenge)), Err(malformed(MessageKind::Challenge, "nonce", reason)));

    let failure = PeerMessage::Failure {
        request_id: 1,
        kind: FailureKind::Overloaded,
        message: "x".repeat(PEER_TEXT_BYTES_MAX + 1),
    };
    let reason = MalformedReason::TooLong {
        length_bytes: PEER_TEXT_BYTES_MAX as u64 + 1,
        limit_bytes: PEER_TEXT_BYTES_MAX,
    };
    assert_eq!(check_encodable(&failure), Err(malformed(MessageKind::Failure, "message", reason)));
}

/// One mebibyte of zeros, shared by every argument of the oversized request below.
static MEBIBYTE: [u8; 1024 * 1024] = [0; 1024 * 1024];

#[test]
fn an_oversized_message_is_framed_as_a_header_every_receiver_refuses() {
    let args = vec![Bytes::from_static(&MEBIBYTE[..]); 600];
    let message = PeerMessage::Request { request_id: 1, protocol: Protocol::Resp2, args };
    let frame_bytes = encoded_len(&message);
    assert!(frame_bytes > PEER_FRAME_BYTES_MAX as u64);
    let too_large = PeerProtocolError::FrameTooLarge { frame_bytes, limit_bytes: PEER_FRAME_BYTES_MAX };
    assert_eq!(check_encodable(&message), Err(too_large.clone()));
    let mut frame = frame_of(&message);
    assert_eq!(frame.len(), PEER_HEADER_BYTES, "no body written");
    assert_eq!(decode(&mut frame), Err(too_large));
}
