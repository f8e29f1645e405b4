//! Fuzz target `decode`: arbitrary bytes through the reply decoder, the request decoder and the
//! unchecked parser, with default and with tiny limits. Besides "never panics" it checks that a decoded
//! reply re-encodes to a canonical RESP3 form that decodes to itself, and that the stateful
//! `FrameDecoder` agrees with `decode_frame` and the resuming `RequestDecoder`, fed in small reads, with
//! `decode_request`.
#![no_main]

use bytes::{Bytes, BytesMut};
use dynomite_core::resp::{
    decode_frame, decode_request, parse_frame, FrameDecoder, Limits, Protocol, RequestDecoder,
};
use libfuzzer_sys::fuzz_target;

/// Limits small enough that the fuzzer reaches every limit check with short inputs.
const TINY_LIMITS: Limits = Limits { max_bulk_len: 4, max_array_len: 3, max_inline_len: 8, max_depth: 2 };

fuzz_target!(|data: &[u8]| {
    for limits in [Limits::default(), TINY_LIMITS] {
        decode_replies(data, &limits);
        decode_requests(data, &limits);
    }
    let _ = parse_frame(&Bytes::copy_from_slice(data));
});

/// Decodes replies until the input runs out or turns invalid; checks the RESP3 re-encoding is stable.
fn decode_replies(data: &[u8], limits: &Limits) {
    let (mut buf, mut decoder) = (BytesMut::from(data), FrameDecoder::new(*limits));
    let mut stateful = Vec::new();
    while let Ok(Some(decoded)) = decoder.decode(&mut buf) {
        stateful.push(decoded);
    }
    let mut buf = BytesMut::from(data);
    let mut stateless = Vec::new();
    while let Ok(Some((frame, raw))) = decode_frame(&mut buf, limits) {
        stateless.push((frame.clone(), raw.clone()));
        assert!(!raw.is_empty(), "a frame has at least one byte");
        let canonical = frame.to_bytes(Protocol::Resp3);
        let mut again = BytesMut::from(&canonical[..]);
        let unlimited = Limits { max_depth: limits.max_depth, ..Limits::default() };
        match decode_frame(&mut again, &unlimited) {
            Ok(Some((reparsed, _))) => {
                assert_eq!(reparsed.to_bytes(Protocol::Resp3), canonical, "RESP3 encoding is not stable");
                assert!(again.is_empty(), "re-encoding produced trailing bytes");
            }
            other => panic!("re-encoded frame does not decode: {other:?}"),
        }
        let _ = frame.to_bytes(Protocol::Resp2);
    }
    assert_eq!(stateful, stateless, "FrameDecoder and decode_frame disagree");
}

/// Decodes client requests until the input runs out or turns invalid, at once and in 3-byte reads.
fn decode_requests(data: &[u8], limits: &Limits) {
    let mut buf = BytesMut::from(data);
    let mut at_once = Vec::new();
    let at_once_end = loop {
        match decode_request(&mut buf, limits) {
            Ok(Some(request)) => {
                assert!(!request.args.is_empty(), "a request has a command name");
                at_once.push(request);
            }
            Ok(None) => break Ok(()),
            Err(error) => break Err(error),
        }
    };
    let (mut buf, mut decoder, mut resumed, mut resumed_end) =
        (BytesMut::new(), RequestDecoder::new(*limits), Vec::new(), Ok(()));
    'reads: for chunk in data.chunks(3) {
        buf.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut buf) {
                Ok(Some(request)) => resumed.push(request),
                Ok(None) => break,
                Err(error) => {
                    resumed_end = Err(error);
                    break 'reads;
                }
            }
        }
    }
    assert_eq!(resumed, at_once, "RequestDecoder and decode_request disagree");
    assert_eq!(resumed_end, at_once_end, "RequestDecoder and decode_request stop differently");
}
