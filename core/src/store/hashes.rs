//! Hash commands: HSET/HMSET, HSETNX, HGET, HMGET, HDEL, HLEN, HEXISTS, HGETALL, HKEYS, HVALS,
//! HINCRBY, HINCRBYFLOAT, HSTRLEN, HSCAN, HRANDFIELD. Fields keep insertion order, which is what
//! Redis returns for small (listpack-encoded) hashes.

use bytes::Bytes;

use crate::resp::{Frame, Protocol};

use super::args::{self, error, integer, is, reply, OVERFLOW};
use super::keyspace::{parse_cursor, parse_scan_options};
use super::numbers::{self, FloatSum};
use super::value::{cast, OrderedHash, Value};
use super::{glob, Call, Store};

fn new_hash() -> Value {
    Value::Hash(OrderedHash::default())
}

impl Store {
    /// A copy of the hash at `key`, WRONGTYPE for another type.
    fn hash_at(&mut self, key: &[u8], now_ms: u64) -> Result<Option<OrderedHash>, Frame> {
        Ok(self.typed(key, now_ms, cast::hash)?.map(|hash| hash.clone()))
    }

    /// The value of one field.
    fn hash_field(&mut self, key: &[u8], field: &[u8], now_ms: u64) -> Result<Option<Bytes>, Frame> {
        Ok(self.typed(key, now_ms, cast::hash)?.and_then(|hash| hash.get(field).cloned()))
    }
}

fn set_fields(store: &mut Store, call: &Call, name: &str) -> Result<usize, Frame> {
    if !call.args.len().is_multiple_of(2) {
        return Err(args::wrong_arity(name));
    }
    let hash = store.typed_or_insert(&call.args[1], call.now_ms, cast::hash, new_hash)?;
    Ok(call.args[2..].chunks_exact(2).filter(|pair| hash.insert(pair[0].clone(), pair[1].clone())).count())
}

/// HSET key field value [field value ...].
pub(crate) fn hset(store: &mut Store, call: &Call) -> Frame {
    reply(set_fields(store, call, "hset").map(|added| Frame::Integer(added as i64)))
}

/// HMSET key field value [field value ...].
pub(crate) fn hmset(store: &mut Store, call: &Call) -> Frame {
    reply(set_fields(store, call, "hmset").map(|_| Frame::ok()))
}

/// HSETNX key field value.
pub(crate) fn hsetnx(store: &mut Store, call: &Call) -> Frame {
    reply(store.typed_or_insert(&call.args[1], call.now_ms, cast::hash, new_hash).map(|hash| {
        if hash.get(&call.args[2]).is_some() {
            return Frame::Integer(0);
        }
        hash.insert(call.args[2].clone(), call.args[3].clone());
        Frame::Integer(1)
    }))
}

/// HGET key field.
pub(crate) fn hget(store: &mut Store, call: &Call) -> Frame {
    reply(
        store
            .hash_field(&call.args[1], &call.args[2], call.now_ms)
            .map(|value| args::optional_bulk(value.as_ref())),
    )
}

/// HMGET key field...
pub(crate) fn hmget(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::hash, |hash| {
        let values = call.args[2..]
            .iter()
            .map(|field| args::optional_bulk(hash.and_then(|hash| hash.get(field))))
            .collect();
        Frame::Array(values)
    }))
}

/// HDEL key field...
pub(crate) fn hdel(store: &mut Store, call: &Call) -> Frame {
    let removed = match store.typed(&call.args[1], call.now_ms, cast::hash) {
        Err(error) => return error,
        Ok(None) => 0,
        Ok(Some(hash)) => call.args[2..].iter().filter(|field| hash.remove(field)).count(),
    };
    store.drop_if_empty(&call.args[1]);
    Frame::Integer(removed as i64)
}

/// HLEN key.
pub(crate) fn hlen(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::hash, |hash| {
        Frame::Integer(hash.map_or(0, |h| h.len()) as i64)
    }))
}

/// HEXISTS key field.
pub(crate) fn hexists(store: &mut Store, call: &Call) -> Frame {
    reply(
        store
            .hash_field(&call.args[1], &call.args[2], call.now_ms)
            .map(|v| Frame::Integer(i64::from(v.is_some()))),
    )
}

/// HGETALL key: a map (flattened for RESP2 by the encoder).
pub(crate) fn hgetall(store: &mut Store, call: &Call) -> Frame {
    reply(store.hash_at(&call.args[1], call.now_ms).map(|hash| {
        let pairs = hash.iter().flat_map(|hash| hash.iter());
        Frame::Map(
            pairs.map(|(field, value)| (Frame::Bulk(field.clone()), Frame::Bulk(value.clone()))).collect(),
        )
    }))
}

/// HKEYS key.
pub(crate) fn hkeys(store: &mut Store, call: &Call) -> Frame {
    reply(store.hash_at(&call.args[1], call.now_ms).map(|hash| {
        Frame::Array(
            hash.iter().flat_map(|hash| hash.iter()).map(|(field, _)| Frame::Bulk(field.clone())).collect(),
        )
    }))
}

/// HVALS key.
pub(crate) fn hvals(store: &mut Store, call: &Call) -> Frame {
    reply(store.hash_at(&call.args[1], call.now_ms).map(|hash| {
        Frame::Array(
            hash.iter().flat_map(|hash| hash.iter()).map(|(_, value)| Frame::Bulk(value.clone())).collect(),
        )
    }))
}

/// HSTRLEN key field.
pub(crate) fn hstrlen(store: &mut Store, call: &Call) -> Frame {
    reply(
        store
            .hash_field(&call.args[1], &call.args[2], call.now_ms)
            .map(|value| Frame::Integer(value.map_or(0, |value| value.len()) as i64)),
    )
}

/// HINCRBY key field delta.
pub(crate) fn hincrby(store: &mut Store, call: &Call) -> Frame {
    reply(hincrby_generic(store, call))
}

fn hincrby_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let delta = integer(&call.args[3])?;
    let hash = store.typed_or_insert(&call.args[1], call.now_ms, cast::hash, new_hash)?;
    let current = match hash.get(&call.args[2]) {
        Some(text) => numbers::parse_i64(text).ok_or_else(|| error("ERR hash value is not an integer"))?,
        None => 0,
    };
    let next = current.checked_add(delta).ok_or_else(|| error(OVERFLOW));
    if next.is_err() {
        store.drop_if_empty(&call.args[1]);
    }
    let next = next?;
    hash_insert(store, call, Bytes::from(next.to_string()));
    Ok(Frame::Integer(next))
}

fn hash_insert(store: &mut Store, call: &Call, value: Bytes) {
    if let Ok(hash) = store.typed_or_insert(&call.args[1], call.now_ms, cast::hash, new_hash) {
        hash.insert(call.args[2].clone(), value);
    }
}

/// HINCRBYFLOAT key field delta.
pub(crate) fn hincrbyfloat(store: &mut Store, call: &Call) -> Frame {
    reply(hincrbyfloat_generic(store, call))
}

fn hincrbyfloat_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    if !args::float(&call.args[3])?.is_finite() {
        return Err(error("ERR value is NaN or Infinity"));
    }
    let current = store
        .hash_field(&call.args[1], &call.args[2], call.now_ms)?
        .unwrap_or_else(|| Bytes::from_static(b"0"));
    let text = match numbers::add_floats(&current, &call.args[3]) {
        FloatSum::Value(text) => Bytes::from(text),
        FloatSum::NotFloat => return Err(error("ERR hash value is not a float")),
        FloatSum::NotFinite => return Err(error("ERR increment would produce NaN or Infinity")),
    };
    hash_insert(store, call, text.clone());
    Ok(Frame::Bulk(text))
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: the whole hash in one call (cursor 0).
pub(crate) fn hscan(store: &mut Store, call: &Call) -> Frame {
    reply(hscan_generic(store, call))
}

fn hscan_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    parse_cursor(&call.args[2])?;
    let options = parse_scan_options(&call.args[3..], false)?;
    let hash = store.hash_at(&call.args[1], call.now_ms)?.unwrap_or_default();
    let mut items = Vec::new();
    for (field, value) in hash.iter() {
        if options.pattern.as_ref().is_none_or(|pattern| glob::matches(pattern, field)) {
            items.push(Frame::Bulk(field.clone()));
            items.push(Frame::Bulk(value.clone()));
        }
    }
    Ok(Frame::Array(vec![Frame::bulk("0"), Frame::Array(items)]))
}

/// HRANDFIELD key [count [WITHVALUES]].
pub(crate) fn hrandfield(store: &mut Store, call: &Call) -> Frame {
    reply(hrandfield_generic(store, call))
}

fn hrandfield_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let (count, with_values) = match &call.args[2..] {
        [] => (None, false),
        [count] => (Some(integer(count)?), false),
        [count, option] if is(option, "withvalues") => (Some(integer(count)?), true),
        _ => return Err(error(args::SYNTAX)),
    };
    let hash = store.hash_at(&call.args[1], call.now_ms)?;
    let pairs: Vec<(Bytes, Bytes)> = hash
        .iter()
        .flat_map(|hash| hash.iter())
        .map(|(field, value)| (field.clone(), value.clone()))
        .collect();
    let Some(count) = count else {
        if pairs.is_empty() {
            return Ok(Frame::Null);
        }
        let index = store.random.below(pairs.len());
        return Ok(Frame::Bulk(pairs[index].0.clone()));
    };
    let chosen = pick_random(store, &pairs, count);
    Ok(render_pairs(chosen, with_values, call.protocol))
}

/// Picks per Redis's rules: a positive count gives distinct items (all of them, in order, when count
/// covers the collection), a negative count allows repeats.
pub(crate) fn pick_random<T: Clone>(store: &mut Store, items: &[T], count: i64) -> Vec<T> {
    if items.is_empty() || count == 0 {
        return Vec::new();
    }
    let wanted = usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX);
    if count < 0 {
        return (0..wanted.min(super::sets::RANDOM_REPEATS_MAX))
            .map(|_| items[store.random.below(items.len())].clone())
            .collect();
    }
    if wanted >= items.len() {
        return items.to_vec();
    }
    let mut indexes: Vec<usize> = (0..items.len()).collect();
    for slot in 0..wanted {
        let swap = slot + store.random.below(items.len() - slot);
        indexes.swap(slot, swap);
    }
    indexes[..wanted].iter().map(|&index| items[index].clone()).collect()
}

fn render_pairs(pairs: Vec<(Bytes, Bytes)>, with_values: bool, protocol: Protocol) -> Frame {
    let frames = pairs.into_iter().flat_map(|(field, value)| match (with_values, protocol) {
        (false, _) => vec![Frame::Bulk(field)],
        (true, Protocol::Resp2) => vec![Frame::Bulk(field), Frame::Bulk(value)],
        (true, Protocol::Resp3) => vec![Frame::Array(vec![Frame::Bulk(field), Frame::Bulk(value)])],
    });
    Frame::Array(frames.collect())
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use crate::resp::{Frame, Protocol};
    use crate::store::Store;

    fn run(store: &mut Store, words: &[&str]) -> Frame {
        let args: Vec<Bytes> = words.iter().map(|word| Bytes::copy_from_slice(word.as_bytes())).collect();
        store.execute(&args, 0, Protocol::Resp2)
    }

    #[test]
    fn fields_keep_insertion_order_through_updates_and_deletes() {
        let mut store = Store::new();
        run(&mut store, &["HSET", "h", "z", "1", "a", "2", "m", "3"]);
        run(&mut store, &["HSET", "h", "a", "updated"]);
        run(&mut store, &["HDEL", "h", "z"]);
        run(&mut store, &["HSET", "h", "z", "again"]);
        assert_eq!(
            run(&mut store, &["HKEYS", "h"]),
            Frame::Array(vec![Frame::bulk("a"), Frame::bulk("m"), Frame::bulk("z")])
        );
    }

    #[test]
    fn positive_random_counts_are_distinct() {
        let mut store = Store::with_seed(3);
        run(&mut store, &["HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4"]);
        let Frame::Array(picked) = run(&mut store, &["HRANDFIELD", "h", "3"]) else { panic!("array") };
        let mut unique: Vec<String> = picked.iter().map(|frame| format!("{frame:?}")).collect();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), 3);
        assert_eq!(picked.len(), 3);
        let Frame::Array(repeated) = run(&mut store, &["HRANDFIELD", "h", "-7"]) else { panic!("array") };
        assert_eq!(repeated.len(), 7);
    }
}
