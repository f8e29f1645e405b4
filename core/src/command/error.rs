//! Errors of command resolution and key extraction, with the exact texts Redis 7.0 replies.
//!
//! Each variant keeps the structured facts; [`CommandError::message`] renders the bytes of the error
//! reply (without the leading `-` and the CRLF) exactly as redis-server 7.0.15 does, including its
//! quirks: arguments are cut at a NUL byte (C strings), the unknown-command echo is truncated to 128
//! bytes, and CR/LF inside the message become spaces.

use bytes::{BufMut, Bytes, BytesMut};

use crate::resp::Frame;

/// Redis truncates the echoed command name and the echoed arguments to this many bytes.
pub const ERROR_ECHO_MAX_BYTES: usize = 128;

/// Why a request could not be turned into a command and its keys.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// The request was an empty array. Redis silently ignores `*0`; callers should skip such requests.
    #[error("ERR empty command")]
    EmptyRequest,
    /// The name is not in the table.
    #[error("{}", String::from_utf8_lossy(&self.message()))]
    UnknownCommand {
        /// The name as the client sent it.
        name: Bytes,
        /// The leading arguments that the error message echoes (at most what fits the echo budget).
        args: Vec<Bytes>,
    },
    /// A container command (SCRIPT, CLIENT, ...) with a subcommand the table does not know.
    #[error("{}", String::from_utf8_lossy(&self.message()))]
    UnknownSubcommand {
        /// The container's name, upper case (`SCRIPT`).
        container: &'static str,
        /// The subcommand as the client sent it.
        subcommand: Bytes,
    },
    /// The argument count does not fit the command's arity.
    #[error("{}", String::from_utf8_lossy(&self.message()))]
    WrongArity {
        /// The command's table name (`GET`, `SCRIPT|LOAD`); the message shows it in lower case.
        command: &'static str,
    },
    /// A number of keys that is not a 64-bit integer (EVAL, ZUNIONSTORE family).
    #[error("ERR value is not an integer or out of range")]
    NotAnInteger,
    /// EVAL/EVALSHA/FCALL with a negative number of keys.
    #[error("ERR Number of keys can't be negative")]
    NegativeKeyCount,
    /// EVAL family or SINTERCARD with more keys announced than arguments follow.
    #[error("ERR Number of keys can't be greater than number of args")]
    KeyCountExceedsArguments,
    /// SINTERCARD, LMPOP, ZMPOP with a number of keys that is not a positive integer.
    #[error("ERR numkeys should be greater than 0")]
    KeyCountNotPositive,
    /// The ZUNIONSTORE family with a number of keys below 1.
    #[error("{}", String::from_utf8_lossy(&self.message()))]
    NoInputKey {
        /// The command's table name, shown in lower case.
        command: &'static str,
    },
    /// Options that cannot be parsed far enough to find the keys.
    #[error("ERR syntax error")]
    Syntax,
    /// XREAD/XREADGROUP whose STREAMS list has a key without an ID.
    #[error("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")]
    UnbalancedStreams,
    /// A command Dynomite refuses, with the reason shown to the client.
    #[error("ERR Dynomite: {reason}")]
    Unsupported {
        /// The command's table name.
        command: &'static str,
        /// Why it is refused, e.g. "MULTI/EXEC transactions cannot span Dynomite nodes".
        reason: &'static str,
    },
}

impl CommandError {
    /// The error reply's bytes as redis-server 7.0.15 writes them (no `-` prefix, no CRLF).
    pub fn message(&self) -> Bytes {
        let mut out = BytesMut::new();
        match self {
            CommandError::UnknownCommand { name, args } => write_unknown_command(&mut out, name, args),
            CommandError::UnknownSubcommand { container, subcommand } => {
                out.put_slice(b"ERR unknown subcommand '");
                out.put_slice(c_string_prefix(subcommand, ERROR_ECHO_MAX_BYTES));
                out.put_slice(format!("'. Try {container} HELP.").as_bytes());
            }
            CommandError::WrongArity { command } => {
                // Redis prefixes every error that rejects EXEC itself, in MULTI or not.
                let prefix =
                    if *command == "EXEC" { "EXECABORT Transaction discarded because of: " } else { "ERR " };
                let command = command.to_ascii_lowercase();
                out.put_slice(
                    format!("{prefix}wrong number of arguments for '{command}' command").as_bytes(),
                );
            }
            CommandError::NoInputKey { command } => {
                let command = command.to_ascii_lowercase();
                out.put_slice(
                    format!("ERR at least 1 input key is needed for '{command}' command").as_bytes(),
                );
            }
            other => out.put_slice(other.to_string().as_bytes()),
        }
        replace_line_breaks(&mut out);
        out.freeze()
    }

    /// The error as a reply frame.
    pub fn to_frame(&self) -> Frame {
        Frame::Error(self.message())
    }
}

/// `ERR unknown command '<name>', with args beginning with: '<a>' '<b>' ` with Redis's truncation:
/// the name to 128 bytes, then arguments while the echoed list is shorter than 128 bytes, each cut to
/// the remaining budget.
fn write_unknown_command(out: &mut BytesMut, name: &[u8], args: &[Bytes]) {
    out.put_slice(b"ERR unknown command '");
    out.put_slice(c_string_prefix(name, ERROR_ECHO_MAX_BYTES));
    out.put_slice(b"', with args beginning with: ");
    let mut echoed = 0;
    for arg in args {
        if echoed >= ERROR_ECHO_MAX_BYTES {
            break;
        }
        let text = c_string_prefix(arg, ERROR_ECHO_MAX_BYTES - echoed);
        out.put_u8(b'\'');
        out.put_slice(text);
        out.put_slice(b"' ");
        echoed += text.len() + 3;
    }
}

/// The leading arguments an unknown-command message can echo: each takes at least 3 bytes (`'' `),
/// so no more than this many fit the echo budget.
pub(crate) const ECHOED_ARGUMENTS_MAX: usize = ERROR_ECHO_MAX_BYTES / 3 + 1;

/// What C's `%.*s` prints of `text`: up to the first NUL, at most `limit` bytes.
fn c_string_prefix(text: &[u8], limit: usize) -> &[u8] {
    let end = text.iter().position(|byte| *byte == 0).unwrap_or(text.len()).min(limit);
    &text[..end]
}

/// Redis replaces CR and LF inside error messages by spaces so the reply stays one line.
fn replace_line_breaks(out: &mut BytesMut) {
    for byte in out.iter_mut() {
        if *byte == b'\r' || *byte == b'\n' {
            *byte = b' ';
        }
    }
}
