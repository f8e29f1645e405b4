//! RESP reply decoder (server → proxy): check, then parse.
//!
//! [`check_frame`] walks the bytes of one frame without allocating and answers "complete, this long",
//! "need more bytes" ([`DecodeError::Incomplete`]) or a [`ProtocolError`]. [`parse_frame`] then builds
//! the [`Frame`] from a complete buffer; bulk payloads are `Bytes::slice`s of it, never copies.
//! [`decode_frame`] combines both for an incremental read buffer.
//!
//! Every size read from the wire is checked against [`Limits`] before it is trusted, nesting is bounded,
//! and no input makes the decoder panic. RESP3 streamed types (`$?`, `*?`, `;`, `.`) are rejected:
//! Redis never sends them.

use std::ops::Range;

use bytes::{Bytes, BytesMut};

use super::frame::Frame;

/// Default largest bulk string: Redis's `proto-max-bulk-len` default (512 MiB).
pub const DEFAULT_MAX_BULK_LEN_BYTES: usize = 512 * 1024 * 1024;
/// Default largest aggregate (array, map, set, push, attribute) as counted in its header.
pub const DEFAULT_MAX_ARRAY_LEN_ELEMENTS: usize = 1024 * 1024;
/// Default longest line (inline request, simple string, header): Redis's `PROTO_INLINE_MAX_SIZE`.
pub const DEFAULT_MAX_INLINE_LEN_BYTES: usize = 64 * 1024;
/// Default deepest nesting of aggregates inside one frame.
pub const DEFAULT_MAX_DEPTH_LEVELS: usize = 64;
/// Nesting [`parse_frame`] accepts; it has no `Limits` argument and only guards its own stack, so a
/// `Limits::max_depth` above this makes checked frames unparsable.
pub const PARSE_MAX_DEPTH_LEVELS: usize = 256;

/// The smallest encoded frame (`_\r\n`, `:1\r\n` is longer): bounds `Vec` capacity taken from headers.
const MIN_FRAME_LEN_BYTES: usize = 3;

/// Bounds on what one connection may make the decoder accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest bulk string payload (`$`, `=`, `!`), in bytes.
    pub max_bulk_len: usize,
    /// Largest element count in one aggregate header (pairs for maps and attributes).
    pub max_array_len: usize,
    /// Longest line, in bytes without its terminator: inline requests, simple strings, headers.
    pub max_inline_len: usize,
    /// Deepest nesting of aggregates; a top-level array is depth 1.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: DEFAULT_MAX_BULK_LEN_BYTES,
            max_array_len: DEFAULT_MAX_ARRAY_LEN_ELEMENTS,
            max_inline_len: DEFAULT_MAX_INLINE_LEN_BYTES,
            max_depth: DEFAULT_MAX_DEPTH_LEVELS,
        }
    }
}

/// Why a buffer does not (yet) yield a frame.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum DecodeError {
    /// The buffer holds a valid prefix of a frame: read more bytes and try again.
    #[error("incomplete frame: more bytes needed")]
    Incomplete,
    /// The bytes can never become a valid frame; the connection must be closed.
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
}

/// A protocol violation. `Display` is Redis-style text a client sees after `ERR `.
#[derive(thiserror::Error, Debug, Clone, PartialEq)]
pub enum ProtocolError {
    /// An aggregate header count is not an integer, is negative (other than `*-1`) or is over the limit.
    #[error("Protocol error: invalid multibulk length")]
    InvalidMultibulkLength,
    /// A bulk header length is not an integer, is negative (other than `$-1`) or is over the limit.
    #[error("Protocol error: invalid bulk length")]
    InvalidBulkLength,
    /// A request's `*n` header line is longer than the line limit.
    #[error("Protocol error: too big mbulk count string")]
    TooBigMultibulkCount,
    /// A request's `$n` header line is longer than the line limit.
    #[error("Protocol error: too big bulk count string")]
    TooBigBulkCount,
    /// A request array element is not a bulk string; `got` is its first byte.
    #[error("Protocol error: expected '$', got '{}'", .got.escape_ascii())]
    ExpectedBulk {
        /// The byte found where `$` was expected.
        got: u8,
    },
    /// An inline request line is longer than the line limit.
    #[error("Protocol error: too big inline request")]
    TooBigInline,
    /// An inline request has an unterminated quote, or a closing quote not followed by a space.
    #[error("Protocol error: unbalanced quotes in request")]
    UnbalancedQuotes,
    /// A reply line (simple string, error, number, header) is longer than the line limit.
    #[error("Protocol error: line longer than {limit} bytes")]
    LineTooLong {
        /// The line limit in force, in bytes.
        limit: usize,
    },
    /// A frame starts with a byte that is no RESP2/RESP3 type.
    #[error("Protocol error: invalid frame type byte 0x{byte:02x}")]
    InvalidTypeByte {
        /// The offending first byte.
        byte: u8,
    },
    /// A RESP3 streamed string or aggregate (`$?`, `*?`, `;`, `.`), which Redis never sends.
    #[error("Protocol error: streamed RESP3 type '{}' is not supported", .type_byte.escape_ascii())]
    StreamedType {
        /// The type byte of the streamed frame.
        type_byte: u8,
    },
    /// Aggregates nest deeper than the depth limit.
    #[error("Protocol error: nesting deeper than {limit}")]
    TooDeep {
        /// The depth limit in force.
        limit: usize,
    },
    /// A line ends in a bare LF, or a bulk payload is not followed by CRLF.
    #[error("Protocol error: expected CRLF")]
    ExpectedCrlf,
    /// A `:` integer is not a decimal 64-bit signed integer.
    #[error("Protocol error: invalid integer")]
    InvalidInteger,
    /// A `,` double is not a number, `inf`, `-inf` or `nan`.
    #[error("Protocol error: invalid double")]
    InvalidDouble,
    /// A `#` boolean is neither `t` nor `f`.
    #[error("Protocol error: invalid boolean")]
    InvalidBoolean,
    /// A `(` big number is not an optionally signed run of decimal digits.
    #[error("Protocol error: invalid big number")]
    InvalidBigNumber,
    /// A `_` null carries a payload.
    #[error("Protocol error: invalid null")]
    InvalidNull,
    /// A `=` verbatim string is shorter than `fmt:` or lacks the `:` after its format.
    #[error("Protocol error: invalid verbatim string")]
    InvalidVerbatim,
    /// [`parse_frame`] was given a buffer that ends inside the frame.
    #[error("Protocol error: truncated frame")]
    Truncated,
}

/// Which aggregate a header opened; decides how many child frames follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AggregateKind {
    /// `*n`: n frames.
    Array,
    /// `%n`: n key/value pairs.
    Map,
    /// `~n`: n frames.
    Set,
    /// `>n`: n frames.
    Push,
    /// `|n`: n key/value pairs, then the described frame.
    Attribute,
}

impl AggregateKind {
    /// Number of frames after a header announcing `count`.
    fn child_count(self, count: usize) -> usize {
        match self {
            AggregateKind::Array | AggregateKind::Set | AggregateKind::Push => count,
            AggregateKind::Map => count.saturating_mul(2),
            AggregateKind::Attribute => count.saturating_mul(2).saturating_add(1),
        }
    }
}

/// One type line read from the wire (plus the payload of blob types), as byte ranges: no allocation.
#[derive(Clone, Debug, PartialEq)]
enum Item {
    /// `+` payload.
    Simple(Range<usize>),
    /// `-` payload.
    Error(Range<usize>),
    /// `:` value.
    Integer(i64),
    /// `,` text.
    Double(Range<usize>),
    /// `#t` / `#f`.
    Boolean(bool),
    /// `(` digits.
    BigNumber(Range<usize>),
    /// `_` or `$-1`.
    Null,
    /// `*-1`.
    NullArray,
    /// `$` payload.
    Bulk(Range<usize>),
    /// `=` payload split into format and text.
    Verbatim {
        /// The three format bytes.
        format: [u8; 3],
        /// The text after `fmt:`.
        text: Range<usize>,
    },
    /// `!` payload.
    BlobError(Range<usize>),
    /// An aggregate header; its children follow.
    Aggregate {
        /// Which aggregate.
        kind: AggregateKind,
        /// The count written in the header.
        count: usize,
    },
}

/// Why [`read_line`] found no line; callers map it to their own error texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum LineError {
    /// No LF yet, and the line may still fit the limit.
    Incomplete,
    /// The line is (or will be) longer than the limit.
    TooLong,
    /// The LF is not preceded by CR.
    BareLineFeed,
}

/// Finds the CRLF-terminated line starting at `start`; returns the range of its content (without CRLF).
/// Scans at most `max_len + 2` bytes.
pub(super) fn read_line(buf: &[u8], start: usize, max_len: usize) -> Result<Range<usize>, LineError> {
    let window_end = buf.len().min(start.saturating_add(max_len).saturating_add(2));
    let window = buf.get(start..window_end).unwrap_or_default();
    match window.iter().position(|&byte| byte == b'\n') {
        Some(offset) if offset > 0 && window[offset - 1] == b'\r' => Ok(start..start + offset - 1),
        Some(offset) if offset > max_len => Err(LineError::TooLong),
        Some(_) => Err(LineError::BareLineFeed),
        // A trailing CR may be the first half of the terminator; anything else already counts.
        None if window.strip_suffix(b"\r").unwrap_or(window).len() > max_len => Err(LineError::TooLong),
        None => Err(LineError::Incomplete),
    }
}

/// Parses a decimal `i64` the way Redis's `string2ll` does: optional `-`, no `+`, no leading zeros.
pub(super) fn parse_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    match digits {
        [] => return None,
        [b'0'] if !negative => return Some(0),
        [b'0', ..] => return None,
        _ => {}
    }
    let mut value: i64 = 0;
    for &digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        // Accumulate negatively so that i64::MIN parses.
        value = value.checked_mul(10)?.checked_sub(i64::from(digit - b'0'))?;
    }
    if negative {
        Some(value)
    } else {
        value.checked_neg()
    }
}

/// Is there one complete frame at the start of `buf`? Returns its length in bytes. Never allocates.
pub fn check_frame(buf: &[u8], limits: &Limits) -> Result<usize, DecodeError> {
    skip_frame(buf, 0, limits, 0)
}

/// Returns the position after the frame starting at `start`, whose aggregates sit at nesting `depth`.
fn skip_frame(buf: &[u8], start: usize, limits: &Limits, depth: usize) -> Result<usize, DecodeError> {
    let (item, mut next) = read_item(buf, start, limits)?;
    let Item::Aggregate { kind, count } = item else {
        return Ok(next);
    };
    if depth >= limits.max_depth {
        return Err(ProtocolError::TooDeep { limit: limits.max_depth }.into());
    }
    for _ in 0..kind.child_count(count) {
        next = skip_frame(buf, next, limits, depth + 1)?;
    }
    Ok(next)
}

/// Reads the type line at `start` (and the payload of a blob type); returns it and the next position.
fn read_item(buf: &[u8], start: usize, limits: &Limits) -> Result<(Item, usize), DecodeError> {
    let Some(&type_byte) = buf.get(start) else {
        return Err(DecodeError::Incomplete);
    };
    check_type_byte(type_byte)?;
    let line = read_line(buf, start + 1, limits.max_inline_len).map_err(|error| match error {
        LineError::Incomplete => DecodeError::Incomplete,
        LineError::TooLong => ProtocolError::LineTooLong { limit: limits.max_inline_len }.into(),
        LineError::BareLineFeed => ProtocolError::ExpectedCrlf.into(),
    })?;
    let next = line.end + 2;
    let text = &buf[line.clone()];
    if text == b"?" && matches!(type_byte, b'$' | b'*' | b'%' | b'~' | b'>' | b'|') {
        return Err(ProtocolError::StreamedType { type_byte }.into());
    }
    let item = match type_byte {
        b'$' | b'=' | b'!' => return read_blob(buf, type_byte, text, next, limits),
        b'*' | b'%' | b'~' | b'>' | b'|' => read_aggregate_header(type_byte, text, limits)?,
        _ => read_scalar(type_byte, text, line)?,
    };
    Ok((item, next))
}

/// Rejects bytes that start no frame this decoder supports.
fn check_type_byte(type_byte: u8) -> Result<(), ProtocolError> {
    match type_byte {
        b'+' | b'-' | b':' | b'$' | b'*' | b'_' | b',' | b'#' | b'(' | b'=' | b'!' | b'%' | b'~' | b'|'
        | b'>' => Ok(()),
        b';' | b'.' => Err(ProtocolError::StreamedType { type_byte }),
        byte => Err(ProtocolError::InvalidTypeByte { byte }),
    }
}

/// Builds the item of a one-line type from its text (`line` is where that text sits in the buffer).
fn read_scalar(type_byte: u8, text: &[u8], line: Range<usize>) -> Result<Item, ProtocolError> {
    Ok(match type_byte {
        b'+' => Item::Simple(line),
        b'-' => Item::Error(line),
        b':' => Item::Integer(parse_integer(text).ok_or(ProtocolError::InvalidInteger)?),
        b',' if is_double(text) => Item::Double(line),
        b',' => return Err(ProtocolError::InvalidDouble),
        b'#' => match text {
            b"t" => Item::Boolean(true),
            b"f" => Item::Boolean(false),
            _ => return Err(ProtocolError::InvalidBoolean),
        },
        b'(' if is_big_number(text) => Item::BigNumber(line),
        b'(' => return Err(ProtocolError::InvalidBigNumber),
        b'_' if text.is_empty() => Item::Null,
        b'_' => return Err(ProtocolError::InvalidNull),
        byte => return Err(ProtocolError::InvalidTypeByte { byte }),
    })
}

/// Does `text` read as a RESP3 double (`1.5`, `-2e+10`, `inf`, `-inf`, `nan`)?
fn is_double(text: &[u8]) -> bool {
    std::str::from_utf8(text).is_ok_and(|text| text.parse::<f64>().is_ok())
}

/// Does `text` read as a RESP3 big number: an optional sign, then at least one decimal digit?
fn is_big_number(text: &[u8]) -> bool {
    let digits = match text {
        [b'-' | b'+', rest @ ..] => rest,
        _ => text,
    };
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Reads an aggregate header's count (`*-1` is the RESP2 null array).
fn read_aggregate_header(type_byte: u8, text: &[u8], limits: &Limits) -> Result<Item, ProtocolError> {
    let kind = match type_byte {
        b'*' if text == b"-1" => return Ok(Item::NullArray),
        b'*' => AggregateKind::Array,
        b'%' => AggregateKind::Map,
        b'~' => AggregateKind::Set,
        b'>' => AggregateKind::Push,
        _ => AggregateKind::Attribute,
    };
    let count = parse_integer(text)
        .and_then(|count| usize::try_from(count).ok())
        .filter(|&count| count <= limits.max_array_len)
        .ok_or(ProtocolError::InvalidMultibulkLength)?;
    Ok(Item::Aggregate { kind, count })
}

/// Reads a blob type (`$`, `=`, `!`) whose header text is `text` and whose payload starts at `start`.
fn read_blob(
    buf: &[u8],
    type_byte: u8,
    text: &[u8],
    start: usize,
    limits: &Limits,
) -> Result<(Item, usize), DecodeError> {
    if type_byte == b'$' && text == b"-1" {
        return Ok((Item::Null, start));
    }
    let length = parse_integer(text)
        .and_then(|length| usize::try_from(length).ok())
        .filter(|&length| length <= limits.max_bulk_len)
        .ok_or(ProtocolError::InvalidBulkLength)?;
    let end = start.checked_add(length).ok_or(ProtocolError::InvalidBulkLength)?;
    let terminator = buf.get(end..end.saturating_add(2)).ok_or(DecodeError::Incomplete)?;
    if terminator != b"\r\n" {
        return Err(ProtocolError::ExpectedCrlf.into());
    }
    let payload = start..end;
    let item = match type_byte {
        b'$' => Item::Bulk(payload),
        b'!' => Item::BlobError(payload),
        _ => read_verbatim(buf, payload)?,
    };
    Ok((item, end + 2))
}

/// Splits a verbatim payload `fmt:text` into its format and text.
fn read_verbatim(buf: &[u8], payload: Range<usize>) -> Result<Item, ProtocolError> {
    match &buf[payload.clone()] {
        [first, second, third, b':', ..] => {
            Ok(Item::Verbatim { format: [*first, *second, *third], text: payload.start + 4..payload.end })
        }
        _ => Err(ProtocolError::InvalidVerbatim),
    }
}

/// Parses the frame at the start of `buf` (checked by [`check_frame`]); bytes after it are ignored.
/// Payloads are zero-copy slices of `buf`. Safe on unchecked input: errors, never panics.
pub fn parse_frame(buf: &Bytes) -> Result<Frame, ProtocolError> {
    parse_at(buf, 0, 0).map(|(frame, _)| frame)
}

/// Limits for parsing already-checked input: sizes are bounded by the buffer itself.
const PARSE_LIMITS: Limits = Limits {
    max_bulk_len: usize::MAX,
    max_array_len: usize::MAX,
    max_inline_len: usize::MAX,
    max_depth: PARSE_MAX_DEPTH_LEVELS,
};

/// Parses the frame at `start` whose aggregates sit at nesting `depth`; returns it and the next position.
fn parse_at(buf: &Bytes, start: usize, depth: usize) -> Result<(Frame, usize), ProtocolError> {
    let (item, next) = read_item(buf, start, &PARSE_LIMITS).map_err(|error| match error {
        DecodeError::Incomplete => ProtocolError::Truncated,
        DecodeError::Protocol(error) => error,
    })?;
    let frame = match item {
        Item::Simple(range) => Frame::Simple(buf.slice(range)),
        Item::Error(range) => Frame::Error(buf.slice(range)),
        Item::Integer(value) => Frame::Integer(value),
        Item::Double(range) => Frame::Double(buf.slice(range)),
        Item::Boolean(value) => Frame::Boolean(value),
        Item::BigNumber(range) => Frame::BigNumber(buf.slice(range)),
        Item::Null => Frame::Null,
        Item::NullArray => Frame::NullArray,
        Item::Bulk(range) => Frame::Bulk(buf.slice(range)),
        Item::Verbatim { format, text } => Frame::Verbatim { format, text: buf.slice(text) },
        Item::BlobError(range) => Frame::BlobError(buf.slice(range)),
        Item::Aggregate { kind, count } => return parse_aggregate(buf, kind, count, next, depth),
    };
    Ok((frame, next))
}

/// Parses the `count` children of an aggregate header that ended at `start`.
fn parse_aggregate(
    buf: &Bytes,
    kind: AggregateKind,
    count: usize,
    start: usize,
    depth: usize,
) -> Result<(Frame, usize), ProtocolError> {
    if depth >= PARSE_MAX_DEPTH_LEVELS {
        return Err(ProtocolError::TooDeep { limit: PARSE_MAX_DEPTH_LEVELS });
    }
    let children_max = buf.len().saturating_sub(start) / MIN_FRAME_LEN_BYTES;
    let mut children = Vec::with_capacity(kind.child_count(count).min(children_max));
    let mut next = start;
    for _ in 0..kind.child_count(count) {
        let (child, after) = parse_at(buf, next, depth + 1)?;
        children.push(child);
        next = after;
    }
    let frame = match kind {
        AggregateKind::Array => Frame::Array(children),
        AggregateKind::Set => Frame::Set(children),
        AggregateKind::Push => Frame::Push(children),
        AggregateKind::Map => Frame::Map(into_pairs(children)),
        AggregateKind::Attribute => {
            let described = children.pop().ok_or(ProtocolError::Truncated)?;
            Frame::Attribute { attributes: into_pairs(children), frame: Box::new(described) }
        }
    };
    Ok((frame, next))
}

/// Pairs up key, value, key, value ... (an odd last element cannot occur: counts are doubled).
fn into_pairs(children: Vec<Frame>) -> Vec<(Frame, Frame)> {
    let mut pairs = Vec::with_capacity(children.len() / 2);
    let mut children = children.into_iter();
    while let (Some(key), Some(value)) = (children.next(), children.next()) {
        pairs.push((key, value));
    }
    pairs
}

/// Incremental decoding: if `buf` starts with a complete frame, splits it off and returns the frame with
/// the raw bytes it was parsed from (for forwarding as is). `Ok(None)` means "read more".
pub fn decode_frame(buf: &mut BytesMut, limits: &Limits) -> Result<Option<(Frame, Bytes)>, ProtocolError> {
    let length = match check_frame(buf, limits) {
        Ok(length) => length,
        Err(DecodeError::Incomplete) => return Ok(None),
        Err(DecodeError::Protocol(error)) => return Err(error),
    };
    split_and_parse(buf, length).map(Some)
}

/// Splits the first `length` (checked) bytes off `buf` and parses them.
fn split_and_parse(buf: &mut BytesMut, length: usize) -> Result<(Frame, Bytes), ProtocolError> {
    let raw = buf.split_to(length).freeze();
    let frame = parse_frame(&raw)?;
    Ok((frame, raw))
}

/// Stateful incremental decoder for one connection's reply stream: like [`decode_frame`], but it
/// remembers how far it has checked the frame being received, so a large reply arriving in many reads
/// is scanned once in total instead of once per read.
///
/// Call order: append what the socket delivered to `buf`, then call [`FrameDecoder::decode`] until it
/// returns `Ok(None)`. Do not touch the unconsumed front of `buf` in between. After an error the
/// connection must be closed.
#[derive(Clone, Debug)]
pub struct FrameDecoder {
    /// The limits every frame is checked against.
    limits: Limits,
    /// Where the check of the current frame stopped: the start of the first item not yet read.
    position: usize,
    /// Children still expected by each open aggregate, outermost first (at most `max_depth` long).
    open_aggregates: Vec<usize>,
}

impl FrameDecoder {
    /// A decoder that enforces `limits`.
    pub fn new(limits: Limits) -> FrameDecoder {
        FrameDecoder { limits, position: 0, open_aggregates: Vec::new() }
    }

    /// Returns the next complete frame and its raw bytes, split off `buf`; `Ok(None)` means "read more".
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<(Frame, Bytes)>, ProtocolError> {
        match self.scan(buf) {
            Ok(length) => split_and_parse(buf, length).map(Some),
            Err(DecodeError::Incomplete) => Ok(None),
            Err(DecodeError::Protocol(error)) => Err(error),
        }
    }

    /// Like [`FrameDecoder::decode`] without parsing: the raw bytes of the next complete frame, for
    /// callers that forward replies unchanged (the proxy's datastore connections).
    pub fn decode_raw(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, ProtocolError> {
        match self.scan(buf) {
            Ok(length) => Ok(Some(buf.split_to(length).freeze())),
            Err(DecodeError::Incomplete) => Ok(None),
            Err(DecodeError::Protocol(error)) => Err(error),
        }
    }

    /// Continues checking the frame at the start of `buf`; returns its length once complete.
    fn scan(&mut self, buf: &[u8]) -> Result<usize, DecodeError> {
        loop {
            let (item, next) = read_item(buf, self.position, &self.limits)?;
            self.position = next;
            if let Some(remaining) = self.open_aggregates.last_mut() {
                *remaining -= 1;
            }
            if let Item::Aggregate { kind, count } = item {
                if self.open_aggregates.len() >= self.limits.max_depth {
                    return Err(ProtocolError::TooDeep { limit: self.limits.max_depth }.into());
                }
                self.open_aggregates.push(kind.child_count(count));
            }
            while self.open_aggregates.last() == Some(&0) {
                self.open_aggregates.pop();
            }
            if self.open_aggregates.is_empty() {
                return Ok(std::mem::take(&mut self.position));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8]) -> Result<Vec<Frame>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let mut frames = Vec::new();
        while let Some((frame, _raw)) = decode_frame(&mut buf, &Limits::default())? {
            frames.push(frame);
        }
        assert!(buf.is_empty(), "left over: {:?}", buf);
        Ok(frames)
    }

    fn decode_one(input: &[u8]) -> Frame {
        let frames = decode_all(input).unwrap_or_else(|error| panic!("{error} for {input:?}"));
        assert_eq!(frames.len(), 1, "{frames:?}");
        frames.into_iter().next().unwrap_or(Frame::Null)
    }

    fn error_of(input: &[u8], limits: &Limits) -> ProtocolError {
        match check_frame(input, limits) {
            Err(DecodeError::Protocol(error)) => error,
            other => panic!("expected a protocol error for {input:?}, got {other:?}"),
        }
    }

    fn bytes(text: &'static str) -> Bytes {
        Bytes::from_static(text.as_bytes())
    }

    #[test]
    fn decodes_resp2_types() {
        assert_eq!(decode_one(b"+OK\r\n"), Frame::ok());
        assert_eq!(decode_one(b"-ERR no\r\n"), Frame::error("ERR no"));
        assert_eq!(decode_one(b":-9223372036854775808\r\n"), Frame::Integer(i64::MIN));
        assert_eq!(decode_one(b"$3\r\na\r\n\r\n"), Frame::bulk("a\r\n"));
        assert_eq!(decode_one(b"$0\r\n\r\n"), Frame::bulk(""));
        assert_eq!(decode_one(b"$-1\r\n"), Frame::Null);
        assert_eq!(decode_one(b"*-1\r\n"), Frame::NullArray);
        assert_eq!(decode_one(b"*0\r\n"), Frame::Array(vec![]));
        let nested = decode_one(b"*2\r\n*1\r\n:1\r\n$1\r\nx\r\n");
        assert_eq!(nested, Frame::Array(vec![Frame::Array(vec![Frame::Integer(1)]), Frame::bulk("x")]));
    }

    #[test]
    fn decodes_resp3_types() {
        assert_eq!(decode_one(b"_\r\n"), Frame::Null);
        assert_eq!(decode_one(b",1.5\r\n"), Frame::Double(bytes("1.5")));
        assert_eq!(decode_one(b",-inf\r\n"), Frame::Double(bytes("-inf")));
        assert_eq!(decode_one(b"#t\r\n"), Frame::Boolean(true));
        assert_eq!(decode_one(b"#f\r\n"), Frame::Boolean(false));
        assert_eq!(
            decode_one(b"(-12345678901234567890\r\n"),
            Frame::BigNumber(bytes("-12345678901234567890"))
        );
        let verbatim = Frame::Verbatim { format: *b"txt", text: bytes("a\r\nb") };
        assert_eq!(decode_one(b"=8\r\ntxt:a\r\nb\r\n"), verbatim);
        assert_eq!(decode_one(b"!3\r\nBAD\r\n"), Frame::BlobError(bytes("BAD")));
        let map = Frame::Map(vec![(Frame::simple("a"), Frame::Integer(1))]);
        assert_eq!(decode_one(b"%1\r\n+a\r\n:1\r\n"), map);
        assert_eq!(decode_one(b"~1\r\n#t\r\n"), Frame::Set(vec![Frame::Boolean(true)]));
        assert_eq!(decode_one(b">1\r\n+m\r\n"), Frame::Push(vec![Frame::simple("m")]));
        let attribute = Frame::Attribute {
            attributes: vec![(Frame::simple("k"), Frame::Integer(2))],
            frame: Box::new(Frame::Integer(7)),
        };
        assert_eq!(decode_one(b"|1\r\n+k\r\n:2\r\n:7\r\n"), attribute);
    }

    #[test]
    fn pipelined_frames_split_one_by_one_with_their_raw_bytes() {
        let mut buf = BytesMut::from(&b"+a\r\n:1\r\n$2\r\nx"[..]);
        let (frame, raw) = decode_frame(&mut buf, &Limits::default()).unwrap().unwrap();
        assert_eq!((frame, &raw[..]), (Frame::simple("a"), &b"+a\r\n"[..]));
        let (frame, raw) = decode_frame(&mut buf, &Limits::default()).unwrap().unwrap();
        assert_eq!((frame, &raw[..]), (Frame::Integer(1), &b":1\r\n"[..]));
        assert_eq!(decode_frame(&mut buf, &Limits::default()), Ok(None));
        buf.extend_from_slice(b"y\r\n");
        let (frame, _) = decode_frame(&mut buf, &Limits::default()).unwrap().unwrap();
        assert_eq!(frame, Frame::bulk("xy"));
        assert!(buf.is_empty());
    }

    #[test]
    fn bulk_payloads_are_slices_of_the_input() {
        let input = Bytes::from_static(b"*1\r\n$5\r\nhello\r\n");
        let Ok(Frame::Array(items)) = parse_frame(&input) else { panic!("not an array") };
        let Frame::Bulk(payload) = &items[0] else { panic!("not a bulk") };
        assert_eq!(payload.as_ptr(), input[8..].as_ptr());
    }

    #[test]
    fn frame_decoder_resumes_where_it_stopped() {
        let input = b"*3\r\n%1\r\n+k\r\n*0\r\n|1\r\n+a\r\n:1\r\n$2\r\nxy\r\n:5\r\n+z\r\n";
        let mut decoder = FrameDecoder::new(Limits::default());
        let mut buf = BytesMut::new();
        let mut frames = Vec::new();
        for &byte in input {
            buf.extend_from_slice(&[byte]);
            while let Some((frame, raw)) = decoder.decode(&mut buf).unwrap() {
                assert_eq!(parse_frame(&raw), Ok(frame.clone()));
                frames.push(frame);
            }
        }
        assert_eq!(frames, decode_all(input).unwrap());
        assert_eq!(frames.len(), 2);
    }

    #[test]
    fn frame_decoder_enforces_depth() {
        let mut decoder = FrameDecoder::new(Limits { max_depth: 1, ..Limits::default() });
        let mut buf = BytesMut::from(&b"*1\r\n:1\r\n*1\r\n*1\r\n"[..]);
        assert!(decoder.decode(&mut buf).unwrap().is_some());
        assert_eq!(decoder.decode(&mut buf), Err(ProtocolError::TooDeep { limit: 1 }));
    }

    #[test]
    fn prefixes_are_incomplete() {
        let input = b"*2\r\n%1\r\n+k\r\n=6\r\ntxt:ab\r\n$-1\r\n";
        assert_eq!(check_frame(input, &Limits::default()), Ok(input.len()));
        for end in 0..input.len() {
            assert_eq!(check_frame(&input[..end], &Limits::default()), Err(DecodeError::Incomplete), "{end}");
        }
    }

    #[test]
    fn malformed_frames_are_protocol_errors() {
        let limits = Limits::default();
        let cases: [(&[u8], ProtocolError); 14] = [
            (b"?x\r\n", ProtocolError::InvalidTypeByte { byte: b'?' }),
            (b":12a\r\n", ProtocolError::InvalidInteger),
            (b":01\r\n", ProtocolError::InvalidInteger),
            (b":9223372036854775808\r\n", ProtocolError::InvalidInteger),
            (b"$-2\r\n", ProtocolError::InvalidBulkLength),
            (b"$1\r\nab\r\n", ProtocolError::ExpectedCrlf),
            (b"+ok\n", ProtocolError::ExpectedCrlf),
            (b"*x\r\n", ProtocolError::InvalidMultibulkLength),
            (b"%-1\r\n", ProtocolError::InvalidMultibulkLength),
            (b"#x\r\n", ProtocolError::InvalidBoolean),
            (b",abc\r\n", ProtocolError::InvalidDouble),
            (b"(1.5\r\n", ProtocolError::InvalidBigNumber),
            (b"=2\r\nab\r\n", ProtocolError::InvalidVerbatim),
            (b"_x\r\n", ProtocolError::InvalidNull),
        ];
        for (input, expected) in cases {
            assert_eq!(error_of(input, &limits), expected, "{:?}", input.escape_ascii().to_string());
        }
    }

    #[test]
    fn streamed_types_are_rejected() {
        let limits = Limits::default();
        assert_eq!(error_of(b"$?\r\n", &limits), ProtocolError::StreamedType { type_byte: b'$' });
        assert_eq!(error_of(b"*?\r\n", &limits), ProtocolError::StreamedType { type_byte: b'*' });
        assert_eq!(error_of(b";4\r\n", &limits), ProtocolError::StreamedType { type_byte: b';' });
        assert_eq!(decode_one(b"+?\r\n"), Frame::simple("?"));
    }

    #[test]
    fn limits_are_enforced() {
        let limits = Limits { max_bulk_len: 4, max_array_len: 2, max_inline_len: 8, max_depth: 2 };
        assert_eq!(check_frame(b"$4\r\nabcd\r\n", &limits), Ok(10));
        assert_eq!(error_of(b"$5\r\n", &limits), ProtocolError::InvalidBulkLength);
        assert_eq!(check_frame(b"*2\r\n:1\r\n:2\r\n", &limits), Ok(12));
        assert_eq!(error_of(b"*3\r\n", &limits), ProtocolError::InvalidMultibulkLength);
        assert_eq!(check_frame(b"+12345678\r\n", &limits), Ok(11));
        assert_eq!(error_of(b"+123456789", &limits), ProtocolError::LineTooLong { limit: 8 });
        assert_eq!(check_frame(b"+12345678\r", &limits), Err(DecodeError::Incomplete));
        assert_eq!(check_frame(b"*1\r\n*1\r\n:1\r\n", &limits), Ok(12));
        assert_eq!(error_of(b"*1\r\n*1\r\n*1\r\n", &limits), ProtocolError::TooDeep { limit: 2 });
        assert_eq!(error_of(b"|0\r\n|0\r\n|0\r\n", &limits), ProtocolError::TooDeep { limit: 2 });
    }

    #[test]
    fn default_depth_allows_64_levels() {
        let limits = Limits::default();
        let deep = |levels: usize| [b"*1\r\n".repeat(levels), b":1\r\n".to_vec()].concat();
        assert_eq!(check_frame(&deep(64), &limits), Ok(64 * 4 + 4));
        assert_eq!(error_of(&deep(65), &limits), ProtocolError::TooDeep { limit: 64 });
        assert_eq!(parse_frame(&Bytes::from(deep(300))), Err(ProtocolError::TooDeep { limit: 256 }));
    }

    #[test]
    fn parse_frame_survives_unchecked_input() {
        assert_eq!(parse_frame(&Bytes::from_static(b"*3\r\n:1\r\n")), Err(ProtocolError::Truncated));
        let huge = Bytes::from_static(b"*1000000000\r\n");
        assert_eq!(parse_frame(&huge), Err(ProtocolError::Truncated));
    }

    #[test]
    fn errors_read_like_redis() {
        assert_eq!(
            ProtocolError::InvalidMultibulkLength.to_string(),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            ProtocolError::ExpectedBulk { got: b'x' }.to_string(),
            "Protocol error: expected '$', got 'x'"
        );
        let type_error = ProtocolError::InvalidTypeByte { byte: 0x41 }.to_string();
        assert_eq!(type_error, "Protocol error: invalid frame type byte 0x41");
        assert_eq!(
            ProtocolError::TooDeep { limit: 64 }.to_string(),
            "Protocol error: nesting deeper than 64"
        );
    }

    #[test]
    fn integers_parse_like_redis_string2ll() {
        let cases: [(&[u8], Option<i64>); 8] = [
            (b"0", Some(0)),
            (b"-1", Some(-1)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-0", None),
            (b"+1", None),
            (b"", None),
            (b"-", None),
            (b" 1", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_integer(text), expected, "{text:?}");
        }
    }
}
