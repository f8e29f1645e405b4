//! Client request decoder (client → proxy), following Redis's `processMultibulkBuffer` and
//! `processInlineBuffer`.
//!
//! A request is either a RESP array of bulk strings (what every client library sends) or an inline
//! command (what telnet and `redis-cli` pipes send): space-separated words with Redis `sdssplitargs`
//! quoting. As in Redis, empty inline lines and arrays with a count of zero or less are skipped, and
//! every error text is the one Redis sends. After an error the connection must be closed: the bytes of
//! the bad request may already be consumed.

use std::ops::Range;

use bytes::{Buf, Bytes, BytesMut};

use super::decode::{parse_integer, read_line, DecodeError, Limits, LineError, ProtocolError};

/// One client command. Arguments of array requests are zero-copy slices of the read buffer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// The command name (`args[0]`, any case) followed by its arguments; never empty.
    pub args: Vec<Bytes>,
}

/// Returns the next request from `buf`, or `Ok(None)` when more bytes are needed. Skips what Redis
/// skips (empty inline lines, `*0`, `*-1`) and enforces `limits` with Redis's error texts.
///
/// This stateless form checks the buffer from its first byte on every call; a connection that calls it
/// after each read re-scans a request arriving in many reads. Connections use [`RequestDecoder`].
pub fn decode_request(buf: &mut BytesMut, limits: &Limits) -> Result<Option<Request>, ProtocolError> {
    RequestDecoder::new(*limits).decode(buf)
}

/// Stateful request decoder for one client connection: like [`decode_request`], but it remembers how
/// far it has checked the request being received (arguments found, where the next one starts, how much
/// of an inline line holds no newline), so a request arriving in many reads is scanned once in total:
/// decoding cost is linear in the request's size, whatever the read sizes. Arguments stay zero-copy
/// slices of the buffer.
///
/// Call order: append what the socket delivered to `buf`, then call [`RequestDecoder::decode`] until it
/// returns `Ok(None)`. Do not touch the unconsumed front of `buf` in between. After an error the
/// connection must be closed.
#[derive(Clone, Debug)]
pub struct RequestDecoder {
    /// The limits every request is checked against.
    limits: Limits,
    /// What is known about the request at the start of the buffer.
    progress: Progress,
}

/// How far the check of the request at the start of the buffer got.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
enum Progress {
    /// Nothing checked yet.
    #[default]
    Start,
    /// An array request whose `*count` header was read.
    Multibulk {
        /// Number of arguments the header announced.
        count: usize,
        /// Where the payloads found so far sit in the buffer (fewer than `count`).
        payloads: Vec<Range<usize>>,
        /// Where the next argument's `$len` header starts.
        next: usize,
    },
    /// An inline request whose first `scanned` bytes hold no LF.
    Inline {
        /// Bytes known to hold no LF.
        scanned: usize,
    },
}

/// Arguments reserved up front for an array request; more grow as they arrive (the count in the header
/// is only a claim, as in Redis's `processMultibulkBuffer`).
const RESERVED_ARGUMENTS_MAX: usize = 1024;

impl RequestDecoder {
    /// A decoder that enforces `limits`.
    pub fn new(limits: Limits) -> RequestDecoder {
        RequestDecoder { limits, progress: Progress::Start }
    }

    /// Returns the next request, split off `buf`; `Ok(None)` means "read more".
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        loop {
            let result = match &mut self.progress {
                Progress::Start => self.start(buf),
                Progress::Multibulk { count, payloads, next } => {
                    continue_multibulk(buf, *count, payloads, next, &self.limits)
                }
                Progress::Inline { scanned } => continue_inline(buf, scanned, &self.limits),
            };
            let shape = match result {
                Ok(shape) => shape,
                Err(DecodeError::Incomplete) => return Ok(None),
                Err(DecodeError::Protocol(error)) => {
                    self.progress = Progress::Start;
                    return Err(error);
                }
            };
            match shape {
                Step::Pending => {}
                Step::Skip(length) => {
                    self.progress = Progress::Start;
                    buf.advance(length);
                }
                Step::Multibulk { length, payloads } => {
                    self.progress = Progress::Start;
                    let raw = buf.split_to(length).freeze();
                    let args = payloads.into_iter().map(|payload| raw.slice(payload)).collect();
                    return Ok(Some(Request { args }));
                }
                Step::Inline { length, line_end } => {
                    self.progress = Progress::Start;
                    let raw = buf.split_to(length).freeze();
                    let args = split_arguments(&raw.slice(..line_end))?;
                    if !args.is_empty() {
                        return Ok(Some(Request { args }));
                    }
                }
            }
        }
    }

    /// Reads what starts the request at the front of `buf` and records it in `self.progress`.
    fn start(&mut self, buf: &[u8]) -> Result<Step, DecodeError> {
        match buf.first() {
            None => Err(DecodeError::Incomplete),
            Some(b'*') => {
                let line = read_request_line(buf, 1, &self.limits, ProtocolError::TooBigMultibulkCount)?;
                let count = parse_integer(&buf[line.clone()])
                    .filter(|&count| count <= i64::from(i32::MAX))
                    .ok_or(ProtocolError::InvalidMultibulkLength)?;
                let next = line.end + 2;
                match usize::try_from(count) {
                    // Redis ignores a count of zero or less.
                    Ok(0) | Err(_) => Ok(Step::Skip(next)),
                    Ok(count) if count > self.limits.max_array_len => {
                        Err(ProtocolError::InvalidMultibulkLength.into())
                    }
                    Ok(count) => {
                        let payloads = Vec::with_capacity(count.min(RESERVED_ARGUMENTS_MAX));
                        self.progress = Progress::Multibulk { count, payloads, next };
                        Ok(Step::Pending)
                    }
                }
            }
            Some(_) => {
                self.progress = Progress::Inline { scanned: 0 };
                Ok(Step::Pending)
            }
        }
    }
}

/// What one step of [`RequestDecoder::decode`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Step {
    /// The state advanced; look again.
    Pending,
    /// Bytes Redis ignores (`*0`, `*-1`): drop this many and look again.
    Skip(usize),
    /// A complete array request of `length` bytes.
    Multibulk {
        /// Bytes the request occupies.
        length: usize,
        /// Where its arguments' payloads sit.
        payloads: Vec<Range<usize>>,
    },
    /// A complete inline request of `length` bytes whose words end at `line_end` (before CR LF).
    Inline {
        /// Bytes the line occupies including its terminator.
        length: usize,
        /// End of the words (the terminator excluded).
        line_end: usize,
    },
}

/// Checks the arguments of an array request from `next` on, recording each payload found.
fn continue_multibulk(
    buf: &[u8],
    count: usize,
    payloads: &mut Vec<Range<usize>>,
    next: &mut usize,
    limits: &Limits,
) -> Result<Step, DecodeError> {
    while payloads.len() < count {
        let payload = skip_bulk_argument(buf, *next, limits)?;
        *next = payload.end + 2;
        payloads.push(payload);
    }
    Ok(Step::Multibulk { length: *next, payloads: std::mem::take(payloads) })
}

/// Looks for the end of an inline line past the `scanned` bytes already known to hold no LF.
fn continue_inline(buf: &[u8], scanned: &mut usize, limits: &Limits) -> Result<Step, DecodeError> {
    let window_end = buf.len().min(limits.max_inline_len.saturating_add(2));
    let window = &buf[..window_end];
    let Some(offset) = window.get(*scanned..).unwrap_or_default().iter().position(|&byte| byte == b'\n')
    else {
        *scanned = window_end;
        let pending = window.strip_suffix(b"\r").unwrap_or(window);
        if pending.len() > limits.max_inline_len {
            return Err(ProtocolError::TooBigInline.into());
        }
        return Err(DecodeError::Incomplete);
    };
    let newline = *scanned + offset;
    let line_end = if newline > 0 && buf[newline - 1] == b'\r' { newline - 1 } else { newline };
    if line_end > limits.max_inline_len {
        return Err(ProtocolError::TooBigInline.into());
    }
    Ok(Step::Inline { length: newline + 1, line_end })
}

/// Checks one `$len\r\n<payload>\r\n` at `start`; returns the payload's range.
fn skip_bulk_argument(buf: &[u8], start: usize, limits: &Limits) -> Result<Range<usize>, DecodeError> {
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
) -> Result<Range<usize>, DecodeError> {
    read_line(buf, start, limits.max_inline_len).map_err(|error| match error {
        LineError::Incomplete => DecodeError::Incomplete,
        LineError::TooLong => too_long.into(),
        LineError::BareLineFeed => ProtocolError::ExpectedCrlf.into(),
    })
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
    fn request_decoder_resumes_where_it_stopped() {
        let mut decoder = RequestDecoder::new(Limits::default());
        let mut buf = BytesMut::from(&b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\nv"[..]);
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        let Progress::Multibulk { count: 3, payloads, next } = &decoder.progress else {
            panic!("not inside an array request: {:?}", decoder.progress)
        };
        assert_eq!((payloads.clone(), *next), (vec![8..11, 17..18], 20));
        buf.extend_from_slice(b"v\r\nPI");
        let request = decoder.decode(&mut buf).unwrap().unwrap();
        assert_eq!(
            request.args,
            vec![Bytes::from_static(b"SET"), Bytes::from_static(b"k"), Bytes::from_static(b"vv")]
        );
        assert_eq!(decoder.decode(&mut buf), Ok(None));
        assert_eq!(decoder.progress, Progress::Inline { scanned: 2 });
        buf.extend_from_slice(b"NG\r\n");
        let request = decoder.decode(&mut buf).unwrap().unwrap();
        assert_eq!(request.args, vec![Bytes::from_static(b"PING")]);
        assert_eq!(decoder.progress, Progress::Start);
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
