//! Golden table for the request planner: for a fixed topology and token, every (access, level, reply
//! order, role) row lists the targets, their actions and deciding groups, and the group quorums. Each
//! row says why its answer is right.
//!
//! Topology: datacenter `dc1` with racks `r1` (local), `r2`, `r3`, one node each; datacenter `dc2`
//! with racks `r1`, `r2`; datacenter `dc3` with rack `x1`. Every node has token 100, so every rack's
//! owner of token 50 is its only node. Node ids (file order): 0 = dc1/r1 (local), 1 = dc1/r2,
//! 2 = dc1/r3, 3 = dc2/r1, 4 = dc2/r2, 5 = dc3/x1.

use dynomite_core::cluster::plan::{plan, Action, Group, PlanRequest, Role, Target};
use dynomite_core::command::{Access, ReplyOrder};
use dynomite_core::config::{Consistency, Endpoint};
use dynomite_core::ring::{NodeId, NodeSpecification, Topology};

const TOKEN: u32 = 50;

fn topology(local_index: usize) -> Topology {
    let placement =
        [("dc1", "r1"), ("dc1", "r2"), ("dc1", "r3"), ("dc2", "r1"), ("dc2", "r2"), ("dc3", "x1")];
    let nodes: Vec<NodeSpecification> = placement
        .iter()
        .enumerate()
        .map(|(index, (dc, rack))| {
            (Endpoint::new(format!("10.0.0.{index}"), 8101), dc.to_string(), rack.to_string(), vec![100])
        })
        .collect();
    Topology::from_nodes(nodes, local_index).expect("valid topology")
}

fn execute(node: u32, group: Option<usize>) -> Target {
    Target { node: NodeId(node), action: Action::Execute, group }
}

fn coordinate(node: u32, consistency: Consistency, group: Option<usize>) -> Target {
    Target { node: NodeId(node), action: Action::Coordinate { consistency }, group }
}

fn group(contacted: usize, quorum: usize) -> Group {
    Group { contacted, quorum }
}

use Access::{Read, Write};
use Consistency::{DcEachSafeQuorum as Each, DcOne as One, DcQuorum as Quorum, DcSafeQuorum as Safe};
use ReplyOrder::{Defined, Random, Unordered};
use Role::{Client, DatacenterEntry as Entry};

struct Row {
    why: &'static str,
    local: usize,
    access: Access,
    level: Consistency,
    order: ReplyOrder,
    role: Role,
    collected_at: Consistency,
    targets: Vec<Target>,
    groups: Vec<Group>,
}

#[rustfmt::skip]
fn rows() -> Vec<Row> {
    vec![
        Row {
            why: "DC_ONE read: the local rack's owner alone answers",
            local: 0, access: Read, level: One, order: Defined, role: Client, collected_at: One,
            targets: vec![execute(0, Some(0))],
            groups: vec![group(1, 1)],
        },
        Row {
            why: "DC_ONE write: every local rack applies it and each remote DC gets one DC_ONE forward; \
                  only the local owner decides",
            local: 0, access: Write, level: One, order: Defined, role: Client, collected_at: One,
            targets: vec![
                execute(0, Some(0)), execute(1, None), execute(2, None),
                coordinate(3, One, None), coordinate(5, One, None),
            ],
            groups: vec![group(1, 1)],
        },
        Row {
            why: "DC_QUORUM read: the three local racks decide, quorum 3/2+1 = 2; remote DCs are not asked",
            local: 0, access: Read, level: Quorum, order: Defined, role: Client, collected_at: Quorum,
            targets: vec![execute(0, Some(0)), execute(1, Some(0)), execute(2, Some(0))],
            groups: vec![group(3, 2)],
        },
        Row {
            why: "DC_SAFE_QUORUM write: local racks decide; forwards are fire-and-forget at DC_ONE",
            local: 0, access: Write, level: Safe, order: Unordered, role: Client, collected_at: Safe,
            targets: vec![
                execute(0, Some(0)), execute(1, Some(0)), execute(2, Some(0)),
                coordinate(3, One, None), coordinate(5, One, None),
            ],
            groups: vec![group(3, 2)],
        },
        Row {
            why: "DC_EACH_SAFE_QUORUM read: every DC decides; remote DCs coordinate at DC_SAFE_QUORUM, \
                  each its own group of one forward",
            local: 0, access: Read, level: Each, order: Defined, role: Client, collected_at: Each,
            targets: vec![
                execute(0, Some(0)), execute(1, Some(0)), execute(2, Some(0)),
                coordinate(3, Safe, Some(1)), coordinate(5, Safe, Some(2)),
            ],
            groups: vec![group(3, 2), group(1, 1), group(1, 1)],
        },
        Row {
            why: "random read (SRANDMEMBER) at DC_SAFE_QUORUM: replicas cannot agree, so the local owner \
                  answers as at DC_ONE",
            local: 0, access: Read, level: Safe, order: Random, role: Client, collected_at: One,
            targets: vec![execute(0, Some(0))],
            groups: vec![group(1, 1)],
        },
        Row {
            why: "random read at DC_EACH_SAFE_QUORUM: DC_ONE too, no forward",
            local: 0, access: Read, level: Each, order: Random, role: Client, collected_at: One,
            targets: vec![execute(0, Some(0))],
            groups: vec![group(1, 1)],
        },
        Row {
            why: "random write (SPOP) at DC_QUORUM keeps its level: every rack must apply it",
            local: 0, access: Write, level: Quorum, order: Random, role: Client, collected_at: Quorum,
            targets: vec![
                execute(0, Some(0)), execute(1, Some(0)), execute(2, Some(0)),
                coordinate(3, One, None), coordinate(5, One, None),
            ],
            groups: vec![group(3, 2)],
        },
        Row {
            why: "a node of rack r2 coordinates: its own rack first, then r1, r3 by name",
            local: 1, access: Read, level: Quorum, order: Defined, role: Client, collected_at: Quorum,
            targets: vec![execute(1, Some(0)), execute(0, Some(0)), execute(2, Some(0))],
            groups: vec![group(3, 2)],
        },
        Row {
            why: "dc2's entry (rack r1) at DC_ONE write: both dc2 racks apply, the entry decides, no forward",
            local: 3, access: Write, level: One, order: Defined, role: Entry, collected_at: One,
            targets: vec![execute(3, Some(0)), execute(4, None)],
            groups: vec![group(1, 1)],
        },
        Row {
            why: "dc2's entry asked DC_EACH_SAFE_QUORUM reads at DC_SAFE_QUORUM in its own DC (never forwards)",
            local: 3, access: Read, level: Each, order: Defined, role: Entry, collected_at: Safe,
            targets: vec![execute(3, Some(0)), execute(4, Some(0))],
            groups: vec![group(2, 2)],
        },
        Row {
            why: "dc2's entry, DC_SAFE_QUORUM write: two racks, quorum 2/2+1 = 2",
            local: 3, access: Write, level: Safe, order: Defined, role: Entry, collected_at: Safe,
            targets: vec![execute(3, Some(0)), execute(4, Some(0))],
            groups: vec![group(2, 2)],
        },
        Row {
            why: "a one-rack DC (dc3) coordinating a DC_QUORUM write: quorum of 1, forwards to dc1 \
                  (rack at index 0 % 3 = r1) and dc2 (index 0 % 2 = r1)",
            local: 5, access: Write, level: Quorum, order: Defined, role: Client, collected_at: Quorum,
            targets: vec![execute(5, Some(0)), coordinate(0, One, None), coordinate(3, One, None)],
            groups: vec![group(1, 1)],
        },
        Row {
            why: "admin-class requests reaching the planner are planned as reads",
            local: 0, access: Access::Admin, level: One, order: Defined, role: Client, collected_at: One,
            targets: vec![execute(0, Some(0))],
            groups: vec![group(1, 1)],
        },
    ]
}

#[test]
fn plans_match_the_golden_table() {
    for row in rows() {
        let request = PlanRequest {
            token: TOKEN,
            access: row.access,
            consistency: row.level,
            reply_order: row.order,
            role: row.role,
        };
        let plan = plan(&topology(row.local), &request);
        assert_eq!(plan.consistency, row.collected_at, "{}", row.why);
        assert_eq!(plan.targets, row.targets, "{}", row.why);
        assert_eq!(plan.groups, row.groups, "{}", row.why);
    }
}

#[test]
fn single_target_is_only_the_lone_deciding_replica() {
    let read =
        PlanRequest { token: TOKEN, access: Read, consistency: One, reply_order: Defined, role: Client };
    assert_eq!(plan(&topology(0), &read).single_target(), Some(&execute(0, Some(0))));
    let write = PlanRequest { access: Write, ..read };
    assert_eq!(plan(&topology(0), &write).single_target(), None, "a write fans out");
}
