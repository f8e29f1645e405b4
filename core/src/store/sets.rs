//! Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SINTER,
//! SUNION, SDIFF (and their STORE forms), SMOVE, SSCAN, SINTERCARD.
//!
//! Members are listed in numeric order when every member is an integer (what a Redis intset gives)
//! and in byte order otherwise (Redis gives hash-table order there; clients must not rely on it).

use std::collections::BTreeSet;

use bytes::Bytes;

use crate::resp::Frame;

use super::args::{self, error, integer, is, reply, SYNTAX};
use super::hashes::pick_random;
use super::keyspace::{parse_cursor, parse_scan_options};
use super::numbers;
use super::value::{cast, Value};
use super::{glob, Call, Store};

/// Most members a negative-count SRANDMEMBER/HRANDFIELD returns (bounds the reply).
pub(crate) const RANDOM_REPEATS_MAX: usize = 1_000_000;

fn new_set() -> Value {
    Value::Set(BTreeSet::new())
}

impl Store {
    /// A copy of the set at `key` (empty when missing), WRONGTYPE for another type.
    fn set_at(&mut self, key: &[u8], now_ms: u64) -> Result<BTreeSet<Bytes>, Frame> {
        Ok(self.typed(key, now_ms, cast::set)?.cloned().unwrap_or_default())
    }
}

/// Members in reply order: numeric when all are integers, else byte order.
fn ordered(set: &BTreeSet<Bytes>) -> Vec<Bytes> {
    let numeric: Option<Vec<(i64, &Bytes)>> =
        set.iter().map(|member| numbers::parse_i64(member).map(|number| (number, member))).collect();
    match numeric {
        Some(mut numeric) => {
            numeric.sort_unstable_by_key(|(number, _)| *number);
            numeric.into_iter().map(|(_, member)| member.clone()).collect()
        }
        None => set.iter().cloned().collect(),
    }
}

fn set_frame(set: &BTreeSet<Bytes>) -> Frame {
    Frame::Set(ordered(set).into_iter().map(Frame::Bulk).collect())
}

/// SADD key member...
pub(crate) fn sadd(store: &mut Store, call: &Call) -> Frame {
    reply(store.typed_or_insert(&call.args[1], call.now_ms, cast::set, new_set).map(|set| {
        Frame::Integer(call.args[2..].iter().filter(|member| set.insert((*member).clone())).count() as i64)
    }))
}

/// SREM key member...
pub(crate) fn srem(store: &mut Store, call: &Call) -> Frame {
    let removed = match store.typed(&call.args[1], call.now_ms, cast::set) {
        Err(error) => return error,
        Ok(None) => 0,
        Ok(Some(set)) => call.args[2..].iter().filter(|member| set.remove(&member[..])).count(),
    };
    store.drop_if_empty(&call.args[1]);
    Frame::Integer(removed as i64)
}

/// SMEMBERS key.
pub(crate) fn smembers(store: &mut Store, call: &Call) -> Frame {
    reply(store.set_at(&call.args[1], call.now_ms).map(|set| set_frame(&set)))
}

/// SISMEMBER key member.
pub(crate) fn sismember(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::set, |set| {
        Frame::Integer(i64::from(set.is_some_and(|set| set.contains(&call.args[2]))))
    }))
}

/// SMISMEMBER key member...
pub(crate) fn smismember(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::set, |set| {
        let found = |member: &Bytes| Frame::Integer(i64::from(set.is_some_and(|set| set.contains(member))));
        Frame::Array(call.args[2..].iter().map(found).collect())
    }))
}

/// SCARD key.
pub(crate) fn scard(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::set, |set| {
        Frame::Integer(set.map_or(0, |s| s.len()) as i64)
    }))
}

/// SPOP key [count].
pub(crate) fn spop(store: &mut Store, call: &Call) -> Frame {
    reply(spop_generic(store, call))
}

fn spop_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let count = match &call.args[2..] {
        [] => None,
        [count] => Some(args::count(count)?),
        _ => return Err(error(SYNTAX)),
    };
    let members = ordered(&store.set_at(&call.args[1], call.now_ms)?);
    let chosen = pick_random(store, &members, i64::try_from(count.unwrap_or(1)).unwrap_or(i64::MAX));
    if let Ok(Some(set)) = store.typed(&call.args[1], call.now_ms, cast::set) {
        for member in &chosen {
            set.remove(member);
        }
    }
    store.drop_if_empty(&call.args[1]);
    Ok(match count {
        None => chosen.first().cloned().map_or(Frame::Null, Frame::Bulk),
        Some(_) => Frame::Set(chosen.into_iter().map(Frame::Bulk).collect()),
    })
}

/// SRANDMEMBER key [count].
pub(crate) fn srandmember(store: &mut Store, call: &Call) -> Frame {
    reply(srandmember_generic(store, call))
}

fn srandmember_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let count = match &call.args[2..] {
        [] => None,
        [count] => Some(integer(count)?),
        _ => return Err(error(SYNTAX)),
    };
    let members = ordered(&store.set_at(&call.args[1], call.now_ms)?);
    Ok(match count {
        None if members.is_empty() => Frame::Null,
        None => Frame::Bulk(members[store.random.below(members.len())].clone()),
        Some(count) => {
            Frame::Array(pick_random(store, &members, count).into_iter().map(Frame::Bulk).collect())
        }
    })
}

/// The algebra of SINTER/SUNION/SDIFF.
#[derive(Clone, Copy)]
enum Algebra {
    /// Members in every set.
    Intersection,
    /// Members in any set.
    Union,
    /// Members of the first set in no other.
    Difference,
}

fn combine(
    store: &mut Store,
    keys: &[Bytes],
    now_ms: u64,
    algebra: Algebra,
) -> Result<BTreeSet<Bytes>, Frame> {
    let sets = keys.iter().map(|key| store.set_at(key, now_ms)).collect::<Result<Vec<_>, Frame>>()?;
    let mut sets = sets.into_iter();
    let mut result = sets.next().unwrap_or_default();
    for set in sets {
        match algebra {
            Algebra::Intersection => result.retain(|member| set.contains(member)),
            Algebra::Union => result.extend(set),
            Algebra::Difference => result.retain(|member| !set.contains(member)),
        }
    }
    Ok(result)
}

fn combine_reply(store: &mut Store, call: &Call, algebra: Algebra) -> Frame {
    reply(combine(store, &call.args[1..], call.now_ms, algebra).map(|set| set_frame(&set)))
}

fn combine_store(store: &mut Store, call: &Call, algebra: Algebra) -> Frame {
    reply(combine(store, &call.args[2..], call.now_ms, algebra).map(|set| {
        let length = set.len();
        store.keys.remove(&call.args[1]);
        if length > 0 {
            store.put(call.args[1].clone(), Value::Set(set));
        }
        Frame::Integer(length as i64)
    }))
}

/// SINTER key...
pub(crate) fn sinter(store: &mut Store, call: &Call) -> Frame {
    combine_reply(store, call, Algebra::Intersection)
}

/// SUNION key...
pub(crate) fn sunion(store: &mut Store, call: &Call) -> Frame {
    combine_reply(store, call, Algebra::Union)
}

/// SDIFF key...
pub(crate) fn sdiff(store: &mut Store, call: &Call) -> Frame {
    combine_reply(store, call, Algebra::Difference)
}

/// SINTERSTORE destination key...
pub(crate) fn sinterstore(store: &mut Store, call: &Call) -> Frame {
    combine_store(store, call, Algebra::Intersection)
}

/// SUNIONSTORE destination key...
pub(crate) fn sunionstore(store: &mut Store, call: &Call) -> Frame {
    combine_store(store, call, Algebra::Union)
}

/// SDIFFSTORE destination key...
pub(crate) fn sdiffstore(store: &mut Store, call: &Call) -> Frame {
    combine_store(store, call, Algebra::Difference)
}

/// SMOVE source destination member.
pub(crate) fn smove(store: &mut Store, call: &Call) -> Frame {
    reply(smove_generic(store, call))
}

fn smove_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let (source, destination, member) = (&call.args[1], &call.args[2], &call.args[3]);
    // Redis answers 0 for a missing source before it checks the destination's type.
    if store.live_entry(source, call.now_ms).is_none() {
        return Ok(Frame::Integer(0));
    }
    let source_has_member =
        store.inspect(source, call.now_ms, cast::set, |set| set.is_some_and(|set| set.contains(member)))?;
    store.typed(destination, call.now_ms, cast::set)?;
    if !source_has_member {
        return Ok(Frame::Integer(0));
    }
    if source == destination {
        return Ok(Frame::Integer(1));
    }
    if let Some(set) = store.typed(source, call.now_ms, cast::set)? {
        set.remove(member);
    }
    store.drop_if_empty(source);
    store.typed_or_insert(destination, call.now_ms, cast::set, new_set)?.insert(member.clone());
    Ok(Frame::Integer(1))
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: the whole set in one call (cursor 0).
pub(crate) fn sscan(store: &mut Store, call: &Call) -> Frame {
    reply(sscan_generic(store, call))
}

fn sscan_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    parse_cursor(&call.args[2])?;
    let options = parse_scan_options(&call.args[3..], false)?;
    let set = store.set_at(&call.args[1], call.now_ms)?;
    let members = ordered(&set)
        .into_iter()
        .filter(|member| options.pattern.as_ref().is_none_or(|pattern| glob::matches(pattern, member)))
        .map(Frame::Bulk)
        .collect();
    Ok(Frame::Array(vec![Frame::bulk("0"), Frame::Array(members)]))
}

/// SINTERCARD numkeys key... [LIMIT limit].
pub(crate) fn sintercard(store: &mut Store, call: &Call) -> Frame {
    reply(sintercard_generic(store, call))
}

/// Parses `numkeys key... [LIMIT n]` (shared with ZINTERCARD-style commands).
fn parse_numkeys_limit(args: &[Bytes]) -> Result<(&[Bytes], usize), Frame> {
    let numkeys = numbers::parse_i64(&args[0])
        .and_then(|count| usize::try_from(count).ok())
        .filter(|count| *count > 0)
        .ok_or_else(|| error("ERR numkeys should be greater than 0"))?;
    if numkeys > args.len() - 1 {
        return Err(error("ERR Number of keys can't be greater than number of args"));
    }
    let keys = &args[1..=numkeys];
    let limit = match &args[numkeys + 1..] {
        [] => 0,
        [option, limit] if is(option, "limit") => {
            usize::try_from(integer(limit)?).map_err(|_| error("ERR LIMIT can't be negative"))?
        }
        _ => return Err(error(SYNTAX)),
    };
    Ok((keys, limit))
}

fn sintercard_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let (keys, limit) = parse_numkeys_limit(&call.args[1..])?;
    let result = combine(store, keys, call.now_ms, Algebra::Intersection)?;
    let count = if limit == 0 { result.len() } else { result.len().min(limit) };
    Ok(Frame::Integer(count as i64))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use bytes::Bytes;

    use super::ordered;

    fn set(members: &[&str]) -> BTreeSet<Bytes> {
        members.iter().map(|member| Bytes::copy_from_slice(member.as_bytes())).collect()
    }

    #[test]
    fn integer_sets_list_in_numeric_order_like_an_intset() {
        let listed = ordered(&set(&["10", "-3", "2"]));
        assert_eq!(
            listed,
            vec![Bytes::from_static(b"-3"), Bytes::from_static(b"2"), Bytes::from_static(b"10")]
        );
        let mixed = ordered(&set(&["10", "b", "2"]));
        assert_eq!(
            mixed,
            vec![Bytes::from_static(b"10"), Bytes::from_static(b"2"), Bytes::from_static(b"b")]
        );
    }
}
