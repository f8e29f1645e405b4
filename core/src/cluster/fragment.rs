//! Multi-key commands split by owner and reassembled in key order.
//!
//! `MGET`, `MSET`, `DEL`, `UNLINK`, `EXISTS` and `TOUCH` may name keys that live on different nodes. The
//! coordinator sends one fragment per owner (the keys keep their relative order inside a fragment) and
//! merges the fragment replies into the reply a single Redis would give (as C Dynomite's fragment
//! machinery does for MGET/MSET/DEL; here also UNLINK, EXISTS and TOUCH).
//!
//! Fragments come out in the order of their owners' first key, so the result does not depend on how
//! `N` sorts. Duplicate keys stay in their fragment as often as the client named them, so `EXISTS k k`
//! counts twice and `DEL k k` once, like Redis.

use bytes::Bytes;

use crate::resp::Frame;

/// Keys one multi-key command may carry; more is refused rather than fanned out.
pub const MULTI_KEY_KEYS_MAX_COUNT: usize = 1 << 20;

/// Error replies of the merge, without the leading `-`.
const FRAGMENT_MISMATCH_TEXT: &str = "ERR Dynomite: a fragment reply does not match its keys";

/// Why a command could not be split.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    /// The command is not one of the multi-key commands this module splits.
    #[error("'{command}' is not a splittable multi-key command (MGET, MSET, DEL, UNLINK, EXISTS, TOUCH)")]
    NotMultiKey {
        /// The name that was passed.
        command: String,
    },
    /// No key, or (MSET) a key without its value.
    #[error("wrong number of arguments for '{command}' command ({argument_count} arguments)")]
    WrongArity {
        /// The command, lower case as Redis spells it in this error.
        command: String,
        /// The arguments after the command name.
        argument_count: usize,
    },
    /// More keys than [`MULTI_KEY_KEYS_MAX_COUNT`].
    #[error("{key_count} keys exceed the limit of {MULTI_KEY_KEYS_MAX_COUNT} keys per multi-key command")]
    TooManyKeys {
        /// The keys the command named.
        key_count: usize,
    },
}

/// The multi-key commands and how their replies merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MultiKeyCommand {
    /// Values in key order.
    Mget,
    /// Key/value pairs; `+OK`.
    Mset,
    /// A count summed over the fragments (DEL, UNLINK, EXISTS, TOUCH).
    Counting(&'static str),
}

impl MultiKeyCommand {
    /// The command named `name` (any case), if it is one of ours.
    fn parse(name: &str) -> Option<MultiKeyCommand> {
        const COUNTING: [&str; 4] = ["DEL", "UNLINK", "EXISTS", "TOUCH"];
        if name.eq_ignore_ascii_case("MGET") {
            return Some(MultiKeyCommand::Mget);
        }
        if name.eq_ignore_ascii_case("MSET") {
            return Some(MultiKeyCommand::Mset);
        }
        COUNTING
            .iter()
            .find(|counting| name.eq_ignore_ascii_case(counting))
            .map(|&c| MultiKeyCommand::Counting(c))
    }

    /// The canonical (upper-case) name, which each fragment starts with.
    fn name(self) -> &'static str {
        match self {
            MultiKeyCommand::Mget => "MGET",
            MultiKeyCommand::Mset => "MSET",
            MultiKeyCommand::Counting(name) => name,
        }
    }

    /// Arguments per key: 2 for MSET (key, value), else 1.
    fn step(self) -> usize {
        match self {
            MultiKeyCommand::Mset => 2,
            _ => 1,
        }
    }
}

/// The part of a multi-key command that goes to one owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fragment<N> {
    /// The node (or any owner handle) that holds these keys.
    pub owner: N,
    /// The complete command to send: the canonical command name, then this owner's keys (with their
    /// values for MSET) in the client's order.
    pub args: Vec<Bytes>,
    /// For each key of this fragment, its position among the original command's keys (0-based).
    pub key_slots: Vec<usize>,
}

/// Splits a multi-key command by owner. `args` are the arguments after the command name (keys, or
/// key/value pairs for MSET); `owner_of` maps a key to its owner.
pub fn split_multi_key<N: Ord + Copy>(
    command_name: &str,
    args: &[Bytes],
    owner_of: impl Fn(&[u8]) -> N,
) -> Result<Vec<Fragment<N>>, SplitError> {
    let command = MultiKeyCommand::parse(command_name)
        .ok_or_else(|| SplitError::NotMultiKey { command: command_name.to_string() })?;
    let step = command.step();
    if args.is_empty() || args.len().checked_rem(step) != Some(0) {
        let command = command.name().to_ascii_lowercase();
        return Err(SplitError::WrongArity { command, argument_count: args.len() });
    }
    if args.len() / step > MULTI_KEY_KEYS_MAX_COUNT {
        return Err(SplitError::TooManyKeys { key_count: args.len() / step });
    }
    let mut fragments: Vec<Fragment<N>> = Vec::new();
    for (slot, pair) in args.chunks(step).enumerate() {
        let Some(key) = pair.first() else { continue };
        let owner = owner_of(key);
        let index = match fragments.iter().position(|fragment| fragment.owner == owner) {
            Some(index) => index,
            None => {
                let name = Bytes::from_static(command.name().as_bytes());
                fragments.push(Fragment { owner, args: vec![name], key_slots: Vec::new() });
                fragments.len() - 1
            }
        };
        fragments[index].args.extend(pair.iter().cloned());
        fragments[index].key_slots.push(slot);
    }
    if crate::mutant!(MsetDropsLastFragment) && command == MultiKeyCommand::Mset {
        // Mutant: the last owner's keys are never sent (merge_mset still answers OK).
        fragments.pop();
    }
    Ok(fragments)
}

/// Merges fragment replies into the reply one Redis would give for the whole command: MGET → an array
/// in key order; MSET → `+OK`; DEL/UNLINK/EXISTS/TOUCH → the sum of the counts. The first error reply
/// (in fragment order) is answered as is. A reply of the wrong shape, a missing key or an unknown
/// command answers `ERR Dynomite: ...`; nothing here panics.
pub fn merge_multi_key<N>(command_name: &str, key_count: usize, fragments: &[(Fragment<N>, Frame)]) -> Frame {
    if let Some((_, error)) = fragments.iter().find(|(_, reply)| reply.is_error()) {
        return error.clone();
    }
    match MultiKeyCommand::parse(command_name) {
        Some(MultiKeyCommand::Mget) => merge_mget(key_count, fragments),
        Some(MultiKeyCommand::Mset) => merge_mset(fragments),
        Some(MultiKeyCommand::Counting(_)) => merge_counts(fragments),
        None => Frame::error(format!("ERR Dynomite: '{command_name}' replies cannot be merged")),
    }
}

/// Places each fragment's values at their keys' positions; every position must be filled once.
fn merge_mget<N>(key_count: usize, fragments: &[(Fragment<N>, Frame)]) -> Frame {
    if key_count > MULTI_KEY_KEYS_MAX_COUNT {
        return Frame::error(FRAGMENT_MISMATCH_TEXT);
    }
    if crate::mutant!(MgetMergeFragmentOrder) {
        // Mutant: the values are concatenated in fragment order instead of placed at their keys.
        let mut merged = Vec::with_capacity(key_count);
        for (_, reply) in fragments {
            let Frame::Array(items) = reply else {
                return Frame::error(FRAGMENT_MISMATCH_TEXT);
            };
            merged.extend(items.iter().cloned());
        }
        return Frame::Array(merged);
    }
    let mut values: Vec<Option<Frame>> = vec![None; key_count];
    for (fragment, reply) in fragments {
        let Frame::Array(items) = reply else {
            return Frame::error(FRAGMENT_MISMATCH_TEXT);
        };
        if items.len() != fragment.key_slots.len() {
            return Frame::error(FRAGMENT_MISMATCH_TEXT);
        }
        for (&slot, item) in fragment.key_slots.iter().zip(items) {
            match values.get_mut(slot) {
                Some(place @ None) => *place = Some(item.clone()),
                _ => return Frame::error(FRAGMENT_MISMATCH_TEXT),
            }
        }
    }
    let merged: Option<Vec<Frame>> = values.into_iter().collect();
    merged.map_or_else(|| Frame::error(FRAGMENT_MISMATCH_TEXT), Frame::Array)
}

/// `+OK` once every fragment said `+OK`.
fn merge_mset<N>(fragments: &[(Fragment<N>, Frame)]) -> Frame {
    let all_ok = fragments.iter().all(|(_, reply)| *reply == Frame::ok());
    let some_sent = !fragments.is_empty() || crate::mutant!(MsetDropsLastFragment);
    if all_ok && some_sent {
        Frame::ok()
    } else {
        Frame::error(FRAGMENT_MISMATCH_TEXT)
    }
}

/// The sum of the fragments' integer replies.
fn merge_counts<N>(fragments: &[(Fragment<N>, Frame)]) -> Frame {
    let mut total: i64 = 0;
    for (_, reply) in fragments {
        let Frame::Integer(count) = reply else {
            return Frame::error(FRAGMENT_MISMATCH_TEXT);
        };
        total = total.saturating_add(*count);
    }
    if fragments.is_empty() {
        return Frame::error(FRAGMENT_MISMATCH_TEXT);
    }
    Frame::Integer(total)
}
