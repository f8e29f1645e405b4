//! The planner's mutation points change what they claim to change (simulation build only):
//! `RUSTFLAGS="--cfg madsim" cargo test -p dynomite-core --profile sim --target-dir target/sim --test mutants_plan`.
//!
//! One test function on purpose: a mutant is a process-wide switch, and this file is its own process,
//! so no other test can observe it.
#![cfg(madsim)]

use dynomite_core::cluster::plan::{plan, Action, Plan, PlanRequest, Role};
use dynomite_core::cluster::{ReplicaResult, Verdict};
use dynomite_core::command::{Access, ReplyOrder};
use dynomite_core::config::{Consistency, Endpoint};
use dynomite_core::mutants::{activate, Mutant};
use dynomite_core::ring::{NodeId, NodeSpecification, Topology};

/// dc1: racks r1 (local), r2, r3, two nodes each (tokens 100 and 200); dc2: one rack, one node.
fn topology() -> Topology {
    let mut nodes: Vec<NodeSpecification> = Vec::new();
    for rack in ["r1", "r2", "r3"] {
        for token in [100, 200] {
            let host = format!("10.0.{}.{token}", nodes.len());
            nodes.push((Endpoint::new(host, 8101), "dc1".into(), rack.into(), vec![token]));
        }
    }
    nodes.push((Endpoint::new("10.1.0.1", 8101), "dc2".into(), "x".into(), vec![100]));
    Topology::from_nodes(nodes, 0).expect("valid topology")
}

fn planned(access: Access, consistency: Consistency, role: Role) -> Plan {
    let request = PlanRequest { token: 150, access, consistency, reply_order: ReplyOrder::Defined, role };
    plan(&topology(), &request)
}

fn nodes(plan: &Plan) -> Vec<(NodeId, Action)> {
    plan.targets.iter().map(|target| (target.node, target.action)).collect()
}

/// The verdict of a 3-rack safe-quorum plan after one reply only.
fn after_one_reply(plan: &Plan) -> Option<Verdict> {
    plan.collector().record(0, ReplicaResult::Reply(bytes::Bytes::from_static(b"+OK\r\n")))
}

#[test]
fn planner_mutants_change_the_plan() {
    use Access::{Read, Write};
    use Consistency::{DcOne, DcSafeQuorum};
    activate(None);
    let write = planned(Write, DcOne, Role::Client);
    let quorum_read = planned(Read, DcSafeQuorum, Role::Client);
    let entry_write = planned(Write, DcOne, Role::DatacenterEntry);
    assert_eq!(write.targets.len(), 4, "three racks and one forward");
    assert_eq!(after_one_reply(&quorum_read), None, "a safe quorum of 3 needs 2 replies");
    // Owner of token 150 in each rack is its token-200 node: ids 1, 3, 5.
    assert_eq!(quorum_read.targets.iter().map(|t| t.node.0).collect::<Vec<_>>(), [1, 3, 5]);

    activate(Some(Mutant::QuorumHalf));
    assert_eq!(planned(Read, DcSafeQuorum, Role::Client).groups[0].quorum, 1);
    assert!(after_one_reply(&planned(Read, DcSafeQuorum, Role::Client)).is_some());

    activate(Some(Mutant::WrongRackOwner));
    let wrong = planned(Read, DcSafeQuorum, Role::Client);
    assert_eq!(
        wrong.targets.iter().map(|t| t.node.0).collect::<Vec<_>>(),
        [1, 3, 4],
        "last rack: predecessor"
    );

    activate(Some(Mutant::SkipLastRack));
    let skipped = planned(Write, DcOne, Role::Client);
    assert!(!nodes(&skipped).contains(&(NodeId(5), Action::Execute)), "rack r3 never gets the write");

    activate(Some(Mutant::NoRemoteForward));
    assert!(nodes(&planned(Write, DcOne, Role::Client)).iter().all(|(_, action)| *action == Action::Execute));

    activate(Some(Mutant::EntryAppliesLocallyOnly));
    assert_eq!(planned(Write, DcOne, Role::DatacenterEntry).targets.len(), 1);
    assert_eq!(entry_write.targets.len(), 3, "without the mutant the entry writes to its three racks");

    activate(None);
    assert_eq!(planned(Write, DcOne, Role::Client), write);
}
