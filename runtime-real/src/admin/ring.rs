//! `/ring`: every node of the topology with its placement, tokens, share of its rack's ring, and this
//! node's view of it (link state, mean round trip; with `enable_gossip`, the member's gossip state,
//! generation and heartbeat, and its current address). `dynomite status` prints it as a table.

use std::collections::BTreeMap;

use dynomite_core::ring::PeerNode;
use serde_json::{json, Value};

use crate::node::NodeShared;

/// Tokens on a ring (`u32`), as a float denominator.
const RING_SIZE: f64 = 4_294_967_296.0;

/// Each node's share of its rack's ring, by node index: a token `t` owns the hashes in `(previous
/// token, t]`, wrapping; a rack with one token owns the whole ring.
pub fn ring_shares(nodes: &[PeerNode]) -> Vec<f64> {
    let mut racks: BTreeMap<(&str, &str), Vec<(u32, usize)>> = BTreeMap::new();
    for (index, node) in nodes.iter().enumerate() {
        let rack = racks.entry((node.datacenter.as_str(), node.rack.as_str())).or_default();
        rack.extend(node.tokens.iter().map(|&token| (token, index)));
    }
    let mut shares = vec![0.0; nodes.len()];
    for tokens in racks.values_mut() {
        tokens.sort_unstable();
        for (position, &(token, index)) in tokens.iter().enumerate() {
            let previous = if position == 0 { tokens[tokens.len() - 1].0 } else { tokens[position - 1].0 };
            let owned = if tokens.len() == 1 { RING_SIZE } else { f64::from(token.wrapping_sub(previous)) };
            shares[index] += owned / RING_SIZE;
        }
    }
    shares
}

/// The `/ring` document.
pub fn ring(node: &NodeShared) -> Value {
    let nodes = node.topology.nodes();
    let shares = ring_shares(nodes);
    let members = node.gossip.as_ref().map(|gossip| gossip.members());
    let entries: Vec<Value> = nodes
        .iter()
        .zip(shares)
        .map(|(peer, share)| {
            let member = members.as_ref().and_then(|members| members.get(peer.id.0 as usize));
            let address = match member {
                Some(member) => member.identity.address.clone(),
                None => format!("{}:{}", peer.address.host, peer.address.port),
            };
            let (host, port) = split_address(&address, &peer.address.host, peer.address.port);
            let latency = node.metrics.peer_latency(peer.id.0 as usize);
            let (state, connected, down) = if peer.is_local {
                (node.local_state().name().to_string(), true, false)
            } else {
                match node.peer(peer.id) {
                    Some(link) if link.is_down() => ("DOWN".to_string(), link.health().is_connected(), true),
                    Some(link) if link.health().is_connected() => ("UP".to_string(), true, false),
                    _ => ("UNREACHABLE".to_string(), false, false),
                }
            };
            let gossip = member.map(|member| {
                json!({
                    "state": dynomite_core::gossip::state_name(member.state),
                    "generation": member.generation,
                    "heartbeat": member.heartbeat,
                })
            });
            json!({
                "dc": peer.datacenter,
                "rack": peer.rack,
                "name": address,
                "host": host,
                "port": port,
                "gossip": gossip,
                "tokens": peer.tokens,
                "ring_share": share,
                "local": peer.is_local,
                "state": state,
                "connected": connected,
                "down": down,
                "latency_us": if peer.is_local { None } else { latency.and_then(|latency| latency.mean_us()) },
            })
        })
        .collect();
    json!({
        "source": format!("{}:{}", node.topology.local().address.host, node.topology.local().address.port),
        "nodes": entries,
    })
}

/// `host:port` split at its last colon; the fallback when it does not parse.
pub fn split_address(address: &str, host: &str, port: u16) -> (String, u16) {
    match address.rsplit_once(':').map(|(host, port)| (host, port.parse::<u16>())) {
        Some((host, Ok(port))) => (host.to_string(), port),
        _ => (host.to_string(), port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dynomite_core::config::Endpoint;
    use dynomite_core::ring::NodeId;

    fn node(index: u32, rack: &str, tokens: &[u32]) -> PeerNode {
        PeerNode {
            id: NodeId(index),
            address: Endpoint { host: "127.0.0.1".into(), port: 8101 + index as u16 },
            datacenter: "dc1".into(),
            rack: rack.into(),
            tokens: tokens.to_vec(),
            is_local: index == 0,
        }
    }

    #[test]
    fn shares_follow_the_token_gaps_per_rack() {
        // rack a: tokens 0 and 2^30: node 1 owns (0, 2^30] = a quarter; node 0 owns (2^30, 2^32) and 0.
        // rack b: one node owns the whole ring.
        let nodes = [node(0, "a", &[0]), node(1, "a", &[1 << 30]), node(2, "b", &[7])];
        let shares = ring_shares(&nodes);
        assert_eq!(shares, [0.75, 0.25, 1.0]);
    }
}
