//! ZUNIONSTORE and ZINTERSTORE: weights, aggregation and set sources (a plain set counts as a
//! sorted set whose scores are all 1).

use std::collections::BTreeMap;

use bytes::Bytes;

use crate::resp::Frame;

use super::args::{self, error, integer, is, reply, SYNTAX};
use super::numbers;
use super::sorted_set::SortedSet;
use super::value::Value;
use super::{Call, Store};

/// How ZUNIONSTORE/ZINTERSTORE merge scores.
#[derive(Clone, Copy)]
enum Aggregate {
    /// Add the weighted scores (the default).
    Sum,
    /// Keep the smallest weighted score.
    Min,
    /// Keep the largest weighted score.
    Max,
}

impl Aggregate {
    fn apply(self, left: f64, right: f64) -> f64 {
        match self {
            Aggregate::Sum => {
                let sum = left + right;
                if sum.is_nan() {
                    0.0
                } else {
                    sum
                }
            }
            Aggregate::Min => left.min(right),
            Aggregate::Max => left.max(right),
        }
    }
}

fn parse_store_options(options: &[Bytes], key_count: usize) -> Result<(Vec<f64>, Aggregate), Frame> {
    let mut weights = vec![1.0; key_count];
    let mut aggregate = Aggregate::Sum;
    let mut index = 0;
    while let Some(option) = options.get(index) {
        let remaining = options.len() - index - 1;
        if is(option, "weights") && remaining >= key_count {
            for (slot, weight) in weights.iter_mut().zip(&options[index + 1..=index + key_count]) {
                *slot = numbers::parse_f64(weight).ok_or_else(|| error("ERR weight value is not a float"))?;
            }
            index += key_count;
        } else if is(option, "aggregate") && remaining >= 1 {
            let name = &options[index + 1];
            aggregate = match () {
                _ if is(name, "sum") => Aggregate::Sum,
                _ if is(name, "min") => Aggregate::Min,
                _ if is(name, "max") => Aggregate::Max,
                _ => return Err(error(SYNTAX)),
            };
            index += 1;
        } else {
            return Err(error(SYNTAX));
        }
        index += 1;
    }
    Ok((weights, aggregate))
}

/// The scores of a ZUNIONSTORE/ZINTERSTORE source: a sorted set, or a set (every score 1).
fn source_scores(store: &mut Store, key: &[u8], now_ms: u64) -> Result<Vec<(Bytes, f64)>, Frame> {
    match store.live_entry(key, now_ms).map(|entry| &entry.value) {
        None => Ok(Vec::new()),
        Some(Value::SortedSet(set)) => {
            Ok(set.iter().map(|(member, score)| (member.clone(), score)).collect())
        }
        Some(Value::Set(set)) => Ok(set.iter().map(|member| (member.clone(), 1.0)).collect()),
        Some(_) => Err(error(args::WRONG_TYPE)),
    }
}

fn combine_store(store: &mut Store, call: &Call, intersect: bool) -> Frame {
    reply(combine_store_checked(store, call, intersect))
}

fn combine_store_checked(store: &mut Store, call: &Call, intersect: bool) -> Result<Frame, Frame> {
    let numkeys = integer(&call.args[2])?;
    if numkeys < 1 {
        return Err(Frame::error(format!(
            "ERR at least 1 input key is needed for '{}' command",
            String::from_utf8_lossy(&call.args[0]).to_ascii_lowercase()
        )));
    }
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > call.args.len() - 3 {
        return Err(error(SYNTAX));
    }
    let keys = &call.args[3..3 + numkeys];
    let (weights, aggregate) = parse_store_options(&call.args[3 + numkeys..], numkeys)?;
    let sources =
        keys.iter().map(|key| source_scores(store, key, call.now_ms)).collect::<Result<Vec<_>, Frame>>()?;
    let result = merge(&sources, &weights, aggregate, intersect);
    let length = result.len();
    store.keys.remove(&call.args[1]);
    if length > 0 {
        store.put(call.args[1].clone(), Value::SortedSet(result));
    }
    Ok(Frame::Integer(length as i64))
}

fn merge(sources: &[Vec<(Bytes, f64)>], weights: &[f64], aggregate: Aggregate, intersect: bool) -> SortedSet {
    let mut merged: BTreeMap<Bytes, (f64, usize)> = BTreeMap::new();
    for (source, weight) in sources.iter().zip(weights) {
        for (member, score) in source {
            let weighted = weight_score(*score, *weight);
            merged
                .entry(member.clone())
                .and_modify(|(total, seen)| {
                    *total = aggregate.apply(*total, weighted);
                    *seen += 1;
                })
                .or_insert((weighted, 1));
        }
    }
    let mut result = SortedSet::default();
    for (member, (score, seen)) in merged {
        if !intersect || seen == sources.len() {
            result.insert(member, score);
        }
    }
    result
}

/// Redis multiplies score by weight, treating 0 * inf as 0.
fn weight_score(score: f64, weight: f64) -> f64 {
    let product = score * weight;
    if product.is_nan() {
        0.0
    } else {
        product
    }
}

/// ZUNIONSTORE destination numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX].
pub(crate) fn zunionstore(store: &mut Store, call: &Call) -> Frame {
    combine_store(store, call, false)
}

/// ZINTERSTORE destination numkeys key... [WEIGHTS w...] [AGGREGATE SUM|MIN|MAX].
pub(crate) fn zinterstore(store: &mut Store, call: &Call) -> Frame {
    combine_store(store, call, true)
}
