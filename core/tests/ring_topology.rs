//! Topology: building from config or node lists, typed errors, per-datacenter replica selection,
//! the remote datacenter entry node, `/cluster_describe`, and properties of random topologies.

use std::collections::BTreeSet;

use dynomite_core::config::{parse_config, Endpoint};
use dynomite_core::ring::{NodeId, NodeSpecification, Topology, TopologyError};
use proptest::prelude::*;

fn node(host: &str, port: u16, datacenter: &str, rack: &str, tokens: &[u32]) -> NodeSpecification {
    (Endpoint::new(host, port), datacenter.to_string(), rack.to_string(), tokens.to_vec())
}

fn build(nodes: Vec<NodeSpecification>, local_index: usize) -> Topology {
    match Topology::from_nodes(nodes, local_index) {
        Ok(topology) => topology,
        Err(error) => panic!("test topology is valid: {error}"),
    }
}

/// Two datacenters × three racks × two nodes; rack names differ between the datacenters, like
/// availability zones. Tokens 0 and 2^31 in every rack; node `i` is `10.0.<dc>.<i>:8101`.
fn two_by_three_by_two(local_index: usize) -> Topology {
    let mut nodes = Vec::new();
    for (dc_index, (datacenter, racks)) in [
        ("us-east-1", ["us-east-1a", "us-east-1c", "us-east-1d"]),
        ("eu-west-1", ["eu-west-1a", "eu-west-1b", "eu-west-1c"]),
    ]
    .into_iter()
    .enumerate()
    {
        for rack in racks {
            for token in [0, 1 << 31] {
                let host = format!("10.0.{dc_index}.{}", nodes.len());
                nodes.push(node(&host, 8101, datacenter, rack, &[token]));
            }
        }
    }
    build(nodes, local_index)
}

fn yaml(seeds: &[&str]) -> String {
    let seeds: String = seeds.iter().map(|seed| format!("    - {seed}\n")).collect();
    format!(
        "dyn_o_mite:\n  listen: 127.0.0.1:8102\n  dyn_listen: 127.0.0.1:8101\n  rack: r1\n  datacenter: dc1\n  \
         tokens: '100'\n  data_store: embedded\n  dyn_seeds:\n{seeds}"
    )
}

fn from_yaml(seeds: &[&str]) -> Result<Topology, TopologyError> {
    let config = parse_config(&yaml(seeds)).expect("valid config");
    Topology::from_config(&config)
}

#[test]
fn from_config_puts_the_local_node_first() {
    let topology =
        from_yaml(&["127.0.0.2:8101:r2:dc1:100", "127.0.0.3:8101:r1:dc1:200", "10.1.0.1:8101:r1:dc2:5"])
            .expect("valid topology");
    let local = topology.local();
    assert_eq!((local.id, local.is_local), (NodeId(0), true));
    assert_eq!(local.address, Endpoint::new("127.0.0.1", 8101));
    let ids: Vec<(u32, bool)> = topology.nodes().iter().map(|node| (node.id.0, node.is_local)).collect();
    assert_eq!(ids, vec![(0, true), (1, false), (2, false), (3, false)]);
    assert_eq!(topology.local_datacenter().name, "dc1");
    let names: Vec<&str> = topology.datacenters().iter().map(|dc| dc.name.as_str()).collect();
    assert_eq!(names, vec!["dc1", "dc2"]);
    // The same token 100 in racks r1 and r2 is fine: every rack is its own ring.
    assert_eq!(topology.replicas_in_datacenter("dc1", 100), vec![NodeId(0), NodeId(1)]);
    // Local rack r1 holds 100 (local) and 200 (127.0.0.3).
    assert_eq!(topology.local_rack_owner(150), NodeId(2));
    assert_eq!(topology.local_rack_nodes(), vec![NodeId(0), NodeId(2)]);
    // dc2 has a rack named r1, so it is the entry rack.
    assert_eq!(topology.remote_datacenter_entry("dc2", 150), NodeId(3));
}

#[test]
fn from_config_without_seeds_is_a_single_node() {
    // `Config::embedded_default` has no dyn_seeds: the node alone owns every token.
    let config = dynomite_core::config::Config::embedded_default(8102);
    let topology = Topology::from_config(&config).expect("single node");
    assert_eq!(topology.nodes().len(), 1);
    assert_eq!(topology.local_rack_owner(u32::MAX), NodeId(0));
    assert_eq!(topology.replicas_in_datacenter(&config.datacenter, 7), vec![NodeId(0)]);
}

#[test]
fn errors_name_the_offender() {
    let cases: [(Result<Topology, TopologyError>, &str); 3] = [
        // A seed with our own dyn_listen address.
        (
            from_yaml(&["127.0.0.1:8101:r1:dc1:200"]),
            "seed 127.0.0.1:8101:r1:dc1:200 is this node's own dyn_listen address; list only other nodes in dyn_seeds",
        ),
        // A seed in our rack with our token.
        (
            from_yaml(&["127.0.0.2:8101:r1:dc1:100"]),
            "token 100 is held twice in rack 'dc1/r1' (by 127.0.0.1:8101 and 127.0.0.2:8101); tokens must be unique within a rack",
        ),
        // Two seeds with one address.
        (
            from_yaml(&["127.0.0.2:8101:r2:dc1:1", "127.0.0.2:8101:r3:dc1:2"]),
            "two nodes have the address 127.0.0.2:8101; each node needs its own dyn_listen host:port",
        ),
    ];
    for (result, message) in cases {
        match result {
            Ok(_) => panic!("expected the error {message:?}"),
            Err(error) => assert_eq!(error.to_string(), message),
        }
    }
}

#[test]
fn from_nodes_errors() {
    let no_tokens = Topology::from_nodes(vec![node("h", 1, "dc", "r", &[])], 0);
    assert_eq!(
        no_tokens,
        Err(TopologyError::NoTokens {
            address: Endpoint::new("h", 1),
            rack: "r".to_string(),
            datacenter: "dc".to_string()
        })
    );
    let out_of_range = Topology::from_nodes(vec![node("h", 1, "dc", "r", &[1])], 1);
    assert_eq!(out_of_range, Err(TopologyError::LocalIndexOutOfRange { index: 1, count: 1 }));
    assert_eq!(
        Topology::from_nodes(vec![], 0),
        Err(TopologyError::LocalIndexOutOfRange { index: 0, count: 0 })
    );
    // One node listing a token twice.
    let twice = Topology::from_nodes(vec![node("h", 1, "dc", "r", &[5, 5])], 0);
    assert!(matches!(twice, Err(TopologyError::DuplicateTokenInRack { token: 5, .. })), "{twice:?}");
    let many_tokens: Vec<u32> = (0..257).collect();
    let too_many = Topology::from_nodes(vec![node("h", 1, "dc", "r", &many_tokens)], 0);
    assert!(matches!(too_many, Err(TopologyError::TooManyTokens { count: 257, limit: 256, .. })));
}

#[test]
fn replicas_start_with_the_local_rack() {
    // Local node is index 3: us-east-1c, token 2^31.
    let topology = two_by_three_by_two(3);
    assert_eq!(topology.local().rack, "us-east-1c");
    // Token 5 is owned by the 2^31 node of each rack (ids 1, 3, 5 in us-east-1); local rack first.
    assert_eq!(topology.replicas_in_datacenter("us-east-1", 5), vec![NodeId(3), NodeId(1), NodeId(5)]);
    // A remote datacenter: racks by name (eu-west-1a, 1b, 1c) are ids 7, 9, 11.
    assert_eq!(topology.replicas_in_datacenter("eu-west-1", 5), vec![NodeId(7), NodeId(9), NodeId(11)]);
    // Token 0 and tokens above 2^31 wrap to the token-0 nodes.
    assert_eq!(topology.replicas_in_datacenter("eu-west-1", 0), vec![NodeId(6), NodeId(8), NodeId(10)]);
    assert_eq!(topology.replicas_in_datacenter("nowhere", 5), Vec::<NodeId>::new());
}

#[test]
fn remote_entry_rack_choice() {
    // Rack names differ between datacenters: the local rack's index among the local racks by name
    // picks the remote rack (us-east-1a → eu-west-1a, 1c → 1b, 1d → 1c).
    let cases = [(0, NodeId(7)), (2, NodeId(9)), (4, NodeId(11))];
    for (local_index, entry) in cases {
        let topology = two_by_three_by_two(local_index);
        assert_eq!(topology.remote_datacenter_entry("eu-west-1", 5), entry, "local node {local_index}");
    }
    // Same rack name in both datacenters: that rack, even if its index differs.
    let topology = build(
        vec![
            node("a", 1, "dc1", "rack-a", &[10]),
            node("b", 1, "dc1", "rack-b", &[10]),
            node("c", 1, "dc2", "rack-b", &[10]),
            node("d", 1, "dc2", "rack-c", &[10]),
        ],
        1,
    );
    assert_eq!(topology.remote_datacenter_entry("dc2", 3), NodeId(2));
    // An unknown datacenter falls back to the local rack owner.
    assert_eq!(topology.remote_datacenter_entry("dc9", 3), NodeId(1));
}

#[test]
fn describe_two_datacenters_three_racks_two_nodes() {
    let description = two_by_three_by_two(0).describe();
    insta::assert_yaml_snapshot!("describe_2dc_3racks_2nodes", description);
    insta::assert_snapshot!("describe_2dc_3racks_2nodes_json", description.to_json());
}

#[test]
fn describe_json_escapes_names() {
    let topology = build(vec![node("h", 1, "d\"c\\1", "r\n\u{1}", &[4])], 0);
    assert_eq!(
        topology.describe().to_json(),
        r#"{"dcs":[{"name":"d\"c\\1","racks":[{"name":"r\n\u0001","servers":[{"name":"h","host":"h","port":1,"token":4}]}]}]}"#
    );
}

/// A random topology: per datacenter, per rack, per node, a list of tokens distinct within the rack.
fn topology_strategy() -> impl Strategy<Value = (Vec<NodeSpecification>, usize)> {
    let rack = proptest::collection::btree_set(any::<u32>(), 1..24).prop_flat_map(|tokens| {
        let tokens: Vec<u32> = tokens.into_iter().collect();
        let count = tokens.len();
        (Just(tokens), proptest::collection::vec(0..count, count))
    });
    let datacenter = proptest::collection::vec(rack, 1..4);
    (proptest::collection::vec(datacenter, 1..4), any::<prop::sample::Index>()).prop_map(
        |(datacenters, local)| {
            let mut nodes = Vec::new();
            for (dc_index, racks) in datacenters.iter().enumerate() {
                for (rack_index, (tokens, assignment)) in racks.iter().enumerate() {
                    push_rack(&mut nodes, dc_index, rack_index, tokens, assignment);
                }
            }
            let local = local.index(nodes.len());
            (nodes, local)
        },
    )
}

/// Deals `tokens` to nodes by `assignment` (token i goes to node slot assignment[i]); empty slots
/// make no node, so racks get different sizes.
fn push_rack(
    nodes: &mut Vec<NodeSpecification>,
    dc_index: usize,
    rack_index: usize,
    tokens: &[u32],
    assignment: &[usize],
) {
    let mut slots: Vec<Vec<u32>> = vec![Vec::new(); tokens.len()];
    for (token, slot) in tokens.iter().zip(assignment) {
        slots[*slot].push(*token);
    }
    for slot_tokens in slots.into_iter().filter(|slot| !slot.is_empty()) {
        let host = format!("10.{dc_index}.{rack_index}.{}", nodes.len());
        nodes.push(node(&host, 8101, &format!("dc{dc_index}"), &format!("rack{rack_index}"), &slot_tokens));
    }
}

/// The owner by definition: the holder of the smallest token >= hash, else of the smallest token.
fn expected_owner(topology: &Topology, datacenter: &str, rack: &str, hash: u32) -> NodeId {
    let in_rack: Vec<(u32, NodeId)> = topology
        .nodes()
        .iter()
        .filter(|node| node.datacenter == datacenter && node.rack == rack)
        .flat_map(|node| node.tokens.iter().map(move |token| (*token, node.id)))
        .collect();
    let at_or_above = in_rack.iter().filter(|(token, _)| *token >= hash).min();
    at_or_above.or_else(|| in_rack.iter().min()).map(|(_, id)| *id).expect("racks are not empty")
}

proptest! {
    #[test]
    fn every_rack_has_exactly_the_defined_owner((nodes, local) in topology_strategy(), hashes in proptest::collection::vec(any::<u32>(), 1..16)) {
        let topology = Topology::from_nodes(nodes, local).expect("tokens distinct per rack");
        for datacenter in topology.datacenters() {
            for rack in &datacenter.racks {
                let extra: Vec<u32> = rack.ring.entries().iter().flat_map(|(token, _)| [*token, token.wrapping_add(1)]).collect();
                for hash in hashes.iter().chain(extra.iter()) {
                    let owner = rack.ring.owner(*hash);
                    prop_assert_eq!(owner, expected_owner(&topology, &datacenter.name, &rack.name, *hash));
                    // Exactly one node of the rack claims the hash: the owner, and it is in this rack.
                    let owner_node = topology.node(owner);
                    prop_assert_eq!((&owner_node.datacenter, &owner_node.rack), (&datacenter.name, &rack.name));
                }
            }
        }
    }

    #[test]
    fn replicas_are_one_per_rack_in_the_right_rack((nodes, local) in topology_strategy(), hash in any::<u32>()) {
        let topology = Topology::from_nodes(nodes, local).expect("tokens distinct per rack");
        for datacenter in topology.datacenters() {
            let replicas = topology.replicas_in_datacenter(&datacenter.name, hash);
            prop_assert_eq!(replicas.len(), datacenter.racks.len());
            let racks: BTreeSet<&str> = replicas.iter().map(|id| topology.node(*id).rack.as_str()).collect();
            prop_assert_eq!(racks.len(), datacenter.racks.len(), "one replica per rack");
            for id in &replicas {
                let replica = topology.node(*id);
                prop_assert_eq!(&replica.datacenter, &datacenter.name);
                prop_assert_eq!(*id, expected_owner(&topology, &datacenter.name, &replica.rack, hash));
            }
            let entry = topology.remote_datacenter_entry(&datacenter.name, hash);
            prop_assert!(replicas.contains(&entry), "the entry node is one of the datacenter's replicas");
        }
        let local_replicas = topology.replicas_in_datacenter(&topology.local().datacenter, hash);
        prop_assert_eq!(local_replicas.first().copied(), Some(topology.local_rack_owner(hash)));
        let rack_nodes = topology.local_rack_nodes();
        prop_assert!(rack_nodes.contains(&topology.local_rack_owner(hash)));
        prop_assert!(rack_nodes.iter().all(|id| topology.node(*id).rack == topology.local().rack));
    }

    #[test]
    fn node_order_does_not_change_placement((nodes, local) in topology_strategy(), hash in any::<u32>()) {
        let forward = Topology::from_nodes(nodes.clone(), local).expect("valid");
        let count = nodes.len();
        let reversed = Topology::from_nodes(nodes.into_iter().rev().collect(), count - 1 - local).expect("valid");
        for datacenter in forward.datacenters() {
            let addresses = |topology: &Topology| -> Vec<Endpoint> {
                topology.replicas_in_datacenter(&datacenter.name, hash).iter().map(|id| topology.node(*id).address.clone()).collect()
            };
            prop_assert_eq!(addresses(&forward), addresses(&reversed));
        }
        prop_assert_eq!(forward.describe(), reversed.describe());
    }
}
