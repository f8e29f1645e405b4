//! Client request decoder (client → proxy), following Redis's `processMultibulkBuffer` and
//! `processInlineBuffer`.
//!
//! A request is either a RESP array of bulk strings (what every client library sends) or an inline
//! command (what telnet and `redis-cli` pipes send): space-separated words with Redis `sdssplitargs`
//! quoting. As in Redis, empty inline lines and arrays with a count of zero or less are skipped, and
//! every error text is the one Redis sends. After an error the connection must be closed: the bytes of
//! the bad request may already be consumed.

use bytes::{Buf, Bytes, BytesMut};

use super::decode::{parse_integer, read_line, DecodeError, Limits, LineError, ProtocolError};

/// One client command. Arguments of array requests are zero-copy slices of the read buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The command name (`args[0]`, any case) followed by its arguments; never empty.
    pub args: Vec<Bytes>,
}

/// What [`check_request`] found at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    /// Bytes Redis ignores (`*0`, `*-1`, an empty inline line): drop this many and look again.
    Skip(usize),
    /// A complete array request of `length` bytes with `count` bulk strings.
    Multibulk {
        /// Bytes the request occupies.
        length: usize,
        /// Number of arguments.
        count: usize,
    },
    /// A complete inline request of `length` bytes whose words end at `line_end` (before CR LF).
    Inline {
        /// Bytes the line occupies including its terminator.
        length: usize,
        /// End of the words (the terminator excluded).
        line_end: usize,
    },
}

/// Returns the next request from `buf`, or `Ok(None)` when more bytes are needed. Skips what Redis
/// skips (empty inline lines, `*0`, `*-1`) and enforces `limits` with Redis's error texts.
pub fn decode_request(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Request>, ProtocolError> {
    loop {
        let shape = match check_request(buf, limits) {
            Ok(shape) => shape,
            Err(DecodeError::Incomplete) => return Ok(None),
            Err(DecodeError::Protocol(error)) => return Err(error),
        };
        match shape {
            Shape::Skip(length) => buf.advance(length),
            Shape::Multibulk { length, count } => {
                let raw = buf.split_to(length).freeze();
                return Ok(Some(Request { args: parse_multibulk(&raw, count) }));
            }
            Shape::Inline { length, line_end } => {
                let raw = buf.split_to(length).freeze();
                let args = split_arguments(&raw.slice(..line_end))?;
                if !args.is_empty() {
                    return Ok(Some(Request { args }));
                }
            }
        }
    }
}

/// Decides, without allocating, whether `buf` starts with a complete request and what kind.
fn check_request(buf: &[u8], limits: &Limits) -> Result<Shape, DecodeError> {
    match buf.first() {
        None => Err(DecodeError::Incomplete),
        Some(b'*') => check_multibulk(buf, limits),
        Some(_) => check_inline(buf, limits),
    }
}

/// Checks `*N\r\n` followed by N `$len\r\n<payload>\r\n` elements.
fn check_multibulk(buf: &[u8], limits: &Limits) -> Result<Shape, DecodeError> {
    let line = read_request_line(buf, 1, limits, ProtocolError::TooBigMultibulkCount)?;
    let count = parse_integer(&buf[line.clone()])
        .filter(|&count| count <= i64::from(i32::MAX))
        .ok_or(ProtocolError::InvalidMultibulkLength)?;
    let Ok(count) = usize::try_from(count) else {
        // Redis ignores a count of zero or less.
        return Ok(Shape::Skip(line.end + 2));
    };
    if count == 0 {
        return Ok(Shape::Skip(line.end + 2));
    }
    if count > limits.max_array_len {
        return Err(ProtocolError::InvalidMultibulkLength.into());
    }
    let mut next = line.end + 2;
    for _ in 0..count {
        next = skip_bulk_argument(buf, next, limits)?.end + 2;
    }
    Ok(Shape::Multibulk { length: next, count })
}

/// Checks one `$len\r\n<payload>\r\n` at `start`; returns the payload's range.
fn skip_bulk_argument(
    buf: &[u8],
    start: usize,
    limits: &Limits,
) -> Result<std::ops::Range<usize>, DecodeError> {
    match buf.get(start) {
        None => return Err(DecodeError::Incomplete),
        Some(b'$') => {}
        Some(&got) => return Err(ProtocolError::ExpectedBulk { got }.into()),
    }
    let line = read_request_line(buf, start + 1, limits, ProtocolError::TooBigBulkCount)?;
    let length = parse_integer(&buf[line.clone()])
        .and_then(|length| usize::try_from(length).ok())
        .filter(|&length| length <= limits.max_bulk_len)
        .ok_or(ProtocolError::InvalidBulkLength)?;
    let payload_start = line.end + 2;
    let payload_end = payload_start.checked_add(length).ok_or(ProtocolError::InvalidBulkLength)?;
    match buf.get(payload_end..payload_end.saturating_add(2)) {
        None => Err(DecodeError::Incomplete),
        Some(b"\r\n") => Ok(payload_start..payload_end),
        Some(_) => Err(ProtocolError::ExpectedCrlf.into()),
    }
}

/// Reads a header line of an array request; `too_long` is Redis's error for an oversized one.
fn read_request_line(
    buf: &[u8],
    start: usize,
    limits: &Limits,
    too_long: ProtocolError,
) -> Result<std::ops::Range<usize>, DecodeError> {
    read_line(buf, start, limits.max_inline_len).map_err(|error| match error {
        LineError::Incomplete => DecodeError::Incomplete,
        LineError::TooLong => too_long.into(),
        LineError::BareLineFeed => ProtocolError::ExpectedCrlf.into(),
    })
}

/// Slices the `count` payloads out of a checked array request.
fn parse_multibulk(raw: &Bytes, count: usize) -> Vec<Bytes> {
    let unlimited = Limits {
        max_bulk_len: usize::MAX,
        max_array_len: usize::MAX,
        max_inline_len: usize::MAX,
        max_depth: 1,
    };
    let mut args = Vec::with_capacity(count);
    let mut next = read_line(raw, 1, usize::MAX).map_or(raw.len(), |line| line.end + 2);
    for _ in 0..count {
        // The request was checked, so every argument is present; stop quietly if not.
        let Ok(payload) = skip_bulk_argument(raw, next, &unlimited) else { break };
        next = payload.end + 2;
        args.push(raw.slice(payload));
    }
    args
}

/// Checks for a complete inline line (terminated by LF, optionally preceded by CR) within the limit.
fn check_inline(buf: &[u8], limits: &Limits) -> Result<Shape, DecodeError> {
    let window = &buf[..buf.len().min(limits.max_inline_len.saturating_add(2))];
    let Some(newline) = window.iter().position(|&byte| byte == b'\n') else {
        let pending = window.strip_suffix(b"\r").unwrap_or(window);
        if pending.len() > limits.max_inline_len {
            return Err(ProtocolError::TooBigInline.into());
        }
        return Err(DecodeError::Incomplete);
    };
    let line_end = if newline > 0 && buf[newline - 1] == b'\r' { newline - 1 } else { newline };
    if line_end > limits.max_inline_len {
        return Err(ProtocolError::TooBigInline.into());
    }
    Ok(Shape::Inline { length: newline + 1, line_end })
}

/// Splits an inline line into arguments like Redis's `sdssplitargs`. The line ends at its first NUL
/// (Redis works on C strings). Unquoted words are zero-copy slices; quoted ones are unescaped copies.
fn split_arguments(line: &Bytes) -> Result<Vec<Bytes>, ProtocolError> {
    let line = line.slice(..line.iter().position(|&byte| byte == 0).unwrap_or(line.len()));
    let mut args = Vec::new();
    let mut position = 0;
    loop {
        while line.get(position).is_some_and(|&byte| is_c_space(byte)) {
            position += 1;
        }
        if position >= line.len() {
            return Ok(args);
        }
        let (arg, next) = read_argument(&line, position)?;
        args.push(arg);
        position = next;
    }
}

/// C `isspace`: what `sdssplitargs` skips between words and requires after a closing quote.
fn is_c_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

/// What ends an unquoted word in `sdssplitargs` (a narrower set than `isspace`).
fn ends_word(byte: u8) -> bool {
    matches!(byte, b' ' | b'\n' | b'\r' | b'\t')
}

/// Reads the word starting at `start` (not a space); returns it and the position after it.
fn read_argument(line: &Bytes, start: usize) -> Result<(Bytes, usize), ProtocolError> {
    let plain_end = line[start..]
        .iter()
        .position(|&byte| ends_word(byte) || byte == b'"' || byte == b'\'')
        .map_or(line.len(), |offset| start + offset);
    let quote = match line.get(plain_end) {
        Some(&quote @ (b'"' | b'\'')) => quote,
        _ => return Ok((line.slice(start..plain_end), plain_end)),
    };
    // A quote opens mid-word too (`a"b c"` is `ab c`); the word ends at its closing quote.
    let mut word = line[start..plain_end].to_vec();
    let next = if quote == b'"' {
        read_double_quoted(line, plain_end + 1, &mut word)?
    } else {
        read_single_quoted(line, plain_end + 1, &mut word)?
    };
    Ok((Bytes::from(word), next))
}

/// Appends the unescaped content of a `"..."` section starting after its opening quote; returns the
/// position after the closing quote. Escapes: `\xHH`, `\n`, `\r`, `\t`, `\b`, `\a`, `\<any>`.
fn read_double_quoted(line: &[u8], start: usize, word: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    let mut position = start;
    loop {
        match line.get(position..).unwrap_or_default() {
            [] => return Err(ProtocolError::UnbalancedQuotes),
            [b'\\', b'x', high, low, ..] if high.is_ascii_hexdigit() && low.is_ascii_hexdigit() => {
                word.push(hex_value(*high) << 4 | hex_value(*low));
                position += 4;
            }
            [b'\\', escaped, ..] => {
                word.push(unescape(*escaped));
                position += 2;
            }
            [b'"', ..] => return after_closing_quote(line, position),
            [byte, ..] => {
                word.push(*byte);
                position += 1;
            }
        }
    }
}

/// Appends the content of a `'...'` section (only `\'` is an escape); returns the position after the
/// closing quote.
fn read_single_quoted(line: &[u8], start: usize, word: &mut Vec<u8>) -> Result<usize, ProtocolError> {
    let mut position = start;
    loop {
        match line.get(position..).unwrap_or_default() {
            [] => return Err(ProtocolError::UnbalancedQuotes),
            [b'\\', b'\'', ..] => {
                word.push(b'\'');
                position += 2;
            }
            [b'\'', ..] => return after_closing_quote(line, position),
            [byte, ..] => {
                word.push(*byte);
                position += 1;
            }
        }
    }
}

/// A closing quote must be followed by a space or the end of the line.
fn after_closing_quote(line: &[u8], quote: usize) -> Result<usize, ProtocolError> {
    match line.get(quote + 1) {
        Some(&byte) if !is_c_space(byte) => Err(ProtocolError::UnbalancedQuotes),
        _ => Ok(quote + 1),
    }
}

/// The byte a `\c` escape inside double quotes stands for.
fn unescape(escaped: u8) -> u8 {
    match escaped {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    }
}

/// Value of one ASCII hex digit (callers check `is_ascii_hexdigit` first).
fn hex_value(digit: u8) -> u8 {
    match digit {
        b'0'..=b'9' => digit - b'0',
        b'a'..=b'f' => digit - b'a' + 10,
        b'A'..=b'F' => digit - b'A' + 10,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_all(input: &[u8], limits: &Limits) -> Result<Vec<Vec<String>>, ProtocolError> {
        let mut buf = BytesMut::from(input);
        let mut requests = Vec::new();
        while let Some(request) = decode_request(&mut buf, limits)? {
            requests.push(request.args.iter().map(|arg| arg.escape_ascii().to_string()).collect());
        }
        Ok(requests)
    }

    fn words(input: &str) -> Result<Vec<Vec<String>>, ProtocolError> {
        decode_all(input.as_bytes(), &Limits::default())
    }

    fn one(args: &[&str]) -> Result<Vec<Vec<String>>, ProtocolError> {
        Ok(vec![args.iter().map(|arg| arg.to_string()).collect()])
    }

    #[test]
    fn array_requests_decode_zero_copy() {
        let mut buf = BytesMut::from(&b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPI"[..]);
        let start = buf.as_ptr();
        let request = decode_request(&mut buf, &Limits::default()).unwrap().unwrap();
        assert_eq!(request.args, vec![Bytes::from_static(b"GET"), Bytes::from_static(b"k")]);
        assert_eq!(request.args[0].as_ptr(), start.wrapping_add(8));
        assert_eq!(decode_request(&mut buf, &Limits::default()), Ok(None));
        buf.extend_from_slice(b"NG\r\n");
        let request = decode_request(&mut buf, &Limits::default()).unwrap().unwrap();
        assert_eq!(request.args, vec![Bytes::from_static(b"PING")]);
        assert!(buf.is_empty());
    }

    #[test]
    fn empty_and_negative_arrays_are_skipped_like_redis() {
        assert_eq!(words("*0\r\n*-1\r\n*-7\r\n*1\r\n$4\r\nPING\r\n"), one(&["PING"]));
        assert_eq!(words("*0\r\n"), Ok(vec![]));
    }

    #[test]
    fn array_errors_use_redis_texts() {
        let limits = Limits::default();
        let error = |input: &[u8]| decode_all(input, &limits).unwrap_err().to_string();
        assert_eq!(error(b"*x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(error(b"*2147483648\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(error(b"*1\r\n:1\r\n"), "Protocol error: expected '$', got ':'");
        assert_eq!(error(b"*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(error(b"*1\r\n$1\r\nab\r\n"), "Protocol error: expected CRLF");
        let long_count = [b"*".as_slice(), &[b'1'; 70_000]].concat();
        assert_eq!(error(&long_count), "Protocol error: too big mbulk count string");
        let long_length = [b"*1\r\n$".as_slice(), &[b'1'; 70_000]].concat();
        assert_eq!(error(&long_length), "Protocol error: too big bulk count string");
    }

    #[test]
    fn array_limits_are_enforced() {
        let limits = Limits { max_bulk_len: 3, max_array_len: 2, max_inline_len: 16, max_depth: 1 };
        assert_eq!(decode_all(b"*2\r\n$3\r\nabc\r\n$0\r\n\r\n", &limits), one(&["abc", ""]));
        assert_eq!(decode_all(b"*3\r\n", &limits), Err(ProtocolError::InvalidMultibulkLength));
        assert_eq!(decode_all(b"*1\r\n$4\r\n", &limits), Err(ProtocolError::InvalidBulkLength));
    }

    #[test]
    fn inline_requests_split_on_spaces() {
        assert_eq!(words("SET k v\r\n"), one(&["SET", "k", "v"]));
        assert_eq!(words("  get \t key  \n"), one(&["get", "key"]));
        assert_eq!(words("\r\n\n   \r\nPING\n"), one(&["PING"]));
        assert_eq!(words("PING\r\nPING"), one(&["PING"]));
        assert_eq!(words("ECHO a\0b c\n"), one(&["ECHO", "a"]));
    }

    #[test]
    fn inline_quotes_follow_sdssplitargs() {
        assert_eq!(words("SET \"a b\" 'c d'\n"), one(&["SET", "a b", "c d"]));
        assert_eq!(words("SET k \"\\x41\\n\\t\\\"\\q\"\n"), one(&["SET", "k", "A\\n\\t\\\"q"]));
        assert_eq!(words("SET k 'it\\'s \\n'\n"), one(&["SET", "k", "it\\'s \\\\n"]));
        assert_eq!(words("SET k \"\"\n"), one(&["SET", "k", ""]));
        assert_eq!(words("SET a\"b c\"\n"), one(&["SET", "ab c"]));
        assert_eq!(words("SET \"\\xZZ\"\n"), one(&["SET", "xZZ"]));
    }

    #[test]
    fn unbalanced_quotes_are_errors() {
        for input in ["SET \"abc\n", "SET 'abc\n", "SET \"a\"b\n", "SET 'a'b\n", "SET \"a\\\"\n"] {
            assert_eq!(words(input), Err(ProtocolError::UnbalancedQuotes), "{input:?}");
        }
        assert_eq!(
            ProtocolError::UnbalancedQuotes.to_string(),
            "Protocol error: unbalanced quotes in request"
        );
    }

    #[test]
    fn inline_length_is_limited() {
        let limits = Limits { max_inline_len: 8, ..Limits::default() };
        assert_eq!(decode_all(b"PING 123\r\n", &limits), one(&["PING", "123"]));
        assert_eq!(decode_all(b"PING 1234", &limits), Err(ProtocolError::TooBigInline));
        assert_eq!(decode_all(b"PING 123\r", &limits), Ok(vec![]));
        assert_eq!(decode_all(b"PING 1234\n", &limits), Err(ProtocolError::TooBigInline));
        assert_eq!(ProtocolError::TooBigInline.to_string(), "Protocol error: too big inline request");
    }
}
