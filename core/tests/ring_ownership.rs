//! Golden tables for token ownership in one rack. C Dynomite's `vnode_dispatch` gives a hash in the
//! interval `(a, b]` of two consecutive ring tokens to the node holding `b`, so the owner is the node
//! with the smallest token `>=` the hash, and a hash above the largest token wraps to the smallest.

use dynomite_core::config::Endpoint;
use dynomite_core::ring::{NodeId, Ring, Topology, TopologyError};

/// One rack "dc1/r1" with one node per token list; node `i` listens on port 8100 + i.
fn single_rack(tokens: &[&[u32]]) -> Topology {
    let nodes = tokens
        .iter()
        .enumerate()
        .map(|(index, tokens)| {
            let port = 8100 + index as u16;
            (Endpoint::new("127.0.0.1", port), "dc1".to_string(), "r1".to_string(), tokens.to_vec())
        })
        .collect();
    match Topology::from_nodes(nodes, 0) {
        Ok(topology) => topology,
        Err(error) => panic!("test topology is valid: {error}"),
    }
}

const A: NodeId = NodeId(0);
const B: NodeId = NodeId(1);
const C: NodeId = NodeId(2);

#[test]
fn three_nodes_100_200_300() {
    let topology = single_rack(&[&[100], &[200], &[300]]);
    let cases = [
        // Below the smallest token: the first interval (300, 100] wraps around zero, owned by 100's node.
        (0, A),
        (99, A),
        // Equal to a token: that token's node (the interval is closed on the right).
        (100, A),
        // Just past 100: the next token up, 200.
        (101, B),
        (150, B),
        (200, B),
        (201, C),
        (300, C),
        // Above the largest token: wraps to the smallest token's node.
        (301, A),
        (u32::MAX, A),
    ];
    for (hash, owner) in cases {
        assert_eq!(topology.local_rack_owner(hash), owner, "hash {hash}");
    }
    assert_eq!(topology.local_rack_nodes(), vec![A, B, C], "ring order is token order");
}

#[test]
fn tokens_at_the_extremes() {
    // Node A at 0, node B at u32::MAX: only 0 itself belongs to A's interval (MAX, 0].
    let topology = single_rack(&[&[0], &[u32::MAX]]);
    let cases = [
        // Equal to A's token.
        (0, A),
        // Everything else is in (0, MAX], owned by B.
        (1, B),
        (1 << 31, B),
        (u32::MAX, B),
    ];
    for (hash, owner) in cases {
        assert_eq!(topology.local_rack_owner(hash), owner, "hash {hash}");
    }
}

#[test]
fn nodes_with_several_tokens() {
    // A holds 100 and 250, B holds 200: the ring is 100(A) 200(B) 250(A).
    let topology = single_rack(&[&[250, 100], &[200]]);
    let cases = [
        // (250, 100] wraps: A through its token 100.
        (50, A),
        // (100, 200]: B.
        (150, B),
        // (200, 250]: A through its token 250.
        (220, A),
        (250, A),
        // Above 250: wraps to 100, A again.
        (251, A),
    ];
    for (hash, owner) in cases {
        assert_eq!(topology.local_rack_owner(hash), owner, "hash {hash}");
    }
    // Ring order lists each node once, by its smallest token.
    assert_eq!(topology.local_rack_nodes(), vec![A, B]);
}

#[test]
fn a_single_node_owns_everything() {
    let topology = single_rack(&[&[12345]]);
    for hash in [0, 12344, 12345, 12346, u32::MAX] {
        // Every hash is either <= 12345 or wraps to it.
        assert_eq!(topology.local_rack_owner(hash), A, "hash {hash}");
    }
}

#[test]
fn ring_new_checks() {
    // Input order does not matter: the ring sorts by token.
    let ring = Ring::new("r", vec![(300, C), (100, A), (200, B)]).expect("distinct tokens");
    assert_eq!(ring.entries(), &[(100, A), (200, B), (300, C)]);
    assert_eq!(ring.owner(150), B);
    // An empty ring has no owner for anything.
    assert_eq!(Ring::new("r", vec![]), Err(TopologyError::EmptyRack { rack: "r".to_string() }));
    // One token, two holders: refused, naming both.
    assert_eq!(
        Ring::new("r", vec![(7, B), (7, A)]),
        Err(TopologyError::DuplicateToken { rack: "r".to_string(), token: 7, first: A, second: B })
    );
}
