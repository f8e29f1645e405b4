//! Token ranges for the full range repair: which ranges this node owns, how they split into segments
//! that have exactly one replica per rack, and which digest bucket a token falls in. Pure functions of
//! the topology, pinned by small tables in the tests.
//!
//! A rack's ring gives a token in `(a, b]` of two consecutive ring tokens to the node holding `b`
//! (wrapping past the largest token to the smallest one, see `dynomite_core::ring::Ring::owner`). Ranges
//! here are inclusive `[start, end]` with `start <= end`; a range that wraps is split into two.

use dynomite_core::ring::{NodeId, Topology};

/// An inclusive token range, `start <= end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TokenRange {
    /// First token of the range.
    pub start: u32,
    /// Last token of the range (inclusive).
    pub end: u32,
}

impl TokenRange {
    /// The whole ring.
    pub const ALL: TokenRange = TokenRange { start: 0, end: u32::MAX };

    /// Whether `token` lies in the range.
    pub fn contains(&self, token: u32) -> bool {
        self.start <= token && token <= self.end
    }

    /// Which of `buckets` equal slices of the range `token` falls in (0-based; `token` must lie in the
    /// range, `buckets >= 1`).
    pub fn bucket_of(&self, token: u32, buckets: u32) -> u32 {
        let span = u64::from(self.end - self.start) + 1;
        let offset = u64::from(token.saturating_sub(self.start));
        // offset < span, so the quotient is < buckets.
        ((offset * u64::from(buckets.max(1))) / span) as u32
    }
}

impl std::fmt::Display for TokenRange {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "[{}, {}]", self.start, self.end)
    }
}

/// The ranges the local node owns in its rack's ring, sorted, wrap-around split in two.
pub fn owned_ranges(topology: &Topology) -> Vec<TokenRange> {
    let local = topology.local().id;
    let entries = topology.local_rack().ring.entries();
    let mut ranges = Vec::new();
    for (index, &(token, owner)) in entries.iter().enumerate() {
        if owner != local {
            continue;
        }
        if entries.len() == 1 {
            return vec![TokenRange::ALL];
        }
        if index == 0 {
            // (largest, MAX] ∪ [0, token]
            let largest = entries[entries.len() - 1].0;
            ranges.push(TokenRange { start: 0, end: token });
            if largest < u32::MAX {
                ranges.push(TokenRange { start: largest + 1, end: u32::MAX });
            }
        } else {
            let previous = entries[index - 1].0;
            ranges.push(TokenRange { start: previous + 1, end: token });
        }
    }
    ranges.sort_unstable();
    ranges
}

/// A part of a range with exactly one owner in every rack of every datacenter: its replicas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The tokens.
    pub range: TokenRange,
    /// The owner in every rack (datacenters and racks by name), the local node included when it owns
    /// the segment in its rack.
    pub replicas: Vec<NodeId>,
}

/// Splits `range` at every ring token of every rack, so that each piece has one owner per rack.
pub fn segments(topology: &Topology, range: TokenRange) -> Vec<Segment> {
    let mut boundaries: Vec<u32> = topology
        .datacenters()
        .iter()
        .flat_map(|datacenter| datacenter.racks.iter())
        .flat_map(|rack| rack.ring.entries().iter().map(|(token, _)| *token))
        .filter(|token| range.contains(*token) && *token < range.end)
        .collect();
    boundaries.sort_unstable();
    boundaries.dedup();
    let mut pieces = Vec::with_capacity(boundaries.len() + 1);
    let mut start = range.start;
    for boundary in boundaries.into_iter().chain(std::iter::once(range.end)) {
        pieces.push(TokenRange { start, end: boundary });
        start = boundary.saturating_add(1);
    }
    pieces
        .into_iter()
        .map(|piece| Segment { range: piece, replicas: replicas_of(topology, piece.end) })
        .collect()
}

/// The replicas of `token`: its owner in every rack of every datacenter, each node once.
pub fn replicas_of(topology: &Topology, token: u32) -> Vec<NodeId> {
    let mut replicas: Vec<NodeId> = topology
        .datacenters()
        .iter()
        .flat_map(|datacenter| datacenter.racks.iter())
        .map(|rack| rack.ring.owner(token))
        .collect();
    replicas.sort_unstable();
    replicas.dedup();
    replicas
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynomite_core::config::Endpoint;

    fn node(port: u16, dc: &str, rack: &str, tokens: &[u32]) -> (Endpoint, String, String, Vec<u32>) {
        (Endpoint::new("127.0.0.1", port), dc.to_string(), rack.to_string(), tokens.to_vec())
    }

    /// dc1: rack a = {n0: 100, n1: 200}, rack b = {n2: 150}; dc2: rack c = {n3: 100, n4: 300}.
    fn topology(local: usize) -> Topology {
        Topology::from_nodes(
            vec![
                node(1, "dc1", "a", &[100]),
                node(2, "dc1", "a", &[200]),
                node(3, "dc1", "b", &[150]),
                node(4, "dc2", "c", &[100]),
                node(5, "dc2", "c", &[300]),
            ],
            local,
        )
        .unwrap()
    }

    #[test]
    fn owned_ranges_follow_the_ring() {
        // n0 holds the smallest token 100: (200, MAX] and [0, 100].
        assert_eq!(
            owned_ranges(&topology(0)),
            vec![TokenRange { start: 0, end: 100 }, TokenRange { start: 201, end: u32::MAX }]
        );
        // n1 holds (100, 200].
        assert_eq!(owned_ranges(&topology(1)), vec![TokenRange { start: 101, end: 200 }]);
        // n2 is alone in its rack: everything.
        assert_eq!(owned_ranges(&topology(2)), vec![TokenRange::ALL]);
    }

    #[test]
    fn segments_have_one_owner_per_rack() {
        let topology = topology(1);
        let pieces = segments(&topology, TokenRange { start: 101, end: 200 });
        // Cut at 150 (rack b's token): (100, 150] and (150, 200].
        assert_eq!(
            pieces,
            vec![
                Segment {
                    range: TokenRange { start: 101, end: 150 },
                    replicas: vec![NodeId(1), NodeId(2), NodeId(4)]
                },
                Segment {
                    range: TokenRange { start: 151, end: 200 },
                    replicas: vec![NodeId(1), NodeId(2), NodeId(4)]
                },
            ]
        );
        let pieces = segments(&topology, TokenRange { start: 0, end: 100 });
        assert_eq!(
            pieces,
            vec![Segment {
                range: TokenRange { start: 0, end: 100 },
                replicas: vec![NodeId(0), NodeId(2), NodeId(3)]
            }]
        );
        // Above every token of rack c's ring wraps to its smallest token's owner (n3).
        let pieces = segments(&topology, TokenRange { start: 201, end: u32::MAX });
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].range, TokenRange { start: 201, end: 300 });
        assert_eq!(pieces[0].replicas, vec![NodeId(0), NodeId(2), NodeId(4)]);
        assert_eq!(pieces[1].range, TokenRange { start: 301, end: u32::MAX });
        assert_eq!(pieces[1].replicas, vec![NodeId(0), NodeId(2), NodeId(3)]);
    }

    #[test]
    fn buckets_split_the_range_evenly() {
        let range = TokenRange { start: 100, end: 199 };
        assert_eq!(range.bucket_of(100, 4), 0);
        assert_eq!(range.bucket_of(124, 4), 0);
        assert_eq!(range.bucket_of(125, 4), 1);
        assert_eq!(range.bucket_of(199, 4), 3);
        assert_eq!(TokenRange::ALL.bucket_of(u32::MAX, 256), 255);
        assert_eq!(TokenRange::ALL.bucket_of(0, 256), 0);
    }
}
