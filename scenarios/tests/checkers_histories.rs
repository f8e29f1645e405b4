//! Checkers against hand-built histories: for each rule, a history that keeps it and one that breaks
//! it (a read overtaking its connection's write, double counting, a value of another key, a quorum
//! one short, a key scanned twice, a replica that missed a write that reached it), so every checker
//! can fail; and a link that flapped between two samples does not count as up (completeness does
//! not bind a write sent over it).
//!
//! The cluster is 1 datacenter × 3 racks × 1 node: node `r` is the owner of every key in rack `r`,
//! and every link stays up (no fault).

use std::collections::BTreeMap;

use bytes::Bytes;
use dynomite_chaos::Shape;
use dynomite_core::config::Consistency;
use dynomite_core::resp::Frame;
use dynomite_scenarios::checkers::{
    counters, no_phantom_values, quorum_honesty, replication_completeness, scan_exactly_once, session_order,
    Facts, LinkSample, ReplicaStates, ReplicaValues, Timeline, Verdict,
};
use dynomite_scenarios::history::{Command, History, Operation, Outcome};
use dynomite_scenarios::placement::Owners;
use dynomite_scenarios::workload::all_keys;
use dynomite_sim::SimConfig;

fn shape() -> Shape {
    Shape::new(1, 3, 1)
}

fn bytes(text: &str) -> Bytes {
    Bytes::copy_from_slice(text.as_bytes())
}

/// An `Ok` request on connection `connection` (node 0, DC_ONE) with sequence `sequence`.
fn op(
    connection: u64,
    sequence: u64,
    command: Command,
    reply: Frame,
    invoked_ms: u64,
    completed_ms: u64,
) -> Operation {
    Operation {
        id: 0,
        client: connection as usize,
        connection,
        connection_id: connection,
        sequence,
        batch: 0,
        position: 0,
        node: 0,
        consistency: Consistency::DcOne,
        command,
        invoked_ms,
        completed_ms,
        outcome: Outcome::Ok(reply),
        acknowledged_by: Vec::new(),
        timestamps: Vec::new(),
    }
}

fn set(
    connection: u64,
    sequence: u64,
    key: &str,
    value: &str,
    invoked_ms: u64,
    completed_ms: u64,
) -> Operation {
    op(connection, sequence, Command::Set(bytes(key), bytes(value)), Frame::ok(), invoked_ms, completed_ms)
}

fn get(
    connection: u64,
    sequence: u64,
    key: &str,
    value: &str,
    invoked_ms: u64,
    completed_ms: u64,
) -> Operation {
    op(connection, sequence, Command::Get(bytes(key)), Frame::Bulk(bytes(value)), invoked_ms, completed_ms)
}

/// Judges `operations` (ids assigned in order) with `replicas` read at 100 s.
fn judge(
    mut operations: Vec<Operation>,
    replicas: ReplicaValues,
    checker: fn(&Facts<'_>) -> Verdict,
) -> Verdict {
    for (id, operation) in operations.iter_mut().enumerate() {
        operation.id = id as u64;
    }
    let history = History::new(operations);
    let shape = shape();
    let owners = Owners::compute(&SimConfig::new(1, 3, 1, 1), &all_keys(2, 1));
    let all_up = |at_ms| LinkSample {
        at_ms,
        states: (0..3)
            .flat_map(|from| (0..3).filter(move |to| *to != from).map(move |to| (from, to, true, false)))
            .collect(),
    };
    let timeline = Timeline::new(shape, Vec::new(), vec![all_up(0), all_up(200_000)]);
    let facts = Facts {
        history: &history,
        shape: &shape,
        owners: &owners,
        timeline: &timeline,
        replicas: &replicas,
        states: &ReplicaStates::new(),
        gc_possible: false,
        tombstone_gc_age_ms: None,
        replicas_read_ms: 100_000,
        clients_per_datacenter: 1,
    };
    checker(&facts)
}

#[test]
fn session_order_fails_when_a_read_overtakes_its_connections_write() {
    let old = set(2, 3, "s1", "s1=old", 0, 10);
    let overtaken = vec![old.clone(), set(1, 3, "s1", "s1=new", 20, 30), get(1, 4, "s1", "s1=old", 20, 31)];
    let verdict = judge(overtaken, ReplicaValues::new(), session_order);
    assert!(verdict.fails_run(), "{verdict:?}");
    let in_order = vec![old.clone(), set(1, 3, "s1", "s1=new", 20, 30), get(1, 4, "s1", "s1=new", 20, 31)];
    assert!(judge(in_order, ReplicaValues::new(), session_order).passed);
    // Another connection's write concurrent with ours may win: not a violation.
    let concurrent = vec![
        set(2, 3, "s1", "s1=other", 19, 40),
        set(1, 3, "s1", "s1=new", 20, 30),
        get(1, 4, "s1", "s1=other", 20, 41),
    ];
    assert!(judge(concurrent, ReplicaValues::new(), session_order).passed);
    // A read that sees a write sent after it on the same connection is out of order too.
    let future = vec![
        get(1, 3, "s1", "s1=later", 20, 31),
        set(1, 2, "s1", "s1=new", 20, 30),
        set(1, 4, "s1", "s1=later", 20, 32),
    ];
    assert!(judge(future, ReplicaValues::new(), session_order).fails_run());
}

#[test]
fn counters_fail_on_double_counting() {
    let incr = |sequence, result, at| {
        op(1, sequence, Command::Incr(bytes("c0")), Frame::Integer(result), at, at + 5)
    };
    assert!(judge(vec![incr(3, 1, 0), incr(4, 2, 10)], ReplicaValues::new(), counters).passed);
    let doubled = judge(vec![incr(3, 2, 0), incr(4, 4, 10)], ReplicaValues::new(), counters);
    assert!(doubled.fails_run(), "{doubled:?}");
}

#[test]
fn phantom_values_include_another_keys_value() {
    let mget = |values: [&str; 2]| {
        let reply = Frame::Array(values.iter().map(|value| Frame::Bulk(bytes(value))).collect());
        op(1, 5, Command::Mget(vec![bytes("s1"), bytes("s2")]), reply, 20, 30)
    };
    let writes = vec![set(1, 3, "s1", "s1=a", 0, 5), set(1, 4, "s2", "s2=b", 0, 5)];
    let mut right = writes.clone();
    right.push(mget(["s1=a", "s2=b"]));
    assert!(no_phantom_values(&History::new(right)).passed);
    let mut swapped = writes;
    swapped.push(mget(["s2=b", "s1=a"]));
    assert!(no_phantom_values(&History::new(swapped)).fails_run());
}

#[test]
fn quorum_honesty_counts_racks_per_decision() {
    let quorum_write = |acknowledged_by: Vec<Vec<usize>>| Operation {
        consistency: Consistency::DcQuorum,
        acknowledged_by,
        ..set(1, 3, "s1", "s1=a", 0, 5)
    };
    assert!(quorum_honesty(&History::new(vec![quorum_write(vec![vec![0, 1]])]), &shape()).passed);
    assert!(quorum_honesty(&History::new(vec![quorum_write(vec![vec![0]])]), &shape()).fails_run());
    assert!(
        quorum_honesty(&History::new(vec![quorum_write(vec![vec![0, 1], vec![2]])]), &shape()).fails_run()
    );
}

#[test]
fn a_scan_may_not_return_a_key_twice() {
    let page = |sequence, cursor: &str, keys: &[&str]| {
        let reply = Frame::Array(vec![
            Frame::Bulk(bytes(cursor)),
            Frame::Array(keys.iter().map(|key| Frame::Bulk(bytes(key))).collect()),
        ]);
        let command =
            Command::Scan { cursor: bytes(if sequence == 3 { "0" } else { "7" }), count: 5, scan: 1 };
        op(1, sequence, command, reply, 1000 + sequence, 1001 + sequence)
    };
    let once = vec![page(3, "7", &["s1"]), page(4, "0", &["s2"])];
    assert!(judge(once, ReplicaValues::new(), scan_exactly_once).passed);
    let twice = vec![page(3, "7", &["s1"]), page(4, "0", &["s1"])];
    assert!(judge(twice, ReplicaValues::new(), scan_exactly_once).fails_run());
    // Every page answered but the cursor never came back to 0: the walk never ends.
    let unfinished = vec![page(3, "7", &["s1"]), page(4, "7", &["s2"])];
    assert!(judge(unfinished, ReplicaValues::new(), scan_exactly_once).fails_run());
    // A page that answered with something that is not a SCAN reply.
    let malformed = vec![op(
        1,
        3,
        Command::Scan { cursor: bytes("0"), count: 5, scan: 1 },
        Frame::Integer(1),
        1003,
        1004,
    )];
    assert!(judge(malformed, ReplicaValues::new(), scan_exactly_once).fails_run());
}

#[test]
fn a_replica_that_missed_a_write_that_reached_it_fails_completeness() {
    let replicas = |third: &str| -> ReplicaValues {
        let values = [(0, Some(bytes("s1=new"))), (1, Some(bytes("s1=new"))), (2, Some(bytes(third)))];
        BTreeMap::from([(bytes("s1"), values.into_iter().collect())])
    };
    // The new write comes well after the old one was answered (more than the delivery margin).
    let writes = vec![set(1, 3, "s1", "s1=old", 0, 5), set(1, 4, "s1", "s1=new", 2000, 2005)];
    assert!(judge(writes.clone(), replicas("s1=new"), replication_completeness).passed);
    let verdict = judge(writes.clone(), replicas("s1=old"), replication_completeness);
    assert!(verdict.fails_run(), "{verdict:?}");
    // A later (failed) write of that value explains it.
    let mut later = writes;
    later
        .push(Operation { outcome: Outcome::Failed("ERR".into()), ..set(2, 3, "s1", "s1=late", 2010, 2015) });
    assert!(judge(later, replicas("s1=late"), replication_completeness).passed);
}

#[test]
fn a_link_that_lost_a_connection_between_two_samples_was_not_up_then() {
    // Link 0 -> 1 reads "every connection up" at each sample, but its loss count moves between the
    // samples at 100 and 200 ms: it broke and reconnected in between (a one-way clog makes a link
    // flap like this, down ~50 ms per heartbeat timeout), so a write sent then may have failed at once.
    let mut lost_before = BTreeMap::new();
    let samples: Vec<LinkSample> = [(0, 0), (100, 0), (200, 1), (300, 1), (400, 1)]
        .into_iter()
        .map(|(at_ms, lost)| LinkSample::from_readings(at_ms, [(0, 1, true, false, lost)], &mut lost_before))
        .collect();
    let timeline = Timeline::new(shape(), Vec::new(), samples);
    assert!(timeline.link_up(0, 1, 0, 100));
    assert!(!timeline.link_up(0, 1, 120, 150), "the loss fell in (100, 200]");
    assert!(!timeline.link_up(0, 1, 50, 400));
    assert!(timeline.link_up(0, 1, 300, 400));
}

#[test]
fn a_write_whose_path_flapped_does_not_bind_completeness() {
    // s1's rack-1 replica (node 1) misses the new write; it binds only while link 0 -> 1 stayed up.
    let replicas: ReplicaValues = BTreeMap::from([(
        bytes("s1"),
        [(0, Some(bytes("s1=new"))), (1, Some(bytes("s1=old"))), (2, Some(bytes("s1=new")))]
            .into_iter()
            .collect(),
    )]);
    let writes = vec![set(1, 3, "s1", "s1=old", 0, 5), set(1, 4, "s1", "s1=new", 2000, 2005)];
    let judge_with_losses = |losses: &[((usize, usize), u64)]| {
        let mut operations = writes.clone();
        for (id, operation) in operations.iter_mut().enumerate() {
            operation.id = id as u64;
        }
        let history = History::new(operations);
        let shape = shape();
        let owners = Owners::compute(&SimConfig::new(1, 3, 1, 1), &all_keys(2, 1));
        let mut lost_before = BTreeMap::new();
        let samples = (0..=40u64)
            .map(|step| {
                let at_ms = step * 100;
                let lost_by = |link: (usize, usize)| {
                    losses.iter().filter(|(lost, when)| *lost == link && *when <= at_ms).count() as u64
                };
                let readings: Vec<_> = (0..3)
                    .flat_map(|from| (0..3).filter(move |to| *to != from).map(move |to| (from, to)))
                    .map(|(from, to)| (from, to, true, false, lost_by((from, to))))
                    .collect();
                LinkSample::from_readings(at_ms, readings, &mut lost_before)
            })
            .collect();
        let timeline = Timeline::new(shape, Vec::new(), samples);
        let facts = Facts {
            history: &history,
            shape: &shape,
            owners: &owners,
            timeline: &timeline,
            replicas: &replicas,
            states: &ReplicaStates::new(),
            gc_possible: false,
            tombstone_gc_age_ms: None,
            replicas_read_ms: 100_000,
            clients_per_datacenter: 1,
        };
        replication_completeness(&facts)
    };
    assert!(judge_with_losses(&[]).fails_run(), "a steady link binds");
    // Link 0 -> 1 lost a connection at 2050 ms and was back by the next sample.
    let verdict = judge_with_losses(&[((0, 1), 2050)]);
    assert!(verdict.passed, "{verdict:?}");
}

#[test]
fn session_order_counts_every_fragment_that_may_have_answered_a_multi_key_read() {
    let quorum = |operation: Operation, acknowledged_by: Vec<Vec<usize>>| Operation {
        consistency: Consistency::DcQuorum,
        acknowledged_by,
        ..operation
    };
    let write = quorum(set(1, 3, "s1", "s1=new", 0, 10), vec![vec![0, 1]]);
    let nil_read = |acknowledged_by| {
        let mget = Command::Mget(vec![bytes("s1"), bytes("s2")]);
        quorum(op(1, 4, mget, Frame::Array(vec![Frame::Null, Frame::Null]), 20, 30), acknowledged_by)
    };
    // One fragment, answered by the write's replicas: the nil is a violation.
    let verdict = judge(vec![write.clone(), nil_read(vec![vec![0, 1]])], ReplicaValues::new(), session_order);
    assert!(verdict.fails_run(), "{verdict:?}");
    // Two fragments, [0, 1] and [0, 2], not told apart: s1's may be the one node 2 answered (node 2
    // never acknowledged the write, and with another replica it can outvote node 0), so the read is
    // not judged; only the replicas common to both fragments ([0]) would wrongly bind it.
    let split = nil_read(vec![vec![0, 1], vec![0, 2]]);
    let verdict = judge(vec![write, split], ReplicaValues::new(), session_order);
    assert!(verdict.passed, "{verdict:?}");
}
