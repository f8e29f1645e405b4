//! Properties of the request planner over random topologies (1–3 datacenters × 1–4 racks × 1–3 nodes,
//! random tokens), tokens, access classes, levels, reply orders and roles.

use std::collections::BTreeSet;

use dynomite_core::cluster::plan::{plan, Action, PlanRequest, Role};
use dynomite_core::cluster::quorum_size;
use dynomite_core::command::{Access, ReplyOrder};
use dynomite_core::config::{Consistency, Endpoint};
use dynomite_core::ring::{NodeSpecification, Topology};
use proptest::prelude::*;

/// `shape[dc][rack]` = nodes in that rack; each node gets a distinct token within its rack.
fn build(shape: &[Vec<usize>], token_seed: u32, local_pick: usize) -> Topology {
    let mut nodes: Vec<NodeSpecification> = Vec::new();
    for (dc, racks) in shape.iter().enumerate() {
        for (rack, &count) in racks.iter().enumerate() {
            for n in 0..count {
                let token = token_seed.wrapping_mul(n as u32 + 1).wrapping_add(n as u32 * 0x4000_0001);
                let host = format!("10.{dc}.{rack}.{n}");
                nodes.push((Endpoint::new(host, 8101), format!("dc{dc}"), format!("r{rack}"), vec![token]));
            }
        }
    }
    let local = local_pick % nodes.len();
    Topology::from_nodes(nodes, local).expect("valid topology")
}

fn shape() -> impl Strategy<Value = Vec<Vec<usize>>> {
    prop::collection::vec(prop::collection::vec(1usize..=3, 1..=4), 1..=3)
}

fn access() -> impl Strategy<Value = Access> {
    prop_oneof![Just(Access::Read), Just(Access::Write), Just(Access::Admin)]
}

fn level() -> impl Strategy<Value = Consistency> {
    prop_oneof![
        Just(Consistency::DcOne),
        Just(Consistency::DcQuorum),
        Just(Consistency::DcSafeQuorum),
        Just(Consistency::DcEachSafeQuorum)
    ]
}

fn order() -> impl Strategy<Value = ReplyOrder> {
    prop_oneof![Just(ReplyOrder::Defined), Just(ReplyOrder::Unordered), Just(ReplyOrder::Random)]
}

fn role() -> impl Strategy<Value = Role> {
    prop_oneof![Just(Role::Client), Just(Role::DatacenterEntry)]
}

proptest! {
    #[test]
    fn plans_keep_their_invariants(
        shape in shape(),
        token_seed in any::<u32>(),
        local_pick in any::<usize>(),
        token in any::<u32>(),
        access in access(),
        level in level(),
        order in order(),
        role in role(),
    ) {
        let topology = build(&shape, token_seed, local_pick);
        let request = PlanRequest { token, access, consistency: level, reply_order: order, role };
        let plan = plan(&topology, &request);
        let local_dc = &topology.local().datacenter;
        let local_racks = topology.local_datacenter().racks.len();
        let executes: Vec<_> =
            plan.targets.iter().filter(|target| target.action == Action::Execute).collect();
        let coordinates: Vec<_> =
            plan.targets.iter().filter(|target| target.action != Action::Execute).collect();

        // Every Execute goes to a node of the planner's datacenter, one per rack, each the rack's owner.
        let mut racks_hit = BTreeSet::new();
        for target in &executes {
            let node = topology.node(target.node);
            prop_assert_eq!(&node.datacenter, local_dc);
            prop_assert!(racks_hit.insert(node.rack.clone()), "two Executes in rack {}", node.rack);
            let rack = topology.local_datacenter().racks.iter().find(|rack| rack.name == node.rack).unwrap();
            prop_assert_eq!(rack.ring.owner(token), target.node);
        }
        // The local rack's owner is always the first target.
        prop_assert_eq!(plan.targets[0].node, topology.local_rack_owner(token));
        prop_assert_eq!(plan.targets[0].group, Some(0));

        if access == Access::Write {
            prop_assert_eq!(executes.len(), local_racks, "every local rack gets exactly one Execute");
        }
        let random_read = access != Access::Write && order == ReplyOrder::Random;
        if access != Access::Write && (level == Consistency::DcOne || random_read) {
            prop_assert_eq!(plan.targets.len(), 1, "DC_ONE reads: one target, the local rack's owner");
        }

        // Remote datacenters: exactly one Coordinate each for client writes, none at the entry role.
        let remote_dcs: BTreeSet<String> =
            coordinates.iter().map(|target| topology.node(target.node).datacenter.clone()).collect();
        prop_assert_eq!(remote_dcs.len(), coordinates.len(), "at most one forward per datacenter");
        prop_assert!(!remote_dcs.contains(local_dc));
        if role == Role::DatacenterEntry {
            prop_assert!(coordinates.is_empty(), "an entry never forwards");
        } else if access == Access::Write {
            prop_assert_eq!(coordinates.len(), topology.datacenters().len() - 1);
        }

        // Groups: every deciding target names an existing group whose count matches; quorum n/2+1.
        for (index, group) in plan.groups.iter().enumerate() {
            let members = plan.targets.iter().filter(|target| target.group == Some(index)).count();
            prop_assert_eq!(members, group.contacted, "group {} size", index);
            let expected = if plan.consistency == Consistency::DcOne { 1 } else { quorum_size(group.contacted) };
            prop_assert_eq!(group.quorum, expected);
        }
        prop_assert!(plan.deciding().all(|(_, group)| group < plan.groups.len()));
        prop_assert!(plan.deciding().count() <= plan.targets.len());
        if plan.consistency != Consistency::DcEachSafeQuorum {
            prop_assert_eq!(plan.groups.len(), 1, "only EACH_SAFE_QUORUM waits for remote datacenters");
        }
    }
}
