//! Property tests of the RESP codec: encode/decode round trips in both protocol versions, decoding
//! that does not depend on how the bytes were split into reads, and no panic on arbitrary input.

use bytes::{Bytes, BytesMut};
use dynomite_core::resp::{
    check_frame, decode_frame, decode_request, encode, encode_request, format_double, DecodeError, Frame,
    FrameDecoder, Limits, Protocol, RequestDecoder,
};
use proptest::prelude::*;

/// Arbitrary payload bytes, CR and LF included.
fn payload() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..12).prop_map(Bytes::from)
}

/// Text of a RESP3 double as Redis writes it.
fn double_text() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        any::<f64>().prop_map(|value| Bytes::from(format_double(value))),
        Just(Bytes::from_static(b"-inf")),
        Just(Bytes::from_static(b"nan")),
    ]
}

/// Digits of a RESP3 big number with an optional minus sign.
fn big_number_text() -> impl Strategy<Value = Bytes> {
    "-?[0-9]{1,40}".prop_map(Bytes::from)
}

fn leaf() -> impl Strategy<Value = Frame> {
    prop_oneof![
        payload().prop_map(Frame::Simple),
        payload().prop_map(Frame::Error),
        any::<i64>().prop_map(Frame::Integer),
        payload().prop_map(Frame::Bulk),
        Just(Frame::Null),
        Just(Frame::NullArray),
        double_text().prop_map(Frame::Double),
        any::<bool>().prop_map(Frame::Boolean),
        big_number_text().prop_map(Frame::BigNumber),
        (any::<[u8; 3]>(), payload()).prop_map(|(format, text)| Frame::Verbatim { format, text }),
        payload().prop_map(Frame::BlobError),
    ]
}

/// Any frame up to four aggregates deep with at most five children per aggregate.
fn frame() -> impl Strategy<Value = Frame> {
    leaf().prop_recursive(4, 48, 5, |inner| {
        let items = proptest::collection::vec(inner.clone(), 0..5);
        let pairs = proptest::collection::vec((inner.clone(), inner.clone()), 0..3);
        prop_oneof![
            items.clone().prop_map(Frame::Array),
            pairs.clone().prop_map(Frame::Map),
            items.clone().prop_map(Frame::Set),
            items.prop_map(Frame::Push),
            (pairs, inner)
                .prop_map(|(attributes, frame)| Frame::Attribute { attributes, frame: Box::new(frame) }),
        ]
    })
}

/// The encoder replaces CR and LF in line payloads by spaces.
fn one_line(text: &Bytes) -> Bytes {
    text.iter().map(|&byte| if matches!(byte, b'\r' | b'\n') { b' ' } else { byte }).collect()
}

/// What a RESP3 encode + decode yields: `_` is the only RESP3 null, line payloads lose CR/LF.
fn as_resp3(frame: &Frame) -> Frame {
    let items = |items: &[Frame]| items.iter().map(as_resp3).collect();
    let pairs = |pairs: &[(Frame, Frame)]| {
        pairs.iter().map(|(key, value)| (as_resp3(key), as_resp3(value))).collect()
    };
    match frame {
        Frame::NullArray => Frame::Null,
        Frame::Simple(text) => Frame::Simple(one_line(text)),
        Frame::Error(text) => Frame::Error(one_line(text)),
        Frame::Array(children) => Frame::Array(items(children)),
        Frame::Set(children) => Frame::Set(items(children)),
        Frame::Push(children) => Frame::Push(items(children)),
        Frame::Map(children) => Frame::Map(pairs(children)),
        Frame::Attribute { attributes, frame } => {
            Frame::Attribute { attributes: pairs(attributes), frame: Box::new(as_resp3(frame)) }
        }
        other => other.clone(),
    }
}

/// What a RESP2 encode + decode yields: Redis 7's downgrade of every RESP3-only type.
fn as_resp2(frame: &Frame) -> Frame {
    let items = |items: &[Frame]| items.iter().map(as_resp2).collect();
    match frame {
        Frame::Simple(text) => Frame::Simple(one_line(text)),
        Frame::Error(text) | Frame::BlobError(text) => Frame::Error(one_line(text)),
        Frame::Array(children) | Frame::Set(children) | Frame::Push(children) => {
            Frame::Array(items(children))
        }
        Frame::Map(pairs) => {
            Frame::Array(pairs.iter().flat_map(|(key, value)| [as_resp2(key), as_resp2(value)]).collect())
        }
        Frame::Double(text) | Frame::BigNumber(text) => Frame::Bulk(text.clone()),
        Frame::Boolean(value) => Frame::Integer(i64::from(*value)),
        Frame::Verbatim { text, .. } => Frame::Bulk(text.clone()),
        Frame::Attribute { frame, .. } => as_resp2(frame),
        other => other.clone(),
    }
}

fn encoded(frames: &[Frame], protocol: Protocol) -> BytesMut {
    let mut out = BytesMut::new();
    for frame in frames {
        encode(frame, protocol, &mut out);
    }
    out
}

/// Decodes every complete frame in `buf`, panicking on a protocol error. Each frame's raw bytes must be
/// exactly its RESP3 encoding (RESP3 encoding is canonical for what it decodes to).
fn drain_frames(buf: &mut BytesMut, frames: &mut Vec<Frame>) {
    while let Some((frame, raw)) = decode_frame(buf, &Limits::default()).expect("valid input") {
        assert_eq!(raw, frame.to_bytes(Protocol::Resp3));
        frames.push(frame);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn resp3_round_trip(frame in frame()) {
        let mut buf = encoded(std::slice::from_ref(&frame), Protocol::Resp3);
        let length = buf.len();
        prop_assert_eq!(check_frame(&buf, &Limits::default()), Ok(length));
        let (decoded, raw) = decode_frame(&mut buf, &Limits::default()).expect("valid").expect("complete");
        prop_assert_eq!(decoded, as_resp3(&frame));
        prop_assert_eq!(raw.len(), length);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn resp2_round_trip_is_the_downgrade(frame in frame()) {
        let mut buf = encoded(std::slice::from_ref(&frame), Protocol::Resp2);
        let (decoded, _) = decode_frame(&mut buf, &Limits::default()).expect("valid").expect("complete");
        prop_assert_eq!(decoded, as_resp2(&frame));
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn strict_prefixes_are_incomplete(frame in frame()) {
        let bytes = encoded(std::slice::from_ref(&frame), Protocol::Resp3);
        for end in 0..bytes.len() {
            prop_assert_eq!(check_frame(&bytes[..end], &Limits::default()), Err(DecodeError::Incomplete));
        }
    }

    #[test]
    fn every_split_point_yields_the_same_frames(frames in proptest::collection::vec(frame(), 1..4)) {
        let bytes = encoded(&frames, Protocol::Resp3);
        let expected: Vec<Frame> = frames.iter().map(as_resp3).collect();
        for split in 0..=bytes.len() {
            let mut buf = BytesMut::from(&bytes[..split]);
            let mut decoded = Vec::new();
            drain_frames(&mut buf, &mut decoded);
            buf.extend_from_slice(&bytes[split..]);
            drain_frames(&mut buf, &mut decoded);
            prop_assert_eq!(&decoded, &expected);
            prop_assert!(buf.is_empty());
        }
    }

    #[test]
    fn frame_decoder_gives_the_same_frames_for_any_chunking(
        frames in proptest::collection::vec(frame(), 1..4),
        chunk_sizes in proptest::collection::vec(1usize..16, 1..64),
    ) {
        let bytes = encoded(&frames, Protocol::Resp3);
        let expected: Vec<Frame> = frames.iter().map(as_resp3).collect();
        let mut decoder = FrameDecoder::new(Limits::default());
        let (mut buf, mut decoded, mut offset) = (BytesMut::new(), Vec::new(), 0);
        for size in chunk_sizes.iter().cycle() {
            if offset >= bytes.len() {
                break;
            }
            let end = bytes.len().min(offset + size);
            buf.extend_from_slice(&bytes[offset..end]);
            offset = end;
            while let Some((frame, _)) = decoder.decode(&mut buf).expect("valid input") {
                decoded.push(frame);
            }
        }
        prop_assert_eq!(decoded, expected);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn request_round_trip(requests in proptest::collection::vec(proptest::collection::vec(payload(), 1..5), 1..4)) {
        let mut bytes = BytesMut::new();
        for args in &requests {
            encode_request(args, &mut bytes);
        }
        for split in 0..=bytes.len() {
            let mut buf = BytesMut::from(&bytes[..split]);
            let mut decoded = Vec::new();
            while let Some(request) = decode_request(&mut buf, &Limits::default()).expect("valid") {
                decoded.push(request.args);
            }
            buf.extend_from_slice(&bytes[split..]);
            while let Some(request) = decode_request(&mut buf, &Limits::default()).expect("valid") {
                decoded.push(request.args);
            }
            prop_assert_eq!(&decoded, &requests);
        }
    }

    #[test]
    fn request_decoder_gives_the_same_requests_for_any_chunking(
        pieces in proptest::collection::vec(request_piece(), 1..8),
        chunk_sizes in proptest::collection::vec(1usize..24, 1..64),
    ) {
        let bytes = pieces.concat();
        let mut at_once = Vec::new();
        let mut buf = BytesMut::from(&bytes[..]);
        while let Some(request) = decode_request(&mut buf, &Limits::default()).expect("valid") {
            at_once.push(request.args);
        }
        prop_assert!(buf.is_empty());
        let mut decoder = RequestDecoder::new(Limits::default());
        let (mut buf, mut resumed, mut offset) = (BytesMut::new(), Vec::new(), 0);
        for size in chunk_sizes.iter().cycle() {
            if offset >= bytes.len() {
                break;
            }
            let end = bytes.len().min(offset + size);
            buf.extend_from_slice(&bytes[offset..end]);
            offset = end;
            while let Some(request) = decoder.decode(&mut buf).expect("valid") {
                resumed.push(request.args);
            }
        }
        prop_assert_eq!(resumed, at_once);
        prop_assert!(buf.is_empty());
    }

    #[test]
    fn inline_words_round_trip(words in proptest::collection::vec("[a-zA-Z0-9:_.-]{1,8}", 1..6), crlf in any::<bool>()) {
        let line = format!("{}{}", words.join(" "), if crlf { "\r\n" } else { "\n" });
        let mut buf = BytesMut::from(line.as_bytes());
        let request = decode_request(&mut buf, &Limits::default()).expect("valid").expect("complete");
        let expected: Vec<Bytes> = words.into_iter().map(Bytes::from).collect();
        prop_assert_eq!(request.args, expected);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        decode_everything(&bytes);
    }

    #[test]
    fn resp_like_bytes_never_panic(pieces in proptest::collection::vec(resp_piece(), 0..40)) {
        decode_everything(&pieces.concat());
    }
}

/// One complete request as a client may send it: an array of bulk strings, an inline line (plain or
/// quoted words, LF or CRLF), or what Redis skips (`*0`, `*-1`, an empty line).
fn request_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(payload(), 1..6).prop_map(|args| {
            let mut bytes = BytesMut::new();
            encode_request(&args, &mut bytes);
            bytes.to_vec()
        }),
        ("[a-z]{1,6}( [a-zA-Z0-9]{1,6}| \"[a-z ]{0,6}\"| '[a-z ]{0,4}'){0,4}", any::<bool>())
            .prop_map(|(line, crlf)| format!("{line}{}", if crlf { "\r\n" } else { "\n" }).into_bytes()),
        Just(b"*0\r\n".to_vec()),
        Just(b"*-1\r\n".to_vec()),
        Just(b"\r\n".to_vec()),
    ]
}

/// Fragments that make random input look like RESP so the fuzzing reaches deep paths.
fn resp_piece() -> impl Strategy<Value = Vec<u8>> {
    let tokens: Vec<&'static [u8]> = vec![
        b"*", b"$", b"%", b"~", b">", b"|", b"+", b"-", b":", b",", b"#", b"(", b"=", b"!", b"_", b"\r\n",
        b"\n", b"\r", b"1", b"2", b"-1", b"0", b"?", b"t", b"txt:", b" ", b"\"", b"'", b"\\x4", b"\\", b"\0",
    ];
    prop_oneof![
        proptest::sample::select(tokens).prop_map(<[u8]>::to_vec),
        proptest::collection::vec(any::<u8>(), 0..4),
    ]
}

/// Runs both decoders over `bytes` with default and with tiny limits; only panics matter here.
fn decode_everything(bytes: &[u8]) {
    let tiny = Limits { max_bulk_len: 4, max_array_len: 3, max_inline_len: 8, max_depth: 2 };
    for limits in [Limits::default(), tiny] {
        let (mut buf, mut stateless) = (BytesMut::from(bytes), Vec::new());
        while let Ok(Some(decoded)) = decode_frame(&mut buf, &limits) {
            stateless.push(decoded);
        }
        let (mut buf, mut decoder, mut stateful) =
            (BytesMut::from(bytes), FrameDecoder::new(limits), Vec::new());
        while let Ok(Some(decoded)) = decoder.decode(&mut buf) {
            stateful.push(decoded);
        }
        assert_eq!(stateful, stateless);
        let (mut buf, mut stateless) = (BytesMut::from(bytes), Vec::new());
        let stateless_end = loop {
            match decode_request(&mut buf, &limits) {
                Ok(Some(request)) => stateless.push(request),
                Ok(None) => break Ok(()),
                Err(error) => break Err(error),
            }
        };
        // The stateful decoder fed in small reads gives the same requests and stops the same way.
        let (mut buf, mut decoder, mut stateful) = (BytesMut::new(), RequestDecoder::new(limits), Vec::new());
        let mut stateful_end = Ok(());
        'chunks: for chunk in bytes.chunks(3) {
            buf.extend_from_slice(chunk);
            loop {
                match decoder.decode(&mut buf) {
                    Ok(Some(request)) => stateful.push(request),
                    Ok(None) => break,
                    Err(error) => {
                        stateful_end = Err(error);
                        break 'chunks;
                    }
                }
            }
        }
        assert_eq!(stateful, stateless);
        assert_eq!(stateful_end, stateless_end);
    }
}

/// Differential checks against a real redis-server 7.0: our decoder reads every reply, our encoder
/// reproduces Redis's bytes in both protocols, and our RESP2 downgrade of a RESP3 reply is exactly what
/// Redis sends a RESP2 client.
mod against_real_redis {
    use super::*;
    use dynomite_testkit::{RedisServer, RespConn};

    /// Setup writes (run once) and reads (run on a RESP2 and a RESP3 connection).
    const SETUP: &[&[&str]] = &[
        &["SET", "k", "v"],
        &["ZADD", "z", "1.5", "a", "0.1", "b"],
        &["HSET", "h", "f1", "v1", "f2", "v2"],
        &["SADD", "s", "x", "y"],
        &["RPUSH", "l", "a", "b"],
        &["XADD", "st", "1-1", "f", "v"],
    ];
    const READS: &[&[&str]] = &[
        &["GET", "k"],
        &["GET", "missing"],
        &["LPOP", "nolist", "2"],
        &["ZSCORE", "z", "b"],
        &["ZSCORE", "z", "missing"],
        &["ZRANGE", "z", "0", "-1", "WITHSCORES"],
        &["ZINCRBY", "z", "0", "a"],
        &["HGETALL", "h"],
        &["HGETALL", "nohash"],
        &["SMEMBERS", "s"],
        &["LRANGE", "l", "0", "-1"],
        &["EXISTS", "k", "l"],
        &["CONFIG", "GET", "maxmemory-policy"],
        &["MEMORY", "DOCTOR"],
        &["EVAL", "return {double=3.25}", "0"],
        &["EVAL", "redis.setresp(3); return true", "0"],
        &["EVAL", "redis.setresp(3); return false", "0"],
        &["EVAL", "return redis.call('hgetall', 'h')", "0"],
        &["EXEC"],
        &["NOSUCHCOMMAND", "x"],
        &["XRANGE", "st", "-", "+"],
    ];

    /// Replies whose *shape* Redis 7 changes per protocol (RESP3 nests score pairs, RESP2 is flat): no
    /// generic downgrade can turn one into the other, so a proxy must ask the backend in the client's
    /// protocol. Only the two round trips are checked for these.
    const SHAPE_CHANGING: &[&[&str]] = &[&["ZRANGE", "z", "0", "-1", "WITHSCORES"]];

    fn decode_exactly_one(raw: &[u8]) -> Frame {
        let mut buf = BytesMut::from(raw);
        let (frame, _) = decode_frame(&mut buf, &Limits::default()).expect("valid reply").expect("complete");
        assert!(buf.is_empty(), "trailing bytes after {frame:?}");
        frame
    }

    #[test]
    fn replies_round_trip_and_downgrade_like_redis() {
        let server = RedisServer::start();
        let mut resp2 = RespConn::connect(server.port()).expect("connect");
        let mut resp3 = RespConn::connect(server.port()).expect("connect");
        let hello = resp3.command(&["HELLO", "3"]).expect("HELLO 3");
        assert!(matches!(decode_exactly_one(&hello), Frame::Map(_)));
        for command in SETUP {
            resp2.command(command).expect("setup");
        }
        for command in READS {
            let raw2 = resp2.command(command).expect("resp2 reply");
            let raw3 = resp3.command(command).expect("resp3 reply");
            let (frame2, frame3) = (decode_exactly_one(&raw2), decode_exactly_one(&raw3));
            let show = |bytes: &[u8]| bytes.escape_ascii().to_string();
            assert_eq!(show(&frame2.to_bytes(Protocol::Resp2)), show(&raw2), "RESP2 {command:?}");
            assert_eq!(show(&frame3.to_bytes(Protocol::Resp3)), show(&raw3), "RESP3 {command:?}");
            if SHAPE_CHANGING.contains(command) {
                continue;
            }
            if raw2 == b"*-1\r\n" {
                // RESP3 has one null `_`: a RESP3 reply cannot tell a RESP2 client's `*-1` from `$-1`.
                assert_eq!(frame3, Frame::Null, "{command:?}");
                continue;
            }
            assert_eq!(show(&frame3.to_bytes(Protocol::Resp2)), show(&raw2), "downgrade {command:?}");
        }
    }

    /// Each malformed request gets its own connection: Redis closes it after a protocol error.
    #[test]
    fn protocol_errors_read_like_redis() {
        let server = RedisServer::start();
        let cases: &[&[u8]] = &[
            b"*1\r\n:1\r\n",
            b"*x\r\n",
            b"*1\r\n$-5\r\n",
            b"*1\r\n$abc\r\n",
            b"SET \"abc\r\n",
            b"SET 'a'b c\r\n",
        ];
        for &input in cases {
            let mut connection = RespConn::connect(server.port()).expect("connect");
            connection.send_raw(input).expect("send");
            let redis_reply = connection.read_reply().expect("error reply");
            let ours = decode_request(&mut BytesMut::from(input), &Limits::default()).expect_err("rejected");
            let ours = format!("-ERR {ours}\r\n");
            assert_eq!(ours.as_bytes().escape_ascii().to_string(), redis_reply.escape_ascii().to_string());
        }
    }

    /// Inline arguments as Redis splits them, read back with LRANGE after an inline RPUSH.
    #[test]
    fn inline_quoting_matches_redis() {
        let server = RedisServer::start();
        let mut connection = RespConn::connect(server.port()).expect("connect");
        let tails = [
            "plain words\there",
            "\"double \\\"quoted\\\" \\x41\\x4a\\n\\t\\r\\b\\a\\q\" next",
            "'single \\'quoted\\' \\n' x\"y z\"",
            "\"\" '' \"\\xZZ\" \"\\x4\"",
            "a\x0bb",
        ];
        for (index, tail) in tails.iter().enumerate() {
            let key = format!("inline{index}");
            let line = format!("RPUSH {key} {tail}\r\n");
            connection.send_raw(line.as_bytes()).expect("send");
            decode_exactly_one(&connection.read_reply().expect("RPUSH reply"));
            let stored = decode_exactly_one(
                &connection.command(&["LRANGE", key.as_str(), "0", "-1"]).expect("LRANGE"),
            );
            let request = decode_request(&mut BytesMut::from(line.as_bytes()), &Limits::default())
                .expect("valid")
                .expect("complete");
            let ours = Frame::Array(request.args[2..].iter().cloned().map(Frame::Bulk).collect());
            assert_eq!(ours, stored, "{line:?}");
        }
    }
}
