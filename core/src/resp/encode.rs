//! RESP encoder: turns a [`Frame`] into the bytes of one protocol version.
//!
//! RESP3 frames are written as they are; for a RESP2 connection the RESP3-only types are downgraded the
//! way Redis 7 downgrades its own replies (maps flatten to arrays, doubles become bulk strings, booleans
//! become integers, attributes are dropped, ...). Line payloads (simple strings, errors, doubles, big
//! numbers) never carry CR or LF on the wire: they are replaced by spaces so framing cannot break.
//!
//! [`encode_request`] writes what a client sends: an array of bulk strings.

use std::fmt::Write as _;

use bytes::{BufMut, Bytes, BytesMut};

use super::frame::{Frame, Protocol};

const CRLF: &[u8] = b"\r\n";

/// Appends `frame` to `out` as `protocol` bytes (RESP3 as is, RESP2 downgraded like Redis 7).
pub fn encode(frame: &Frame, protocol: Protocol, out: &mut BytesMut) {
    match frame {
        Frame::Simple(text) => write_line(out, b'+', text),
        Frame::Error(text) => write_line(out, b'-', text),
        Frame::Integer(value) => write_header(out, b':', *value),
        Frame::Bulk(data) => write_blob(out, b'$', data),
        Frame::Array(items) => write_sequence(out, b'*', items, protocol),
        Frame::Null | Frame::NullArray | Frame::Map(_) | Frame::Set(_) | Frame::Double(_) => {
            encode_typed(frame, protocol, out)
        }
        Frame::Boolean(_) | Frame::BigNumber(_) | Frame::Verbatim { .. } | Frame::BlobError(_) => {
            encode_typed(frame, protocol, out)
        }
        Frame::Attribute { .. } | Frame::Push(_) => encode_typed(frame, protocol, out),
    }
}

/// Encodes the frames whose bytes depend on the protocol version.
fn encode_typed(frame: &Frame, protocol: Protocol, out: &mut BytesMut) {
    match protocol {
        Protocol::Resp3 => encode_resp3_only(frame, out),
        Protocol::Resp2 => encode_downgraded(frame, out),
    }
}

/// RESP3 bytes of the types RESP2 lacks.
fn encode_resp3_only(frame: &Frame, out: &mut BytesMut) {
    let protocol = Protocol::Resp3;
    match frame {
        Frame::Null | Frame::NullArray => out.put_slice(b"_\r\n"),
        Frame::Map(pairs) => write_pairs(out, b'%', pairs, protocol),
        Frame::Set(items) => write_sequence(out, b'~', items, protocol),
        Frame::Double(text) => write_line(out, b',', text),
        Frame::Boolean(value) => out.put_slice(if *value { b"#t\r\n" } else { b"#f\r\n" }),
        Frame::BigNumber(digits) => write_line(out, b'(', digits),
        Frame::Verbatim { format, text } => write_verbatim(out, format, text),
        Frame::BlobError(text) => write_blob(out, b'!', text),
        Frame::Attribute { attributes, frame } => {
            write_pairs(out, b'|', attributes, protocol);
            encode(frame, protocol, out);
        }
        Frame::Push(items) => write_sequence(out, b'>', items, protocol),
        other => encode(other, protocol, out),
    }
}

/// RESP2 bytes of the RESP3-only types, downgraded as Redis 7 does for a RESP2 client.
fn encode_downgraded(frame: &Frame, out: &mut BytesMut) {
    let protocol = Protocol::Resp2;
    match frame {
        Frame::Null => out.put_slice(b"$-1\r\n"),
        Frame::NullArray => out.put_slice(b"*-1\r\n"),
        Frame::Map(pairs) => {
            write_header(out, b'*', pairs.len().saturating_mul(2));
            for (key, value) in pairs {
                encode(key, protocol, out);
                encode(value, protocol, out);
            }
        }
        Frame::Set(items) | Frame::Push(items) => write_sequence(out, b'*', items, protocol),
        Frame::Double(text) | Frame::BigNumber(text) => write_blob(out, b'$', text),
        Frame::Boolean(value) => out.put_slice(if *value { b":1\r\n" } else { b":0\r\n" }),
        Frame::Verbatim { text, .. } => write_blob(out, b'$', text),
        Frame::BlobError(text) => write_line(out, b'-', text),
        Frame::Attribute { frame, .. } => encode(frame, protocol, out),
        other => encode(other, protocol, out),
    }
}

/// Appends a client request: an array of bulk strings, one per argument (`*N`, then `$len` + arg).
pub fn encode_request<A: AsRef<[u8]>>(args: &[A], out: &mut BytesMut) {
    // One reservation up front (a `$<len>\r\n` header and CRLF are at most 16 bytes per argument), so a
    // request never regrows its buffer piece by piece.
    let payload: usize = args.iter().map(|arg| arg.as_ref().len() + 16).sum();
    out.reserve(payload + 16);
    write_header(out, b'*', args.len());
    for arg in args {
        write_blob(out, b'$', arg.as_ref());
    }
}

impl Frame {
    /// The bytes of this frame for `protocol` (see [`encode`]).
    pub fn to_bytes(&self, protocol: Protocol) -> Bytes {
        let mut out = BytesMut::new();
        encode(self, protocol, &mut out);
        out.freeze()
    }
}

/// `<type><number>\r\n`, e.g. `*3\r\n` or `:-7\r\n`.
fn write_header(out: &mut BytesMut, type_byte: u8, number: impl std::fmt::Display) {
    out.put_u8(type_byte);
    // Writing into a `BytesMut` cannot fail: it grows as needed.
    let _ = write!(out, "{number}");
    out.put_slice(CRLF);
}

/// `<type><text>\r\n` with every CR and LF of `text` replaced by a space so framing holds.
fn write_line(out: &mut BytesMut, type_byte: u8, text: &[u8]) {
    out.reserve(text.len() + 3);
    out.put_u8(type_byte);
    if text.iter().any(|byte| matches!(byte, b'\r' | b'\n')) {
        out.extend(text.iter().map(|&byte| if matches!(byte, b'\r' | b'\n') { b' ' } else { byte }));
    } else {
        out.put_slice(text);
    }
    out.put_slice(CRLF);
}

/// `<type><len>\r\n<data>\r\n`.
fn write_blob(out: &mut BytesMut, type_byte: u8, data: &[u8]) {
    write_header(out, type_byte, data.len());
    out.reserve(data.len() + 2);
    out.put_slice(data);
    out.put_slice(CRLF);
}

/// `=<len>\r\n<fmt>:<text>\r\n`.
fn write_verbatim(out: &mut BytesMut, format: &[u8; 3], text: &[u8]) {
    write_header(out, b'=', text.len() + format.len() + 1);
    out.put_slice(format);
    out.put_u8(b':');
    out.put_slice(text);
    out.put_slice(CRLF);
}

/// `<type><n>\r\n` followed by the `n` items.
fn write_sequence(out: &mut BytesMut, type_byte: u8, items: &[Frame], protocol: Protocol) {
    write_header(out, type_byte, items.len());
    for item in items {
        encode(item, protocol, out);
    }
}

/// `<type><n>\r\n` followed by `n` key/value pairs (RESP3 map and attribute).
fn write_pairs(out: &mut BytesMut, type_byte: u8, pairs: &[(Frame, Frame)], protocol: Protocol) {
    write_header(out, type_byte, pairs.len());
    for (key, value) in pairs {
        encode(key, protocol, out);
        encode(value, protocol, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes_of(frame: &Frame, protocol: Protocol) -> String {
        frame.to_bytes(protocol).escape_ascii().to_string()
    }

    fn both(frame: &Frame) -> (String, String) {
        (bytes_of(frame, Protocol::Resp2), bytes_of(frame, Protocol::Resp3))
    }

    #[test]
    fn resp2_types_are_identical_in_both_protocols() {
        let cases = [
            (Frame::ok(), "+OK\\r\\n"),
            (Frame::error("ERR boom"), "-ERR boom\\r\\n"),
            (Frame::Integer(-42), ":-42\\r\\n"),
            (Frame::bulk("hello"), "$5\\r\\nhello\\r\\n"),
            (Frame::bulk(""), "$0\\r\\n\\r\\n"),
            (Frame::Array(vec![Frame::Integer(1), Frame::bulk("a")]), "*2\\r\\n:1\\r\\n$1\\r\\na\\r\\n"),
            (Frame::Array(vec![]), "*0\\r\\n"),
        ];
        for (frame, expected) in cases {
            assert_eq!(both(&frame), (expected.to_string(), expected.to_string()), "{frame:?}");
        }
    }

    #[test]
    fn nulls_differ_between_protocols() {
        assert_eq!(both(&Frame::Null), ("$-1\\r\\n".into(), "_\\r\\n".into()));
        assert_eq!(both(&Frame::NullArray), ("*-1\\r\\n".into(), "_\\r\\n".into()));
    }

    #[test]
    fn map_and_set_downgrade_to_arrays() {
        let map = Frame::Map(vec![(Frame::bulk("k"), Frame::Integer(1))]);
        assert_eq!(
            both(&map),
            ("*2\\r\\n$1\\r\\nk\\r\\n:1\\r\\n".into(), "%1\\r\\n$1\\r\\nk\\r\\n:1\\r\\n".into())
        );
        let set = Frame::Set(vec![Frame::bulk("m")]);
        assert_eq!(both(&set), ("*1\\r\\n$1\\r\\nm\\r\\n".into(), "~1\\r\\n$1\\r\\nm\\r\\n".into()));
        let push = Frame::Push(vec![Frame::bulk("m")]);
        assert_eq!(both(&push), ("*1\\r\\n$1\\r\\nm\\r\\n".into(), ">1\\r\\n$1\\r\\nm\\r\\n".into()));
    }

    #[test]
    fn scalars_downgrade_like_redis_7() {
        assert_eq!(both(&Frame::double(1.5)), ("$3\\r\\n1.5\\r\\n".into(), ",1.5\\r\\n".into()));
        assert_eq!(both(&Frame::Boolean(true)), (":1\\r\\n".into(), "#t\\r\\n".into()));
        assert_eq!(both(&Frame::Boolean(false)), (":0\\r\\n".into(), "#f\\r\\n".into()));
        let big = Frame::BigNumber(Bytes::from_static(b"-123456789012345678901234567890"));
        let expected_resp2 = "$31\\r\\n-123456789012345678901234567890\\r\\n".to_string();
        assert_eq!(both(&big), (expected_resp2, "(-123456789012345678901234567890\\r\\n".into()));
        let verbatim = Frame::Verbatim { format: *b"txt", text: Bytes::from_static(b"hi") };
        assert_eq!(both(&verbatim), ("$2\\r\\nhi\\r\\n".into(), "=6\\r\\ntxt:hi\\r\\n".into()));
    }

    #[test]
    fn blob_error_becomes_a_single_line_error_in_resp2() {
        let error = Frame::BlobError(Bytes::from_static(b"SYNTAX bad\r\nthing"));
        let expected_resp3 = "!17\\r\\nSYNTAX bad\\r\\nthing\\r\\n".to_string();
        assert_eq!(both(&error), ("-SYNTAX bad  thing\\r\\n".into(), expected_resp3));
    }

    #[test]
    fn attributes_are_dropped_in_resp2() {
        let frame = Frame::Attribute {
            attributes: vec![(Frame::simple("ttl"), Frame::Integer(3))],
            frame: Box::new(Frame::bulk("v")),
        };
        let expected_resp3 = "|1\\r\\n+ttl\\r\\n:3\\r\\n$1\\r\\nv\\r\\n".to_string();
        assert_eq!(both(&frame), ("$1\\r\\nv\\r\\n".into(), expected_resp3));
    }

    #[test]
    fn line_payloads_never_break_framing() {
        let simple = Frame::Simple(Bytes::from_static(b"a\r\nb\nc"));
        assert_eq!(bytes_of(&simple, Protocol::Resp2), "+a  b c\\r\\n");
        assert_eq!(bytes_of(&Frame::error("ERR x\ny"), Protocol::Resp3), "-ERR x y\\r\\n");
    }

    /// One line per frame: a name, then its RESP2 and RESP3 bytes (escaped).
    fn snapshot_table(frames: &[(&str, Frame)]) -> String {
        let lines = frames.iter().map(|(name, frame)| {
            let (resp2, resp3) = both(frame);
            format!("{name}\n  resp2: {resp2}\n  resp3: {resp3}")
        });
        lines.collect::<Vec<_>>().join("\n")
    }

    #[test]
    fn snapshot_scalars() {
        insta::assert_snapshot!(snapshot_table(&[
            ("simple", Frame::ok()),
            ("error", Frame::error("WRONGTYPE Operation against a key holding the wrong kind of value")),
            ("integer", Frame::Integer(i64::MIN)),
            ("bulk", Frame::bulk(b"bin\x00\r\n")),
            ("null", Frame::Null),
            ("null array", Frame::NullArray),
            ("double", Frame::double(0.1)),
            ("double inf", Frame::double(f64::INFINITY)),
            ("boolean", Frame::Boolean(true)),
            (
                "big number",
                Frame::BigNumber(Bytes::from_static(b"3492890328409238509324850943850943825024385"))
            ),
            ("verbatim", Frame::Verbatim { format: *b"txt", text: Bytes::from_static(b"Some string") }),
            ("blob error", Frame::BlobError(Bytes::from_static(b"SYNTAX invalid\nsyntax"))),
        ]));
    }

    #[test]
    fn snapshot_aggregates() {
        let hello = Frame::Map(vec![
            (Frame::bulk("server"), Frame::bulk("redis")),
            (Frame::bulk("proto"), Frame::Integer(3)),
            (Frame::bulk("modules"), Frame::Array(vec![])),
        ]);
        let message = Frame::Push(vec![Frame::bulk("message"), Frame::bulk("news"), Frame::bulk("hi")]);
        let attribute = Frame::Attribute {
            attributes: vec![(
                Frame::simple("key-popularity"),
                Frame::Map(vec![(Frame::bulk("a"), Frame::double(0.5))]),
            )],
            frame: Box::new(Frame::Array(vec![Frame::Integer(2527), Frame::Integer(9121)])),
        };
        insta::assert_snapshot!(snapshot_table(&[
            ("array", Frame::Array(vec![Frame::bulk("a"), Frame::Null, Frame::Integer(1)])),
            ("nested", Frame::Array(vec![Frame::Array(vec![]), Frame::NullArray])),
            ("hello map", hello),
            ("set", Frame::Set(vec![Frame::bulk("x"), Frame::Boolean(false)])),
            ("pubsub push", message),
            ("attribute", attribute),
        ]));
    }

    #[test]
    fn requests_are_arrays_of_bulk_strings() {
        let mut out = BytesMut::new();
        encode_request(&["SET", "k", ""], &mut out);
        assert_eq!(&out[..], b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n");
        let mut out = BytesMut::new();
        encode_request::<&[u8]>(&[], &mut out);
        assert_eq!(&out[..], b"*0\r\n");
    }
}
