//! Where the keys of a request are: the key specification of a command and its evaluation.
//!
//! Most commands keep their keys at fixed positions ([`KeySpec::Range`]). The others announce a key
//! count (`EVAL script 2 k1 k2`), name their keys after a keyword (`XREAD ... STREAMS k1 k2 id1 id2`,
//! `SORT k ... STORE dest`, `GEORADIUS ... STORE dest`), and their key positions are found by parsing
//! the request. Errors use the texts Redis replies for the same malformed request.

use bytes::Bytes;

use super::error::CommandError;

/// Where a command's keys are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySpec {
    /// No keys (PING, INFO, SCRIPT LOAD, ...).
    None,
    /// Keys at `first`, `first + step`, ... up to `last` (a negative `last` counts from the end:
    /// -1 is the last argument). `MSET k v k v` is `{1, -1, 2}`.
    Range {
        /// Index of the first key (the command name is index 0).
        first: usize,
        /// Index of the last key; negative counts from the end of the request.
        last: isize,
        /// Distance between two keys.
        step: usize,
    },
    /// A key count at `numkeys_index`, then that many keys from `first` on; `destination` is a fixed
    /// key before the count (`ZUNIONSTORE dest 2 a b`).
    NumKeys {
        /// Index of the key count argument.
        numkeys_index: usize,
        /// Index of the first counted key.
        first: usize,
        /// Distance between two counted keys.
        step: usize,
        /// Index of the destination key of the `*STORE` forms.
        destination: Option<usize>,
        /// Which family of Redis error texts a bad count produces.
        errors: NumKeysErrors,
    },
    /// XREAD/XREADGROUP: the keys are the first half of the arguments after `STREAMS`.
    Streams {
        /// True for XREADGROUP (accepts `GROUP g c` and `NOACK`).
        group: bool,
    },
    /// SORT: the key at index 1, plus the destination after a `STORE` option.
    Sort,
    /// GEORADIUS/GEORADIUSBYMEMBER: the key at index 1, plus destinations after `STORE`/`STOREDIST`.
    GeoRadius {
        /// Index where the options start.
        options_from: usize,
    },
}

/// The error texts a bad key count produces; Redis words them differently per command family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NumKeysErrors {
    /// EVAL, EVALSHA, FCALL and their `_RO` forms.
    Script,
    /// ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE, ZUNION, ZINTER, ZDIFF, ZINTERCARD.
    SortedSetAlgebra,
    /// SINTERCARD.
    SetCardinality,
    /// LMPOP, ZMPOP (and the blocking BLMPOP, BZMPOP): one more argument follows the keys.
    MultiPop,
}

/// The keys of one request and whether it asked to block (XREAD ... BLOCK).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct FoundKeys {
    /// Argument indexes of the keys, in request order.
    pub(crate) indexes: Vec<usize>,
    /// True when the request carries a `BLOCK` option.
    pub(crate) blocking: bool,
}

impl KeySpec {
    /// A single key at `index`.
    pub const fn single(index: usize) -> KeySpec {
        KeySpec::Range { first: index, last: index as isize, step: 1 }
    }

    /// The legacy `(first, last, step)` triple `COMMAND INFO` shows, as Redis 7.0 derives it: the
    /// fixed keys only, `(0, 0, 0)` when the key positions depend on the arguments.
    pub fn legacy_range(&self) -> (i64, i64, i64) {
        match *self {
            KeySpec::None | KeySpec::Streams { .. } => (0, 0, 0),
            KeySpec::NumKeys { destination: None, .. } => (0, 0, 0),
            KeySpec::Range { first, last, step } => (first as i64, last as i64, step as i64),
            KeySpec::NumKeys { destination: Some(index), .. } => (index as i64, index as i64, 1),
            KeySpec::Sort | KeySpec::GeoRadius { .. } => (1, 1, 1),
        }
    }

    /// Finds the keys of `args` (the whole request, name at index 0), already checked for arity.
    pub(crate) fn find(&self, command: &'static str, args: &[Bytes]) -> Result<FoundKeys, CommandError> {
        let indexes = match *self {
            KeySpec::None => Vec::new(),
            KeySpec::Range { first, last, step } => range_keys(command, args.len(), first, last, step)?,
            KeySpec::NumKeys { numkeys_index, first, step, destination, errors } => {
                let counted = CountedKeys { numkeys_index, first, step, errors };
                let mut indexes: Vec<usize> = destination.into_iter().collect();
                indexes.extend(counted.find(command, args)?);
                indexes
            }
            KeySpec::Streams { group } => return stream_keys(args, group),
            KeySpec::Sort => sort_keys(args),
            KeySpec::GeoRadius { options_from } => geo_radius_keys(args, options_from),
        };
        Ok(FoundKeys { indexes, blocking: false })
    }
}

/// Keys `first, first + step, ..., last`. An uneven `MSET k v k` is an arity error, as in Redis.
fn range_keys(
    command: &'static str,
    count: usize,
    first: usize,
    last: isize,
    step: usize,
) -> Result<Vec<usize>, CommandError> {
    let last = if last < 0 { count as isize + last } else { last };
    if first >= count || last < first as isize {
        return Ok(Vec::new());
    }
    let last = (last as usize).min(count - 1);
    let step = step.max(1);
    let unpaired = (count - first) % step;
    if unpaired > 0 && last + 1 == count {
        return Err(CommandError::WrongArity { command });
    }
    Ok((first..=last).step_by(step).collect())
}

/// The key-count form of [`KeySpec::NumKeys`] without its destination.
struct CountedKeys {
    numkeys_index: usize,
    first: usize,
    step: usize,
    errors: NumKeysErrors,
}

impl CountedKeys {
    fn find(&self, command: &'static str, args: &[Bytes]) -> Result<Vec<usize>, CommandError> {
        let Some(text) = args.get(self.numkeys_index) else {
            return Err(CommandError::WrongArity { command });
        };
        let count = self.parse_count(command, text)?;
        let trailing = usize::from(self.errors == NumKeysErrors::MultiPop);
        let available = args.len().saturating_sub(self.first + trailing);
        let step = self.step.max(1);
        let needed = count.saturating_sub(1).saturating_mul(step).saturating_add(usize::from(count > 0));
        if needed > available {
            return Err(match self.errors {
                NumKeysErrors::Script | NumKeysErrors::SetCardinality => {
                    CommandError::KeyCountExceedsArguments
                }
                NumKeysErrors::SortedSetAlgebra | NumKeysErrors::MultiPop => CommandError::Syntax,
            });
        }
        Ok((0..count).map(|position| self.first + position * step).collect())
    }

    /// The announced key count, validated the way the command family validates it.
    fn parse_count(&self, command: &'static str, text: &[u8]) -> Result<usize, CommandError> {
        let value = parse_integer(text);
        match self.errors {
            NumKeysErrors::Script => match value {
                None => Err(CommandError::NotAnInteger),
                Some(value) if value < 0 => Err(CommandError::NegativeKeyCount),
                Some(value) => Ok(clamp_count(value)),
            },
            NumKeysErrors::SortedSetAlgebra => match value {
                None => Err(CommandError::NotAnInteger),
                Some(value) if value < 1 => Err(CommandError::NoInputKey { command }),
                Some(value) => Ok(clamp_count(value)),
            },
            NumKeysErrors::SetCardinality | NumKeysErrors::MultiPop => match value {
                Some(value) if value >= 1 => Ok(clamp_count(value)),
                _ => Err(CommandError::KeyCountNotPositive),
            },
        }
    }
}

/// A non-negative count as `usize`; counts beyond memory fail the "enough arguments" check anyway.
fn clamp_count(value: i64) -> usize {
    usize::try_from(value).unwrap_or(usize::MAX)
}

/// Parses a signed 64-bit decimal the way Redis's `string2ll` does: optional `-`, no `+`, no
/// leading zeros (except `0` itself), no spaces, no overflow.
pub(crate) fn parse_integer(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, text),
    };
    let first = *digits.first()?;
    if first == b'0' {
        return (digits.len() == 1 && !negative).then_some(0);
    }
    let mut value: i64 = 0;
    for digit in digits {
        if !digit.is_ascii_digit() {
            return None;
        }
        let digit = i64::from(digit - b'0');
        value = value.checked_mul(10)?;
        value = if negative { value.checked_sub(digit)? } else { value.checked_add(digit)? };
    }
    Some(value)
}

/// XREAD `[COUNT n] [BLOCK ms] STREAMS k.. id..`; XREADGROUP also `GROUP g c` and `NOACK`.
fn stream_keys(args: &[Bytes], group: bool) -> Result<FoundKeys, CommandError> {
    let mut blocking = false;
    let mut index = 1;
    while index < args.len() {
        let option = args[index].as_ref();
        let values = if option.eq_ignore_ascii_case(b"STREAMS") {
            let rest = args.len() - index - 1;
            if rest & 1 == 1 {
                return Err(CommandError::UnbalancedStreams);
            }
            let indexes = (index + 1..index + 1 + rest / 2).collect();
            return Ok(FoundKeys { indexes, blocking });
        } else if option.eq_ignore_ascii_case(b"COUNT") {
            1
        } else if option.eq_ignore_ascii_case(b"BLOCK") {
            blocking = true;
            1
        } else if group && option.eq_ignore_ascii_case(b"GROUP") {
            2
        } else if group && option.eq_ignore_ascii_case(b"NOACK") {
            0
        } else {
            return Err(CommandError::Syntax);
        };
        index += 1 + values;
    }
    Err(CommandError::Syntax)
}

/// SORT key `[BY p] [LIMIT o c] [GET p ...] [ASC|DESC] [ALPHA] [STORE dest]`: options are skipped
/// with their values, so a pattern spelled `store` is not mistaken for the option. Malformed options
/// are left for the datastore to reject.
fn sort_keys(args: &[Bytes]) -> Vec<usize> {
    let mut indexes = vec![1];
    let mut index = 2;
    while index < args.len() {
        let option = args[index].as_ref();
        let values = if option.eq_ignore_ascii_case(b"LIMIT") {
            2
        } else if option.eq_ignore_ascii_case(b"BY") || option.eq_ignore_ascii_case(b"GET") {
            1
        } else if option.eq_ignore_ascii_case(b"STORE") {
            if index + 1 < args.len() {
                indexes.push(index + 1);
            }
            1
        } else {
            0
        };
        index += 1 + values;
    }
    indexes
}

/// GEORADIUS(BYMEMBER) key ... `[STORE dest] [STOREDIST dest]`: every destination counts as a key.
fn geo_radius_keys(args: &[Bytes], options_from: usize) -> Vec<usize> {
    let mut indexes = vec![1];
    let mut index = options_from;
    while index < args.len() {
        let option = args[index].as_ref();
        let is_store = option.eq_ignore_ascii_case(b"STORE") || option.eq_ignore_ascii_case(b"STOREDIST");
        if is_store && index + 1 < args.len() {
            indexes.push(index + 1);
            index += 1;
        }
        index += 1;
    }
    indexes
}
