//! The sorted-set data structure: member → score plus an ordered index by (score, member).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

use bytes::Bytes;

/// A (score, member) pair ordered like Redis's skiplist: by score, ties by member bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ranked {
    /// The score (never NaN).
    pub score: f64,
    /// The member.
    pub member: Bytes,
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.score
            .partial_cmp(&other.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| self.member.cmp(&other.member))
    }
}

/// A sorted set.
#[derive(Debug, Clone, Default)]
pub(crate) struct SortedSet {
    /// Member → score.
    scores: BTreeMap<Bytes, f64>,
    /// The order used by ranges and ranks.
    order: BTreeSet<Ranked>,
}

impl SortedSet {
    /// Number of members.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// True without members.
    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        self.scores.get(member).copied()
    }

    /// Sets `member`'s score; returns true when the member is new.
    pub fn insert(&mut self, member: Bytes, score: f64) -> bool {
        let is_new = match self.scores.insert(member.clone(), score) {
            Some(old) => {
                self.order.remove(&Ranked { score: old, member: member.clone() });
                false
            }
            None => true,
        };
        self.order.insert(Ranked { score, member });
        is_new
    }

    /// Removes `member`; returns true when it existed.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self.scores.remove_entry(member) {
            Some((member, score)) => self.order.remove(&Ranked { score, member }),
            None => false,
        }
    }

    /// Members in ascending (score, member) order.
    pub fn ascending(&self) -> impl DoubleEndedIterator<Item = &Ranked> {
        self.order.iter()
    }

    /// (member, score) pairs in member order.
    pub fn iter(&self) -> impl Iterator<Item = (&Bytes, f64)> {
        self.scores.iter().map(|(member, score)| (member, *score))
    }

    /// 0-based ascending rank of `member`.
    pub fn rank(&self, member: &[u8]) -> Option<usize> {
        let score = self.score(member)?;
        let probe = Ranked { score, member: Bytes::copy_from_slice(member) };
        Some(self.order.range(..&probe).count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_score_then_member() {
        let mut set = SortedSet::default();
        set.insert(Bytes::from_static(b"b"), 1.0);
        set.insert(Bytes::from_static(b"a"), 1.0);
        set.insert(Bytes::from_static(b"c"), 0.5);
        let order: Vec<&[u8]> = set.ascending().map(|ranked| &ranked.member[..]).collect();
        assert_eq!(order, vec![&b"c"[..], b"a", b"b"]);
        assert_eq!(set.rank(b"b"), Some(2));
        assert!(!set.insert(Bytes::from_static(b"c"), 9.0));
        assert_eq!(set.rank(b"c"), Some(2));
        assert!(set.remove(b"a"));
        assert_eq!(set.len(), 2);
    }
}
