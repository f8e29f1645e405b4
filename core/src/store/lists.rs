//! List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT,
//! LREM, LTRIM, LPOS, LMOVE, RPOPLPUSH.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::resp::Frame;

use super::args::{self, error, integer, is, reply, SYNTAX};
use super::value::{cast, Value};
use super::{Call, Store};

/// Which end of a list.
#[derive(Clone, Copy, PartialEq)]
enum End {
    /// The head (index 0).
    Left,
    /// The tail (index -1).
    Right,
}

fn new_list() -> Value {
    Value::List(VecDeque::new())
}

fn parse_end(arg: &[u8]) -> Result<End, Frame> {
    match () {
        _ if is(arg, "left") => Ok(End::Left),
        _ if is(arg, "right") => Ok(End::Right),
        _ => Err(error(SYNTAX)),
    }
}

impl Store {
    /// A copy of the list at `key` (empty when missing), WRONGTYPE for another type.
    fn list_at(&mut self, key: &[u8], now_ms: u64) -> Result<VecDeque<Bytes>, Frame> {
        Ok(self.typed(key, now_ms, cast::list)?.cloned().unwrap_or_default())
    }

    /// Pops up to `count` items from one end; deletes the key when it empties.
    fn pop(&mut self, key: &[u8], end: End, count: usize, now_ms: u64) -> Result<Option<Vec<Bytes>>, Frame> {
        let Some(list) = self.typed(key, now_ms, cast::list)? else { return Ok(None) };
        let taken = (0..count.min(list.len()))
            .filter_map(|_| if end == End::Left { list.pop_front() } else { list.pop_back() })
            .collect();
        self.drop_if_empty(key);
        Ok(Some(taken))
    }
}

fn push(store: &mut Store, call: &Call, end: End, only_existing: bool) -> Frame {
    if only_existing {
        match store.typed(&call.args[1], call.now_ms, cast::list) {
            Err(error) => return error,
            Ok(None) => return Frame::Integer(0),
            Ok(Some(_)) => {}
        }
    }
    reply(store.typed_or_insert(&call.args[1], call.now_ms, cast::list, new_list).map(|list| {
        for item in &call.args[2..] {
            match end {
                End::Left => list.push_front(item.clone()),
                End::Right => list.push_back(item.clone()),
            }
        }
        Frame::Integer(list.len() as i64)
    }))
}

/// LPUSH key element...
pub(crate) fn lpush(store: &mut Store, call: &Call) -> Frame {
    push(store, call, End::Left, false)
}

/// RPUSH key element...
pub(crate) fn rpush(store: &mut Store, call: &Call) -> Frame {
    push(store, call, End::Right, false)
}

/// LPUSHX key element...
pub(crate) fn lpushx(store: &mut Store, call: &Call) -> Frame {
    push(store, call, End::Left, true)
}

/// RPUSHX key element...
pub(crate) fn rpushx(store: &mut Store, call: &Call) -> Frame {
    push(store, call, End::Right, true)
}

fn pop_command(store: &mut Store, call: &Call, end: End) -> Result<Frame, Frame> {
    let count = match &call.args[2..] {
        [] => None,
        [count] => Some(args::count(count)?),
        _ => return Err(args::wrong_arity(if end == End::Left { "lpop" } else { "rpop" })),
    };
    let popped = store.pop(&call.args[1], end, count.unwrap_or(1), call.now_ms)?;
    Ok(match (count, popped) {
        (None, popped) => popped.and_then(|items| items.into_iter().next()).map_or(Frame::Null, Frame::Bulk),
        (Some(_), None) => Frame::NullArray,
        (Some(_), Some(items)) => args::bulk_array(&items),
    })
}

/// LPOP key [count].
pub(crate) fn lpop(store: &mut Store, call: &Call) -> Frame {
    reply(pop_command(store, call, End::Left))
}

/// RPOP key [count].
pub(crate) fn rpop(store: &mut Store, call: &Call) -> Frame {
    reply(pop_command(store, call, End::Right))
}

/// LLEN key.
pub(crate) fn llen(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::list, |list| {
        Frame::Integer(list.map_or(0, |l| l.len()) as i64)
    }))
}

/// Redis's start/stop normalization; `None` for an empty range.
pub(crate) fn normalize_range(start: i64, stop: i64, length: usize) -> Option<(usize, usize)> {
    let length = i64::try_from(length).unwrap_or(i64::MAX);
    let start = if start < 0 { (length.saturating_add(start)).max(0) } else { start };
    let stop = if stop < 0 { length.saturating_add(stop) } else { stop.min(length - 1) };
    if start > stop || start >= length || stop < 0 {
        return None;
    }
    Some((usize::try_from(start).ok()?, usize::try_from(stop).ok()?))
}

/// LRANGE key start stop.
pub(crate) fn lrange(store: &mut Store, call: &Call) -> Frame {
    reply(lrange_checked(store, call))
}

fn lrange_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let (start, stop) = (integer(&call.args[2])?, integer(&call.args[3])?);
    let list = store.list_at(&call.args[1], call.now_ms)?;
    let items = normalize_range(start, stop, list.len())
        .map(|(start, stop)| list.range(start..=stop).map(|item| Frame::Bulk(item.clone())).collect())
        .unwrap_or_default();
    Ok(Frame::Array(items))
}

fn resolve_index(index: i64, length: usize) -> Option<usize> {
    let length = i64::try_from(length).ok()?;
    let index = if index < 0 { length.checked_add(index)? } else { index };
    (0..length).contains(&index).then(|| usize::try_from(index).ok()).flatten()
}

/// LINDEX key index.
pub(crate) fn lindex(store: &mut Store, call: &Call) -> Frame {
    reply(lindex_checked(store, call))
}

fn lindex_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let index = integer(&call.args[2])?;
    store.inspect(&call.args[1], call.now_ms, cast::list, |list| {
        let list = list.filter(|list| !list.is_empty());
        list.and_then(|list| resolve_index(index, list.len()).and_then(|index| list.get(index)))
            .cloned()
            .map_or(Frame::Null, Frame::Bulk)
    })
}

/// LSET key index element.
pub(crate) fn lset(store: &mut Store, call: &Call) -> Frame {
    reply(lset_checked(store, call))
}

fn lset_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let index = integer(&call.args[2])?;
    let list =
        store.typed(&call.args[1], call.now_ms, cast::list)?.ok_or_else(|| error("ERR no such key"))?;
    let index = resolve_index(index, list.len()).ok_or_else(|| error("ERR index out of range"))?;
    list[index] = call.args[3].clone();
    Ok(Frame::ok())
}

/// LINSERT key BEFORE|AFTER pivot element.
pub(crate) fn linsert(store: &mut Store, call: &Call) -> Frame {
    reply(linsert_checked(store, call))
}

fn linsert_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let after = match () {
        _ if is(&call.args[2], "after") => true,
        _ if is(&call.args[2], "before") => false,
        _ => return Err(error(SYNTAX)),
    };
    let Some(list) = store.typed(&call.args[1], call.now_ms, cast::list)? else {
        return Ok(Frame::Integer(0));
    };
    let Some(position) = list.iter().position(|item| *item == call.args[3]) else {
        return Ok(Frame::Integer(-1));
    };
    list.insert(position + usize::from(after), call.args[4].clone());
    Ok(Frame::Integer(list.len() as i64))
}

/// LREM key count element.
pub(crate) fn lrem(store: &mut Store, call: &Call) -> Frame {
    reply(lrem_checked(store, call))
}

fn lrem_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let count = integer(&call.args[2])?;
    let Some(list) = store.typed(&call.args[1], call.now_ms, cast::list)? else {
        return Ok(Frame::Integer(0));
    };
    let limit =
        if count == 0 { usize::MAX } else { usize::try_from(count.unsigned_abs()).unwrap_or(usize::MAX) };
    let mut removed = 0;
    let mut kept = VecDeque::with_capacity(list.len());
    let items: Vec<Bytes> = if count < 0 { list.drain(..).rev().collect() } else { list.drain(..).collect() };
    for item in items {
        if removed < limit && item == call.args[3] {
            removed += 1;
        } else {
            kept.push_back(item);
        }
    }
    if count < 0 {
        kept = kept.into_iter().rev().collect();
    }
    *list = kept;
    store.drop_if_empty(&call.args[1]);
    Ok(Frame::Integer(removed as i64))
}

/// LTRIM key start stop.
pub(crate) fn ltrim(store: &mut Store, call: &Call) -> Frame {
    reply(ltrim_checked(store, call))
}

fn ltrim_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let (start, stop) = (integer(&call.args[2])?, integer(&call.args[3])?);
    let Some(list) = store.typed(&call.args[1], call.now_ms, cast::list)? else { return Ok(Frame::ok()) };
    match normalize_range(start, stop, list.len()) {
        Some((start, stop)) => {
            list.truncate(stop + 1);
            list.drain(..start);
        }
        None => list.clear(),
    }
    store.drop_if_empty(&call.args[1]);
    Ok(Frame::ok())
}

/// LPOS RANK 0.
const RANK_ZERO: &str = "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... \
                         or use negative to start from the end of the list";
/// LPOS RANK with the one i64 that has no negation.
const RANK_MINIMUM: &str =
    "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807";

/// Options of LPOS.
struct PositionOptions {
    /// RANK: which match to start from (negative: from the tail).
    rank: i64,
    /// COUNT: how many matches (0: all); `None` replies a single index.
    count: Option<usize>,
    /// MAXLEN: how many elements to examine (0: all).
    max_length: usize,
}

fn parse_lpos_options(options: &[Bytes]) -> Result<PositionOptions, Frame> {
    let mut parsed = PositionOptions { rank: 1, count: None, max_length: 0 };
    let mut rest = options;
    while let [option, value, tail @ ..] = rest {
        if is(option, "rank") {
            let number = integer(value)?;
            if number == 0 {
                return Err(error(RANK_ZERO));
            }
            if number == i64::MIN {
                return Err(error(RANK_MINIMUM));
            }
            parsed.rank = number;
        } else if is(option, "count") {
            let count = integer(value)?;
            parsed.count = Some(usize::try_from(count).map_err(|_| error("ERR COUNT can't be negative"))?);
        } else if is(option, "maxlen") {
            let max_length = integer(value)?;
            parsed.max_length =
                usize::try_from(max_length).map_err(|_| error("ERR MAXLEN can't be negative"))?;
        } else {
            return Err(error(SYNTAX));
        }
        rest = tail;
    }
    if rest.is_empty() {
        Ok(parsed)
    } else {
        Err(error(SYNTAX))
    }
}

/// LPOS key element [RANK rank] [COUNT count] [MAXLEN len].
pub(crate) fn lpos(store: &mut Store, call: &Call) -> Frame {
    reply(lpos_checked(store, call))
}

fn lpos_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let options = parse_lpos_options(&call.args[3..])?;
    let list = store.list_at(&call.args[1], call.now_ms)?;
    let scan_length = if options.max_length == 0 { list.len() } else { options.max_length.min(list.len()) };
    let indexes: Vec<usize> =
        if options.rank > 0 { (0..list.len()).collect() } else { (0..list.len()).rev().collect() };
    let skip = usize::try_from(options.rank.unsigned_abs() - 1).unwrap_or(usize::MAX);
    let wanted = match options.count {
        Some(0) => usize::MAX,
        Some(count) => count,
        None => 1,
    };
    let found: Vec<Frame> = indexes
        .into_iter()
        .take(scan_length)
        .filter(|&index| list[index] == call.args[2])
        .skip(skip)
        .take(wanted)
        .map(|index| Frame::Integer(index as i64))
        .collect();
    Ok(match options.count {
        Some(_) => Frame::Array(found),
        None => found.into_iter().next().unwrap_or(Frame::Null),
    })
}

fn move_item(store: &mut Store, call: &Call, from: End, to: End) -> Result<Frame, Frame> {
    let (source, destination) = (&call.args[1], &call.args[2]);
    let Some(source_list) = store.typed(source, call.now_ms, cast::list)? else { return Ok(Frame::Null) };
    if source_list.is_empty() {
        return Ok(Frame::Null);
    }
    store.typed(destination, call.now_ms, cast::list)?;
    if source == destination {
        return Ok(rotate(store, call, from, to));
    }
    let Some(item) = store.pop(source, from, 1, call.now_ms)?.and_then(|items| items.into_iter().next())
    else {
        return Ok(Frame::Null);
    };
    let list = store.typed_or_insert(destination, call.now_ms, cast::list, new_list)?;
    match to {
        End::Left => list.push_front(item.clone()),
        End::Right => list.push_back(item.clone()),
    }
    Ok(Frame::Bulk(item))
}

/// Moves an item between the ends of one list in place (the key, and its TTL, never disappear).
fn rotate(store: &mut Store, call: &Call, from: End, to: End) -> Frame {
    let Ok(Some(list)) = store.typed(&call.args[1], call.now_ms, cast::list) else { return Frame::Null };
    let item = if from == End::Left { list.pop_front() } else { list.pop_back() };
    let Some(item) = item else { return Frame::Null };
    match to {
        End::Left => list.push_front(item.clone()),
        End::Right => list.push_back(item.clone()),
    }
    Frame::Bulk(item)
}

/// LMOVE source destination LEFT|RIGHT LEFT|RIGHT.
pub(crate) fn lmove(store: &mut Store, call: &Call) -> Frame {
    reply(parse_end(&call.args[3]).and_then(|from| {
        let to = parse_end(&call.args[4])?;
        move_item(store, call, from, to)
    }))
}

/// RPOPLPUSH source destination.
pub(crate) fn rpoplpush(store: &mut Store, call: &Call) -> Frame {
    reply(move_item(store, call, End::Right, End::Left))
}

#[cfg(test)]
mod tests {
    use super::normalize_range;

    /// (start, stop, length) → the inclusive index range Redis's LRANGE would return.
    #[test]
    fn ranges_normalize_like_redis() {
        let cases = [
            ((0, -1, 5), Some((0, 4))),
            ((-2, -1, 5), Some((3, 4))),
            ((-100, 1, 5), Some((0, 1))),
            ((3, 100, 5), Some((3, 4))),
            ((4, 2, 5), None),
            ((5, 10, 5), None),
            ((0, -1, 0), None),
            ((0, -6, 5), None),
            ((i64::MIN, i64::MAX, 3), Some((0, 2))),
        ];
        for ((start, stop, length), expected) in cases {
            assert_eq!(normalize_range(start, stop, length), expected, "{start} {stop} {length}");
        }
    }
}
