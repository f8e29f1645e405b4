//! RESP2/RESP3 codec: frame model, incremental decoder, encoder, client request parser.
//!
//! - `frame`: the one value model for both protocol versions ([`Frame`], [`Protocol`]).
//! - `encode`: frame → bytes, downgrading RESP3-only types for RESP2 connections like Redis 7.
//! - `decode`: bytes → frame for replies (check without allocating, then parse zero-copy);
//!   [`FrameDecoder`] is the per-connection form that does not rescan a large reply on every read.
//! - `request`: bytes → [`Request`] for what clients send (arrays of bulk strings or inline commands);
//!   [`RequestDecoder`] is the per-connection form that resumes where the last read stopped.
mod decode;
mod encode;
mod frame;
mod request;

pub use decode::{
    check_frame, decode_frame, parse_frame, DecodeError, FrameDecoder, Limits, ProtocolError,
    DEFAULT_MAX_ARRAY_LEN_ELEMENTS, DEFAULT_MAX_BULK_LEN_BYTES, DEFAULT_MAX_DEPTH_LEVELS,
    DEFAULT_MAX_INLINE_LEN_BYTES, PARSE_MAX_DEPTH_LEVELS,
};

pub use encode::{encode, encode_request};
pub use frame::{format_double, Frame, Protocol};
pub use request::{decode_request, Request, RequestDecoder};
