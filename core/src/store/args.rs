//! Reply texts shared by every handler and the argument parsers that produce them.

use bytes::Bytes;

use crate::resp::Frame;

use super::numbers;

/// Redis's WRONGTYPE error.
pub(crate) const WRONG_TYPE: &str = "WRONGTYPE Operation against a key holding the wrong kind of value";
/// An argument or stored value that must be an integer is not.
pub(crate) const NOT_INTEGER: &str = "ERR value is not an integer or out of range";
/// An argument that must be a float is not.
pub(crate) const NOT_FLOAT: &str = "ERR value is not a valid float";
/// Options that do not parse.
pub(crate) const SYNTAX: &str = "ERR syntax error";
/// INCR-family overflow.
pub(crate) const OVERFLOW: &str = "ERR increment or decrement would overflow";
/// A count that must not be negative.
pub(crate) const NOT_POSITIVE: &str = "ERR value is out of range, must be positive";

/// The error reply for `text`.
pub(crate) fn error(text: &str) -> Frame {
    Frame::error(text)
}

/// Redis's wrong-arity error for the lowercase command name.
pub(crate) fn wrong_arity(name: &str) -> Frame {
    Frame::error(format!("ERR wrong number of arguments for '{name}' command"))
}

/// Parses an integer argument, or the NOT_INTEGER error.
pub(crate) fn integer(arg: &[u8]) -> Result<i64, Frame> {
    numbers::parse_i64(arg).ok_or_else(|| error(NOT_INTEGER))
}

/// Parses a float argument (no NaN), or the NOT_FLOAT error.
pub(crate) fn float(arg: &[u8]) -> Result<f64, Frame> {
    numbers::parse_f64(arg).ok_or_else(|| error(NOT_FLOAT))
}

/// A non-negative count argument (SPOP, LPOP, ZPOPMIN ...): NOT_POSITIVE when it is not a
/// non-negative integer, like Redis's `getPositiveLongFromObjectOrReply`.
pub(crate) fn count(arg: &[u8]) -> Result<usize, Frame> {
    numbers::parse_i64(arg).and_then(|value| usize::try_from(value).ok()).ok_or_else(|| error(NOT_POSITIVE))
}

/// True when `arg` equals `word` ignoring ASCII case.
pub(crate) fn is(arg: &[u8], word: &str) -> bool {
    arg.eq_ignore_ascii_case(word.as_bytes())
}

/// An array of bulk strings.
pub(crate) fn bulk_array<'a>(items: impl IntoIterator<Item = &'a Bytes>) -> Frame {
    Frame::Array(items.into_iter().map(|item| Frame::Bulk(item.clone())).collect())
}

/// A bulk string or the null bulk.
pub(crate) fn optional_bulk(value: Option<&Bytes>) -> Frame {
    value.map_or(Frame::Null, |value| Frame::Bulk(value.clone()))
}

/// Collapses a handler result whose error is already a reply.
pub(crate) fn reply(result: Result<Frame, Frame>) -> Frame {
    result.unwrap_or_else(|error| error)
}
