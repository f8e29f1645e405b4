//! Sorted-set commands: ZADD (NX XX GT LT CH INCR), ZREM, ZSCORE, ZMSCORE, ZINCRBY, ZCARD, ZCOUNT,
//! ZLEXCOUNT, ZRANK, ZREVRANK, the ZRANGE family (rank, BYSCORE, BYLEX, REV, LIMIT, WITHSCORES),
//! ZREMRANGEBY*, ZPOPMIN/ZPOPMAX and ZSCAN. Interval parsing lives in `zset_ranges`, ZUNIONSTORE and
//! ZINTERSTORE in `zset_combine`.
//!
//! Where Redis changes the reply shape under RESP3 (WITHSCORES pairs, ZPOPMIN with a count) the
//! handlers branch on the protocol; scores are [`Frame::Double`] so the encoder picks bulk or double.

use bytes::Bytes;

use crate::resp::{format_double, Frame, Protocol};

use super::args::{self, error, integer, is, reply, SYNTAX};
use super::keyspace::{parse_cursor, parse_scan_options};
use super::lists::normalize_range;
use super::sorted_set::{Ranked, SortedSet};
use super::value::{cast, Value};
use super::zset_ranges::{LexRange, ScoreRange};
use super::{glob, Call, Store};

fn new_sorted_set() -> Value {
    Value::SortedSet(SortedSet::default())
}

impl Store {
    /// A copy of the sorted set at `key` (empty when missing), WRONGTYPE for another type.
    fn sorted_set_at(&mut self, key: &[u8], now_ms: u64) -> Result<SortedSet, Frame> {
        Ok(self.typed(key, now_ms, cast::sorted_set)?.cloned().unwrap_or_default())
    }
}

/// Member and score pairs as a reply: members only, flat pairs (RESP2) or nested pairs (RESP3).
fn render(items: &[(Bytes, f64)], with_scores: bool, protocol: Protocol) -> Frame {
    let mut frames = Vec::with_capacity(items.len() * 2);
    for (member, score) in items {
        let member = Frame::Bulk(member.clone());
        match (with_scores, protocol) {
            (false, _) => frames.push(member),
            (true, Protocol::Resp2) => frames.extend([member, Frame::double(*score)]),
            (true, Protocol::Resp3) => frames.push(Frame::Array(vec![member, Frame::double(*score)])),
        }
    }
    Frame::Array(frames)
}

/// Parsed ZADD flags.
#[derive(Default)]
struct AddFlags {
    /// NX: never update existing members.
    only_new: bool,
    /// XX: never add members.
    only_existing: bool,
    /// GT: update only to a greater score.
    only_greater: bool,
    /// LT: update only to a lower score.
    only_less: bool,
    /// CH: count updated members too.
    count_changed: bool,
    /// INCR: add to the score and reply the new score.
    increment: bool,
}

fn parse_add_flags(args: &[Bytes]) -> (AddFlags, usize) {
    let mut flags = AddFlags::default();
    let mut used = 0;
    for arg in args {
        let flag = match () {
            _ if is(arg, "nx") => &mut flags.only_new,
            _ if is(arg, "xx") => &mut flags.only_existing,
            _ if is(arg, "gt") => &mut flags.only_greater,
            _ if is(arg, "lt") => &mut flags.only_less,
            _ if is(arg, "ch") => &mut flags.count_changed,
            _ if is(arg, "incr") => &mut flags.increment,
            _ => break,
        };
        *flag = true;
        used += 1;
    }
    (flags, used)
}

fn check_add_flags(flags: &AddFlags, pairs: &[Bytes]) -> Result<(), Frame> {
    if pairs.is_empty() || !pairs.len().is_multiple_of(2) {
        return Err(error(SYNTAX));
    }
    if flags.only_new && flags.only_existing {
        return Err(error("ERR XX and NX options at the same time are not compatible"));
    }
    if (flags.only_new && (flags.only_greater || flags.only_less)) || (flags.only_greater && flags.only_less)
    {
        return Err(error("ERR GT, LT, and/or NX options at the same time are not compatible"));
    }
    if flags.increment && pairs.len() > 2 {
        return Err(error("ERR INCR option supports a single increment-element pair"));
    }
    Ok(())
}

/// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...].
pub(crate) fn zadd(store: &mut Store, call: &Call) -> Frame {
    reply(zadd_generic(store, call))
}

fn zadd_generic(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let (flags, used) = parse_add_flags(&call.args[2..]);
    let pairs = &call.args[2 + used..];
    check_add_flags(&flags, pairs)?;
    let scored: Vec<(f64, Bytes)> = pairs
        .chunks_exact(2)
        .map(|pair| Ok((args::float(&pair[0])?, pair[1].clone())))
        .collect::<Result<_, Frame>>()?;
    let key = &call.args[1];
    if store.typed(key, call.now_ms, cast::sorted_set)?.is_none() && flags.only_existing {
        return Ok(if flags.increment { Frame::Null } else { Frame::Integer(0) });
    }
    let set = store.typed_or_insert(key, call.now_ms, cast::sorted_set, new_sorted_set)?;
    let mut counted = 0;
    let mut last_score = None;
    for (score, member) in scored {
        let outcome = add_one(set, &flags, score, member);
        store_outcome(&outcome, &flags, &mut counted, &mut last_score);
        if let AddOutcome::NotANumber = outcome {
            store.drop_if_empty(key);
            return Err(error("ERR resulting score is not a number (NaN)"));
        }
    }
    store.drop_if_empty(key);
    Ok(match (flags.increment, last_score) {
        (true, Some(score)) => Frame::double(score),
        (true, None) => Frame::Null,
        (false, _) => Frame::Integer(counted),
    })
}

/// What one ZADD element did.
enum AddOutcome {
    /// A new member with this score.
    Added(f64),
    /// An existing member moved to this score.
    Updated(f64),
    /// An existing member already had this score.
    Unchanged(f64),
    /// NX/XX/GT/LT refused the change.
    Skipped,
    /// INCR produced NaN (`inf` + `-inf`); nothing changed.
    NotANumber,
}

fn store_outcome(outcome: &AddOutcome, flags: &AddFlags, counted: &mut i64, last_score: &mut Option<f64>) {
    match outcome {
        AddOutcome::Added(score) => {
            *counted += 1;
            *last_score = Some(*score);
        }
        AddOutcome::Updated(score) => {
            *counted += i64::from(flags.count_changed);
            *last_score = Some(*score);
        }
        AddOutcome::Unchanged(score) => *last_score = Some(*score),
        AddOutcome::Skipped | AddOutcome::NotANumber => {}
    }
}

fn add_one(set: &mut SortedSet, flags: &AddFlags, score: f64, member: Bytes) -> AddOutcome {
    match set.score(&member) {
        None if flags.only_existing => AddOutcome::Skipped,
        None => {
            set.insert(member, score);
            AddOutcome::Added(score)
        }
        Some(_) if flags.only_new => AddOutcome::Skipped,
        Some(old) => {
            let new = if flags.increment { old + score } else { score };
            if new.is_nan() {
                return AddOutcome::NotANumber;
            }
            if (flags.only_greater && new <= old) || (flags.only_less && new >= old) {
                return AddOutcome::Skipped;
            }
            if new == old {
                return AddOutcome::Unchanged(new);
            }
            set.insert(member, new);
            AddOutcome::Updated(new)
        }
    }
}

/// ZINCRBY key increment member.
pub(crate) fn zincrby(store: &mut Store, call: &Call) -> Frame {
    reply(zincrby_checked(store, call))
}

fn zincrby_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let delta = args::float(&call.args[2])?;
    let set = store.typed_or_insert(&call.args[1], call.now_ms, cast::sorted_set, new_sorted_set)?;
    let new = set.score(&call.args[3]).unwrap_or(0.0) + delta;
    if new.is_nan() {
        store.drop_if_empty(&call.args[1]);
        return Err(error("ERR resulting score is not a number (NaN)"));
    }
    set.insert(call.args[3].clone(), new);
    Ok(Frame::double(new))
}

/// ZREM key member...
pub(crate) fn zrem(store: &mut Store, call: &Call) -> Frame {
    let removed = match store.typed(&call.args[1], call.now_ms, cast::sorted_set) {
        Err(error) => return error,
        Ok(None) => 0,
        Ok(Some(set)) => call.args[2..].iter().filter(|member| set.remove(member)).count(),
    };
    store.drop_if_empty(&call.args[1]);
    Frame::Integer(removed as i64)
}

/// ZSCORE key member.
pub(crate) fn zscore(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::sorted_set, |set| {
        set.and_then(|set| set.score(&call.args[2])).map_or(Frame::Null, Frame::double)
    }))
}

/// ZMSCORE key member...
pub(crate) fn zmscore(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::sorted_set, |set| {
        let score = |member: &Bytes| set.and_then(|set| set.score(member)).map_or(Frame::Null, Frame::double);
        Frame::Array(call.args[2..].iter().map(score).collect())
    }))
}

/// ZCARD key.
pub(crate) fn zcard(store: &mut Store, call: &Call) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::sorted_set, |set| {
        Frame::Integer(set.map_or(0, |set| set.len()) as i64)
    }))
}

/// ZCOUNT key min max.
pub(crate) fn zcount(store: &mut Store, call: &Call) -> Frame {
    reply(zcount_checked(store, call))
}

fn zcount_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let range = ScoreRange::parse(&call.args[2], &call.args[3])?;
    let set = store.sorted_set_at(&call.args[1], call.now_ms)?;
    Ok(Frame::Integer(set.ascending().filter(|ranked| range.contains(ranked.score)).count() as i64))
}

/// ZLEXCOUNT key min max.
pub(crate) fn zlexcount(store: &mut Store, call: &Call) -> Frame {
    reply(zlexcount_checked(store, call))
}

fn zlexcount_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    let range = LexRange::parse(&call.args[2], &call.args[3])?;
    let set = store.sorted_set_at(&call.args[1], call.now_ms)?;
    Ok(Frame::Integer(set.ascending().filter(|ranked| range.contains(&ranked.member)).count() as i64))
}

fn rank_generic(store: &mut Store, call: &Call, reverse: bool) -> Frame {
    reply(store.inspect(&call.args[1], call.now_ms, cast::sorted_set, |set| {
        let Some(set) = set else { return Frame::Null };
        set.rank(&call.args[2]).map_or(Frame::Null, |rank| {
            let rank = if reverse { set.len() - 1 - rank } else { rank };
            Frame::Integer(rank as i64)
        })
    }))
}

/// ZRANK key member.
pub(crate) fn zrank(store: &mut Store, call: &Call) -> Frame {
    rank_generic(store, call, false)
}

/// ZREVRANK key member.
pub(crate) fn zrevrank(store: &mut Store, call: &Call) -> Frame {
    rank_generic(store, call, true)
}

/// How a range selects members.
#[derive(Clone, Copy, PartialEq)]
enum RangeKind {
    /// By 0-based rank (ZRANGE's default).
    Rank,
    /// By score interval (BYSCORE).
    Score,
    /// By member interval (BYLEX).
    Lex,
}

/// A parsed ZRANGE-family request.
struct RangeRequest {
    /// What the two bounds mean.
    kind: RangeKind,
    /// REV (or a ZREV* command): descending order, bounds written max first.
    reverse: bool,
    /// WITHSCORES.
    with_scores: bool,
    /// LIMIT offset count (BYSCORE/BYLEX only).
    limit: Option<(i64, i64)>,
}

/// Parses the options after `key min max`; `flexible` allows BYSCORE/BYLEX/REV (ZRANGE only).
fn parse_range_request(
    mut request: RangeRequest,
    options: &[Bytes],
    flexible: bool,
) -> Result<RangeRequest, Frame> {
    let mut index = 0;
    while let Some(option) = options.get(index) {
        if is(option, "withscores") {
            request.with_scores = true;
        } else if is(option, "limit") && index + 2 < options.len() + 1 && options.len() - index >= 3 {
            request.limit = Some((integer(&options[index + 1])?, integer(&options[index + 2])?));
            index += 2;
        } else if flexible && is(option, "byscore") {
            request.kind = RangeKind::Score;
        } else if flexible && is(option, "bylex") {
            request.kind = RangeKind::Lex;
        } else if flexible && is(option, "rev") {
            request.reverse = true;
        } else {
            return Err(error(SYNTAX));
        }
        index += 1;
    }
    if request.limit.is_some() && request.kind == RangeKind::Rank {
        return Err(error(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX",
        ));
    }
    if request.with_scores && request.kind == RangeKind::Lex {
        return Err(error("ERR syntax error, WITHSCORES not supported in combination with BYLEX"));
    }
    Ok(request)
}

/// Runs a range request where `first`/`second` are the bounds as written (max first when reversed).
fn run_range(
    store: &mut Store,
    call: &Call,
    request: &RangeRequest,
    first: &Bytes,
    second: &Bytes,
) -> Result<Frame, Frame> {
    let selected = select_range(store, call, request, first, second)?;
    Ok(render(&selected, request.with_scores, call.protocol))
}

fn select_range(
    store: &mut Store,
    call: &Call,
    request: &RangeRequest,
    first: &Bytes,
    second: &Bytes,
) -> Result<Vec<(Bytes, f64)>, Frame> {
    let (low, high) =
        if request.reverse && request.kind != RangeKind::Rank { (second, first) } else { (first, second) };
    let filter: Box<dyn Fn(&Ranked) -> bool> = match request.kind {
        RangeKind::Rank => {
            let (start, stop) = (integer(low)?, integer(high)?);
            let set = store.sorted_set_at(&call.args[1], call.now_ms)?;
            let ordered = ordered_items(&set, request.reverse);
            let Some((start, stop)) = normalize_range(start, stop, ordered.len()) else {
                return Ok(Vec::new());
            };
            return Ok(ordered[start..=stop].to_vec());
        }
        RangeKind::Score => {
            let range = ScoreRange::parse(low, high)?;
            Box::new(move |ranked: &Ranked| range.contains(ranked.score))
        }
        RangeKind::Lex => {
            let range = LexRange::parse(low, high)?;
            Box::new(move |ranked: &Ranked| range.contains(&ranked.member))
        }
    };
    let set = store.sorted_set_at(&call.args[1], call.now_ms)?;
    let matching: Vec<(Bytes, f64)> = ordered_items(&set, request.reverse)
        .into_iter()
        .filter(|(member, score)| filter(&Ranked { score: *score, member: member.clone() }))
        .collect();
    Ok(apply_limit(matching, request.limit))
}

fn ordered_items(set: &SortedSet, reverse: bool) -> Vec<(Bytes, f64)> {
    let pairs = set.ascending().map(|ranked| (ranked.member.clone(), ranked.score));
    if reverse {
        pairs.rev().collect()
    } else {
        pairs.collect()
    }
}

fn apply_limit(items: Vec<(Bytes, f64)>, limit: Option<(i64, i64)>) -> Vec<(Bytes, f64)> {
    let Some((offset, count)) = limit else { return items };
    let Ok(offset) = usize::try_from(offset) else { return Vec::new() };
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    items.into_iter().skip(offset).take(count).collect()
}

fn range_command(store: &mut Store, call: &Call, kind: RangeKind, reverse: bool, flexible: bool) -> Frame {
    let request = RangeRequest { kind, reverse, with_scores: false, limit: None };
    reply(
        parse_range_request(request, &call.args[4..], flexible)
            .and_then(|request| run_range(store, call, &request, &call.args[2], &call.args[3])),
    )
}

/// ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES].
pub(crate) fn zrange(store: &mut Store, call: &Call) -> Frame {
    range_command(store, call, RangeKind::Rank, false, true)
}

/// ZREVRANGE key start stop [WITHSCORES].
pub(crate) fn zrevrange(store: &mut Store, call: &Call) -> Frame {
    range_command(store, call, RangeKind::Rank, true, false)
}

/// ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count].
pub(crate) fn zrangebyscore(store: &mut Store, call: &Call) -> Frame {
    range_command(store, call, RangeKind::Score, false, false)
}

/// ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count].
pub(crate) fn zrevrangebyscore(store: &mut Store, call: &Call) -> Frame {
    range_command(store, call, RangeKind::Score, true, false)
}

/// ZRANGEBYLEX key min max [LIMIT offset count].
pub(crate) fn zrangebylex(store: &mut Store, call: &Call) -> Frame {
    range_command(store, call, RangeKind::Lex, false, false)
}

/// ZREVRANGEBYLEX key max min [LIMIT offset count].
pub(crate) fn zrevrangebylex(store: &mut Store, call: &Call) -> Frame {
    range_command(store, call, RangeKind::Lex, true, false)
}

fn remove_range(store: &mut Store, call: &Call, kind: RangeKind) -> Frame {
    let request = RangeRequest { kind, reverse: false, with_scores: false, limit: None };
    reply(select_range(store, call, &request, &call.args[2], &call.args[3]).map(|selected| {
        if let Ok(Some(set)) = store.typed(&call.args[1], call.now_ms, cast::sorted_set) {
            for (member, _) in &selected {
                set.remove(member);
            }
        }
        store.drop_if_empty(&call.args[1]);
        Frame::Integer(selected.len() as i64)
    }))
}

/// ZREMRANGEBYRANK key start stop.
pub(crate) fn zremrangebyrank(store: &mut Store, call: &Call) -> Frame {
    remove_range(store, call, RangeKind::Rank)
}

/// ZREMRANGEBYSCORE key min max.
pub(crate) fn zremrangebyscore(store: &mut Store, call: &Call) -> Frame {
    remove_range(store, call, RangeKind::Score)
}

/// ZREMRANGEBYLEX key min max.
pub(crate) fn zremrangebylex(store: &mut Store, call: &Call) -> Frame {
    remove_range(store, call, RangeKind::Lex)
}

fn pop_generic(store: &mut Store, call: &Call, from_highest: bool) -> Frame {
    reply(pop_generic_checked(store, call, from_highest))
}

fn pop_generic_checked(store: &mut Store, call: &Call, from_highest: bool) -> Result<Frame, Frame> {
    let count = match &call.args[2..] {
        [] => None,
        [count] => Some(args::count(count)?),
        _ => return Err(error(SYNTAX)),
    };
    let set = store.sorted_set_at(&call.args[1], call.now_ms)?;
    let popped: Vec<(Bytes, f64)> =
        ordered_items(&set, from_highest).into_iter().take(count.unwrap_or(1)).collect();
    if let Ok(Some(set)) = store.typed(&call.args[1], call.now_ms, cast::sorted_set) {
        for (member, _) in &popped {
            set.remove(member);
        }
    }
    store.drop_if_empty(&call.args[1]);
    let nested = count.is_some() && call.protocol == Protocol::Resp3;
    Ok(render(&popped, true, if nested { Protocol::Resp3 } else { Protocol::Resp2 }))
}

/// ZPOPMIN key [count].
pub(crate) fn zpopmin(store: &mut Store, call: &Call) -> Frame {
    pop_generic(store, call, false)
}

/// ZPOPMAX key [count].
pub(crate) fn zpopmax(store: &mut Store, call: &Call) -> Frame {
    pop_generic(store, call, true)
}

/// ZSCAN key cursor [MATCH pattern] [COUNT count]: the whole set in one call (cursor 0); scores
/// are bulk strings in both protocols, like Redis.
pub(crate) fn zscan(store: &mut Store, call: &Call) -> Frame {
    reply(zscan_checked(store, call))
}

fn zscan_checked(store: &mut Store, call: &Call) -> Result<Frame, Frame> {
    parse_cursor(&call.args[2])?;
    let options = parse_scan_options(&call.args[3..], false)?;
    let set = store.sorted_set_at(&call.args[1], call.now_ms)?;
    let mut items = Vec::new();
    for ranked in set.ascending() {
        if options.pattern.as_ref().is_none_or(|pattern| glob::matches(pattern, &ranked.member)) {
            items.push(Frame::Bulk(ranked.member.clone()));
            items.push(Frame::Bulk(Bytes::from(format_double(ranked.score))));
        }
    }
    Ok(Frame::Array(vec![Frame::bulk("0"), Frame::Array(items)]))
}
